"""What every detector shares: the :class:`Detector` interface and the way a finding is made.

A detector is a small stateful object with its thresholds as dataclass
fields. The monitor calls :meth:`Detector.check` after each batch of train
rows reaches the host (the last ``new`` rows of the history are new), and
:meth:`Detector.check_validation` after each validation point. Detectors keep
their own per-term state (a latch, so one episode gives one finding, and the
running best levels); :meth:`Detector.reset` forgets it.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..diagnoses import diagnosis
from ..history import History
from ..records import TOTAL, Finding, Severity

__all__ = ["PENALTIES", "Detector"]

#: Glob patterns of the parts that regularise the weights rather than fit the data (``l2_penalty``,
#: ``elastic_net``): small by design, the same on train and validation; left out by the detectors that
#: compare a part with the data (balance, overfitting, underfitting).
PENALTIES: tuple[str, ...] = ("*penalty*", "elastic_net*", "weight_decay*")


@dataclass
class Detector:
    """Base class: subclasses set :attr:`name`, declare their thresholds as fields and override a check."""

    name: ClassVar[str] = "detector"
    #: Which terms it watches: ``"all"`` (the total and every part) or ``"total"``.
    terms: str = "all"
    #: Glob patterns of part names it leaves out (the total is always watched).
    ignore: tuple[str, ...] = ()
    _state: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def check(self, history: History, new: int) -> list[Finding]:
        """Findings among the last ``new`` train rows of ``history``."""
        return []

    def check_validation(self, history: History) -> list[Finding]:
        """Findings at the last validation point of ``history``."""
        return []

    def reset(self) -> None:
        self._state.clear()

    def watched(self, history: History) -> tuple[str, ...]:
        """The terms it looks at: the total, and the parts not matching ``ignore`` (unless ``terms="total"``)."""
        if self.terms == TOTAL:
            return (TOTAL,)
        return tuple(n for n in history.names if n == TOTAL or not self.ignores(n))

    def ignores(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.ignore)

    def state(self, term: str, **initial: Any) -> dict[str, Any]:
        """This detector's mutable state for ``term``, created from ``initial`` on first use."""
        return self._state.setdefault(term, dict(initial))

    def finding(
        self, term: str, step: int, message: str, *, statistic: str, value: float, threshold: float,
        severity: Severity = "warning", variant: str | None = None, split: str = "train", **details: Any,
    ) -> Finding:
        """A :class:`Finding` carrying this detector's diagnosis (``variant`` selects ``name/variant``)."""
        dx = diagnosis(f"{self.name}/{variant}" if variant else self.name)
        return Finding(
            detector=self.name, term=term, step=int(step), severity=severity, message=message, statistic=statistic,
            value=float(value), threshold=float(threshold), split=split, causes=dx.causes, remedies=dx.remedies,
            details={k: (float(v) if isinstance(v, float) else v) for k, v in details.items()},
        )


def fmt(x: float) -> str:
    """A loss value for a message: 4 significant digits, ``nan``/``inf`` as such."""
    return f"{x:.4g}" if math.isfinite(x) else str(x)
