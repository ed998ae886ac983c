"""Underfitting: training and validation losses both high and both flat."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..history import History
from ..records import TOTAL, Finding
from .base import PENALTIES, Detector, fmt

__all__ = ["Underfitting"]


@dataclass
class Underfitting(Detector):
    r"""Flags a model that has stopped learning while both its losses are still high.

    Statistics, at each validation :math:`k`, for the training level :math:`m`
    (median of the last ``window`` train values) and the validation value :math:`v`:

    * flat: neither improved by more than ``min_delta`` (default 1%, relative)
      over the last ``patience`` validations (default 3): :math:`(m_{k-p} - m_k) / |m_{k-p}|`
      and :math:`(\min_{j<k-p+1} v_j - \min_{j>k-p} v_j) / |\min_{j<k-p+1} v_j|`;
    * high: both still above ``high`` (default 0.5) times the reference, i.e.
      less than halved: the ``reference`` you give (a chance level, such as
      ln(classes) for cross-entropy) or else the initial training level.

    Threshold: flat and high at once; one finding per term (weight penalties,
    matching ``ignore``, are left out). Without validation
    values, :class:`Plateau`'s ``warning`` (a plateau far above the start) is the
    training-only counterpart. Rule of thumb: both losses high and flat is
    underfitting. Source: Goodfellow, Bengio & Courville, Deep Learning (2016),
    sec. 5.2; Karpathy, A Recipe for Training Neural Networks (2019).
    """

    name = "underfitting"
    ignore: tuple[str, ...] = PENALTIES  # a weight penalty is the same on train and validation
    high: float = 0.5
    min_delta: float = 0.01
    patience: int = 3
    window: int = 50
    reference: float | Mapping[str, float] | None = None

    def check_validation(self, history: History) -> list[Finding]:
        findings = []
        step = int(history.val_steps[-1])
        for term in self.watched(history):
            v = float(history.val_column(term)[-1])
            train = history.level(term, width=self.window)
            if not (math.isfinite(v) and math.isfinite(train)):
                continue
            state = self.state(term, points=[], fired=False)
            points = state["points"]
            points.append((v, train))
            if state["fired"] or len(points) <= self.patience:
                continue
            earlier, recent = points[: -self.patience], points[-self.patience :]
            best_before = min(p[0] for p in earlier)
            val_gain = (best_before - min(p[0] for p in recent)) / max(abs(best_before), 1e-12)
            train_then = earlier[-1][1]
            train_gain = (train_then - train) / max(abs(train_then), 1e-12)
            reference = self._reference(history, term)
            if not math.isfinite(reference):
                continue
            high = all(reference - x < (1 - self.high) * abs(reference) for x in (v, train))
            if high and max(val_gain, train_gain) < self.min_delta:
                state["fired"] = True
                findings.append(self.finding(
                    term, step, f"{term!r} is flat and high: training {fmt(train)} and validation {fmt(v)}, "
                    f"both above {self.high:.0%} of the reference {fmt(reference)}, improved by at most "
                    f"{max(val_gain, train_gain):.1%} over the last {self.patience} validations.",
                    statistic=f"relative improvement over {self.patience} validations", value=max(val_gain, train_gain),
                    threshold=self.min_delta, split="val", train=train, reference=reference,
                ))
        return findings

    def _reference(self, history: History, term: str) -> float:
        if isinstance(self.reference, Mapping):
            given = self.reference.get(term)
        else:
            given = self.reference if term == TOTAL else None
        return float(given) if given is not None else history.initial(term)
