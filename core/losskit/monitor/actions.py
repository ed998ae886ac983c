"""What the monitor does with a finding, when you opt in: log it, skip the step, stop, or call you.

``Monitor(actions=[...])`` takes any of these; the default is ``[Log()]``.
Each action (but :class:`SkipStep`) fires on the findings it matches: those
of the detectors named in ``on``, or else those of at least ``min_severity``.

* :class:`Log`: to a :mod:`logging` logger (``losskit.monitor``) and/or a JSON lines file, on rank 0 only.
* :class:`SkipStep`: :meth:`Monitor.update` returns a multiplier tensor, 0 for a step whose values are
  non-finite or a spike and 1 otherwise, computed on the device with no host sync; multiply the loss by it.
* :class:`Stop`: sets :attr:`Monitor.should_stop` (every rank agrees: decisions use all-reduced values).
* :class:`Callback`: calls ``fn(finding)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch.distributed as dist

from ..distributed import is_distributed
from .records import SEVERITIES, Finding, Severity, write_findings

if TYPE_CHECKING:  # pragma: no cover
    from .monitor import Monitor

__all__ = ["Action", "Callback", "Log", "SkipStep", "Stop"]

_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}


class Action:
    """Base class: fires on the findings of the detectors in ``on``, or else on those of ``min_severity`` or worse."""

    default_severity: Severity = "warning"

    def __init__(self, *, on: str | Sequence[str] | None = None, min_severity: Severity | None = None) -> None:
        self.on = (on,) if isinstance(on, str) else (tuple(on) if on is not None else None)
        self.min_severity = min_severity or self.default_severity
        if self.min_severity not in SEVERITIES:
            raise ValueError(f"{type(self).__name__}: min_severity must be one of {SEVERITIES}, got {min_severity!r}")

    def matches(self, finding: Finding) -> bool:
        if self.on is not None:
            return finding.detector in self.on
        return SEVERITIES.index(finding.severity) >= SEVERITIES.index(self.min_severity)

    def __call__(self, finding: Finding, monitor: Monitor) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(on={self.on!r}, min_severity={self.min_severity!r})"


class Log(Action):
    """Log each finding (``info`` and worse by default) on rank 0: to ``logger`` and, given ``jsonl``, to that file."""

    default_severity = "info"

    def __init__(self, jsonl: str | Path | None = None, *, logger: logging.Logger | str = "losskit.monitor",
                 all_ranks: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.jsonl = Path(jsonl) if jsonl is not None else None
        self.all_ranks = all_ranks

    def __call__(self, finding: Finding, monitor: Monitor) -> None:
        if is_distributed() and dist.get_rank() != 0 and not self.all_ranks:
            return
        self.logger.log(_LEVELS[finding.severity], "%s", finding)
        if self.jsonl is not None:
            write_findings([finding], self.jsonl)


class Stop(Action):
    """Ask the loop to stop (``critical`` findings by default): :attr:`Monitor.should_stop` becomes True."""

    default_severity = "critical"

    def __call__(self, finding: Finding, monitor: Monitor) -> None:
        monitor.request_stop(finding)


class Callback(Action):
    """Call ``fn(finding)`` (``warning`` and worse by default)."""

    def __init__(self, fn: Callable[[Finding], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fn = fn

    def __call__(self, finding: Finding, monitor: Monitor) -> None:
        self.fn(finding)


class SkipStep:
    """Make :meth:`Monitor.update` return a 0/1 multiplier for the loss, decided on the device, no host sync.

    The multiplier is 0 for a step with a non-finite value (``nonfinite``), a
    value above the :class:`~losskit.monitor.detectors.Spike` detector's current
    limit (``spike``: its median + threshold x scale as of the last read, at
    most ``read_every`` steps old), or a value above ``cap`` (a number for the
    total, a mapping per term). Under ``torch.distributed`` the monitor then
    all-reduces each step's values (one small collective per step) so that
    every rank skips the same steps.

    ``loss * 0`` has a zero gradient only when the loss is finite: for a NaN
    step, also zero the gradients with :func:`losskit.monitor.zero_skipped_grads`.
    """

    def __init__(self, *, nonfinite: bool = True, spike: bool = True,
                 cap: float | Mapping[str, float] | None = None) -> None:
        self.nonfinite, self.spike, self.cap = nonfinite, spike, cap

    def __repr__(self) -> str:
        return f"SkipStep(nonfinite={self.nonfinite}, spike={self.spike}, cap={self.cap!r})"
