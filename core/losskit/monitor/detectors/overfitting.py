"""Overfitting: the validation loss rises above its best while the training loss keeps falling."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..history import History
from ..records import Finding
from .base import PENALTIES, Detector, fmt

__all__ = ["Overfitting"]


@dataclass
class Overfitting(Detector):
    r"""Flags a growing train/validation gap: validation worse than its best, training still better.

    Statistic: Prechelt's generalisation loss at each validation,
    :math:`GL = v_k / \min_{j \le k} v_j - 1` (relative to :math:`|\min v|`
    in general), with the training level :math:`m_k` (median of the last
    ``window`` train values before the validation) no higher than it was at
    the best validation, so the gap :math:`v_k - m_k` has grown. Threshold:
    ``GL > tolerance`` (default 0.05, Prechelt's :math:`GL_5`) at ``patience``
    consecutive validations (default 2). One finding per episode; a new best
    validation re-arms it. Parts matching ``ignore`` (weight penalties) are left out. Rule of thumb: a falling training loss with a rising
    validation loss is overfitting. Source: Prechelt, Early Stopping - But
    When? (Neural Networks: Tricks of the Trade, 1998).
    """

    name = "overfitting"
    ignore: tuple[str, ...] = PENALTIES  # a weight penalty is the same on train and validation
    tolerance: float = 0.05
    patience: int = 2
    window: int = 50

    def check_validation(self, history: History) -> list[Finding]:
        findings = []
        step = int(history.val_steps[-1])
        for term in self.watched(history):
            v = float(history.val_column(term)[-1])
            if not math.isfinite(v):
                continue
            train = history.level(term, width=self.window)
            state = self.state(term, best=None, train_at_best=math.nan, count=0, fired=False)
            if state["best"] is None or v < state["best"]:
                state.update(best=v, train_at_best=train, best_step=step, count=0, fired=False)
                continue
            best = state["best"]
            gl = (v - best) / max(abs(best), 1e-12)
            falling = not (math.isfinite(train) and math.isfinite(state["train_at_best"])) or \
                train <= state["train_at_best"]
            state["count"] = state["count"] + 1 if gl > self.tolerance and falling else 0
            if state["count"] >= self.patience and not state["fired"]:
                state["fired"] = True
                gap, gap_then = v - train, best - state["train_at_best"]
                findings.append(self.finding(
                    term, step, f"validation {term!r} is {fmt(v)}, {gl:.0%} above its best {fmt(best)} "
                    f"(step {state['best_step']}) while training fell from {fmt(state['train_at_best'])} to "
                    f"{fmt(train)}: the gap grew from {fmt(gap_then)} to {fmt(gap)}.",
                    statistic="generalisation loss GL = val / best val - 1", value=gl, threshold=self.tolerance,
                    split="val", best=best, best_step=state["best_step"], gap=gap, gap_at_best=gap_then,
                ))
        return findings
