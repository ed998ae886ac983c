"""The :class:`Monitor`: fed ``loss.breakdown()`` every step, it reads the curves in batches and reports findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..distributed import is_distributed
from ..errors import InvalidParamError
from .actions import Action, Log, SkipStep
from .buffer import DeviceBuffer, all_reduce_mean, stack_values
from .detectors import Detector, Spike, default_detectors
from .guard import StepGuard
from .history import History, check_names
from .logfile import ValuesLog
from .records import TOTAL, Finding

__all__ = ["Monitor"]


class Monitor:
    """Watches a loss and its terms during training and says what the curves mean.

    Call :meth:`update` with ``loss.breakdown(...)`` each training step and
    :meth:`validate` with the validation values when you have them. Each
    update writes one row on the loss's device (no host sync); every
    ``read_every`` steps the rows are read at once (under ``torch.distributed``
    all-reduced first, so every rank decides alike) and every detector looks
    at them. Findings go to :attr:`findings` and to the opted-in actions.

    Args:
        detectors: the detectors; default :func:`~losskit.monitor.detectors.default_detectors`.
        actions: what to do with findings (:class:`Log`, :class:`SkipStep`, :class:`Stop`,
            :class:`Callback`); default ``[Log()]``.
        read_every: steps per read (and per collective under ``torch.distributed``).
        keep: train rows kept on the host for the detectors; ``None`` keeps all (for plots).
        weights: the composite's weight per part, for the balance detector (see :meth:`for_loss`).
        record: a JSON lines file to which every value read is appended (rank 0), the
            input of ``losskit monitor FILE`` later.
    """

    def __init__(self, *, detectors: Sequence[Detector] | None = None, actions: Sequence[Action | SkipStep] | None = None,
                 read_every: int = 50, keep: int | None = 4096, weights: Mapping[str, float] | None = None,
                 record: str | Path | None = None) -> None:
        if isinstance(read_every, bool) or not isinstance(read_every, int) or read_every < 1:
            raise InvalidParamError("Monitor", "read_every", f"must be an integer >= 1, got {read_every!r}")
        if keep is not None and keep < read_every + 256:
            raise InvalidParamError("Monitor", "keep", f"must be None or at least read_every + 256 = "
                                    f"{read_every + 256} rows (the detectors' windows), got {keep!r}")
        self.detectors = list(default_detectors() if detectors is None else detectors)
        actions = [Log()] if actions is None else list(actions)
        self.actions = [a for a in actions if not isinstance(a, SkipStep)]
        skips = [a for a in actions if isinstance(a, SkipStep)]
        self.skip = skips[0] if skips else None
        self.read_every, self.keep, self.weights = read_every, keep, dict(weights or {})
        self.recorder = ValuesLog(record) if record is not None else None
        self.findings: list[Finding] = []
        self.skipped_steps: list[int] = []
        self.should_stop = False
        self.stop_reason: Finding | None = None
        self.history: History | None = None
        self._buffer: DeviceBuffer | None = None
        self._guard: StepGuard | None = None
        self._next_step = 0
        self._ones: Tensor | None = None

    @classmethod
    def for_loss(cls, loss: Any, **kwargs: Any) -> Monitor:
        """A monitor that knows the weights of a :class:`~losskit.WeightedSum`'s terms (for the balance detector)."""
        names, weights = getattr(loss, "names", None), getattr(loss, "weights", None)
        if names is not None and weights is not None and "weights" not in kwargs:
            kwargs["weights"] = dict(zip(names, (float(w) for w in weights)))
        return cls(**kwargs)

    @property
    def next_step(self) -> int:
        """The step that the next :meth:`update` records when given none."""
        return self._next_step

    @property
    def alarms(self) -> list[Finding]:
        """The findings of severity ``warning`` or ``critical``."""
        return [f for f in self.findings if f.is_alarm]

    def update(self, out: Any, *, step: int | None = None) -> Tensor:
        """Record one training step; returns the skip multiplier (a 0-dim tensor, 1 without :class:`SkipStep`).

        ``out`` is ``loss.breakdown(...)`` (or ``(total, parts)``, a mapping with a ``"total"``, a bare total).
        ``step`` defaults to one more than the last. No host sync, except every ``read_every`` steps.
        """
        names, row = stack_values(out)
        if self.history is None:
            self._start(names, row.device)
        check_names(self.history.names, names, what=f"step {self._next_step if step is None else step}")
        step = self._next_step if step is None else int(step)
        self._next_step = step + 1
        if self._guard is not None and is_distributed():
            all_reduce_mean(row)  # every rank must skip the same steps: decide on the global values
        dtype = _total_dtype(out)
        if self._guard is not None:
            multiplier = self._guard.multiplier(row, dtype)
            self._buffer.append(step, torch.cat([row, multiplier.reshape(1).float()]))
        else:
            multiplier = self._one(row.device, dtype)
            self._buffer.append(step, row)
        if self._buffer.full:
            self.flush()
        return multiplier

    def validate(self, out: Any, *, step: int | None = None) -> list[Finding]:
        """Record validation values (a subset of the train terms may be given); returns the new findings.

        Reads the pending train rows first; one sync, and under ``torch.distributed`` one
        collective over the validation values (every rank must call it).
        """
        names, row = stack_values(out)
        new = self.flush()
        if self.history is None:
            self._start(names, row.device)
        unknown = sorted(set(names) - set(self.history.names))
        if unknown:
            check_names(self.history.names, names, what="the validation")
        values = all_reduce_mean(row.clone()).to("cpu", torch.float64)
        full = torch.full((len(self.history.names),), float("nan"), dtype=torch.float64)
        full[[self.history.index(n) for n in names]] = values
        step = max(self._next_step - 1, 0) if step is None else int(step)
        self.history.add_validation(step, full)
        if self.recorder is not None:
            self.recorder.write(names, [step], values.reshape(1, -1), split="val")
        return new + self._dispatch([f for d in self.detectors for f in d.check_validation(self.history)])

    def extend(self, steps: Sequence[int], values: Mapping[str, Sequence[float]]) -> list[Finding]:
        """Feed many logged train steps at once (offline analysis); ``values`` maps each term, ``"total"`` first."""
        names = tuple(values)
        table = torch.tensor([list(map(float, values[n])) for n in names], dtype=torch.float64).T.reshape(-1, len(names))
        if self.history is None:
            self._start(names, torch.device("cpu"))
        check_names(self.history.names, names, what="the logged rows")
        found = []
        for lo in range(0, len(steps), self.read_every):
            found += self._absorb(list(steps[lo : lo + self.read_every]), table[lo : lo + self.read_every])
        if steps:
            self._next_step = int(steps[-1]) + 1
        return found

    def flush(self) -> list[Finding]:
        """Read the pending rows now (every rank must call it together); returns the new findings."""
        if self._buffer is None:
            return []
        steps, rows = self._buffer.drain(reduce=self._guard is None)
        if self._guard is not None:
            self.skipped_steps += [s for s, m in zip(steps, rows[:, -1].tolist()) if m == 0]
            rows = rows[:, :-1]
        return self._absorb(steps, rows) if steps else []

    close = flush

    def request_stop(self, finding: Finding) -> None:
        """Set :attr:`should_stop` (what the :class:`Stop` action calls)."""
        if not self.should_stop:
            self.should_stop, self.stop_reason = True, finding

    def _start(self, names: tuple[str, ...], device: torch.device) -> None:
        unknown = sorted(set(self.weights) - set(names))
        if unknown:
            raise InvalidParamError("Monitor", "weights", f"names {unknown}, which are not parts of the loss {names}")
        self.history = History(names, keep=self.keep, weights=self.weights)
        if self.recorder is not None:
            self.recorder.write_weights(self.weights)
        columns = len(names) + (1 if self.skip is not None else 0)
        self._buffer = DeviceBuffer(self.read_every, columns, device)
        if self.skip is not None:
            self._guard = StepGuard(self.skip, names, device)

    def _absorb(self, steps: list[int], rows: Tensor) -> list[Finding]:
        self.history.extend(steps, rows)
        if self.recorder is not None:
            self.recorder.write(self.history.names, steps, rows, split="train")
        found = [f for d in self.detectors for f in d.check(self.history, len(steps))]
        if self._guard is not None:
            self._guard.refresh(self.history, next((d for d in self.detectors if isinstance(d, Spike)), Spike()))
        return self._dispatch(found)

    def _dispatch(self, found: list[Finding]) -> list[Finding]:
        found.sort(key=lambda f: (f.step, f.detector, f.term))
        self.findings += found
        for finding in found:
            for action in self.actions:
                if action.matches(finding):
                    action(finding, self)
        return found

    def _one(self, device: torch.device, dtype: torch.dtype) -> Tensor:
        if self._ones is None or self._ones.device != device or self._ones.dtype != dtype:
            self._ones = torch.ones((), device=device, dtype=dtype)
        return self._ones


def _total_dtype(out: Any) -> torch.dtype:
    """The dtype of the loss's total, which the multiplier takes (so that ``loss * multiplier`` keeps it)."""
    total = out.get(TOTAL, out.get("loss")) if isinstance(out, Mapping) else (out[0] if isinstance(out, tuple) else out)
    return total.dtype if isinstance(total, Tensor) and total.is_floating_point() else torch.float32
