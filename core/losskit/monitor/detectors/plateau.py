"""Plateaus: the windowed median has not improved by ``min_delta`` (relative) for ``patience`` steps."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import stats
from ..history import History
from ..records import Finding
from .base import PENALTIES, Detector, fmt

__all__ = ["Plateau"]


@dataclass
class Plateau(Detector):
    r"""Flags a curve whose level stopped improving: early stopping's patience and min_delta, per term.

    Statistic: the level :math:`m_t` (median of the last ``window`` values) and
    its best so far :math:`b`; an improvement is :math:`m_t < b\,(1 - \text{min\_delta})`
    (for a positive loss; relative to :math:`|b|` in general). Threshold:
    no improvement for ``patience`` steps (defaults: 1% in 500 steps, level
    over 200 steps; a window of 100 doubles the false plateaus on noisy
    curves). One finding per plateau; an improvement re-arms it.
    Severity ``warning`` when the level is still above ``high`` (default 0.5)
    times the initial level, a plateau far above the start (stuck: too low a
    learning rate, vanishing gradients, too little capacity); ``info`` below
    (converged at this learning rate). Rule of thumb: a long plateau means too
    little capacity, vanishing gradients or too low a learning rate. Source: Keras ``EarlyStopping``
    (``patience``, ``min_delta``) and torch ``ReduceLROnPlateau``. Weight penalties
    (``ignore``) are left out: they need not keep falling.
    """

    name = "plateau"
    ignore: tuple[str, ...] = PENALTIES  # a weight penalty need not keep falling
    window: int = 200
    patience: int = 500
    min_delta: float = 0.01
    high: float = 0.5

    def check(self, history: History, new: int) -> list[Finding]:
        findings = []
        steps = history.steps[-new:].tolist()
        for term in self.watched(history):
            windows = stats.trailing_windows(history.column(term), new, self.window, include_current=True)
            levels = stats.median(windows)
            ready = (stats.counts(windows) >= self.window // 2) & torch.isfinite(levels)
            state = self.state(term, best=None, since=None, low=math.inf, fired=False)
            for step, level, ok in zip(steps, levels.tolist(), ready.tolist()):
                if not ok:
                    continue
                if state["best"] is None or level < state["best"] - self.min_delta * abs(state["best"]):
                    state.update(best=level, since=step, low=level, fired=False)
                    continue
                state["low"] = min(state["low"], level)
                if not state["fired"] and step - state["since"] >= self.patience:
                    state["fired"] = True
                    findings.append(self._finding(history, term, step, level, state))
        return findings

    def _finding(self, history: History, term: str, step: int, level: float, state: dict) -> Finding:
        best, initial = state["best"], history.initial(term)
        gain = float(stats.relative(best - state["low"], best))
        stuck = math.isfinite(initial) and (initial - level) < (1 - self.high) * abs(initial)
        where = f"still {level / initial:.0%} of its initial level {fmt(initial)}" if stuck and initial else \
            f"down from {fmt(initial)} at the start"
        return self.finding(
            term, step, f"{term!r} has not improved by {self.min_delta:.0%} for {step - state['since']} steps "
            f"(level {fmt(level)}, {where}).",
            statistic=f"relative improvement of the median over {self.window} steps, for {self.patience} steps",
            value=gain, threshold=self.min_delta, severity="warning" if stuck else "info",
            variant="high" if stuck else "low", level=level, initial=initial, since=state["since"],
        )
