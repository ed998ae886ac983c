"""Divergence: the loss rises to a multiple of the best level it reached, and stays there (or passes a cap)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .. import stats
from ..history import History
from ..records import TOTAL, Finding
from .base import Detector, fmt

__all__ = ["Divergence"]


@dataclass
class Divergence(Detector):
    r"""Flags a sustained rise of the running level over the best level so far, or a value above a cap.

    Statistic: the level :math:`m_t`, the median of the last ``window`` values
    (a median, so a few spikes do not move it: it rises only when more than
    half the window is up), against the best level so far
    :math:`b_t = \min_{s \le t} m_s`:

    .. math::
        r_t = 1 + \frac{m_t - b_t}{\max(|b_t|,\ \text{floor} \cdot |m_0|)}

    which is :math:`m_t / b_t` for a positive loss; ``floor`` (default 0.05 of
    the initial level :math:`m_0`) keeps a loss that fell near 0 from
    "doubling" on noise: it must then rise by 5% of where it started.
    Threshold: ``r_t >= ratio`` (default 2: the level doubled), after
    ``warmup`` steps; one finding per episode (it re-arms once ``r_t`` falls
    back below ``1 + (ratio - 1) / 4``, near the best level). ``cap``: a value above it is flagged at once,
    ``critical`` (a number applies to the total, a mapping per term).
    Rule of thumb: a loss that keeps rising means the learning rate is above
    the stability limit 2/lambda_max. Source: LeCun, Bottou, Orr & Mueller, Efficient BackProp (1998).
    """

    name = "divergence"
    window: int = 64
    warmup: int = 64
    ratio: float = 2.0
    floor: float = 0.05
    cap: float | Mapping[str, float] | None = None

    def check(self, history: History, new: int) -> list[Finding]:
        findings = []
        steps = history.steps[-new:].tolist()
        for term in self.watched(history):
            x = history.column(term)
            findings += self._capped(term, x[-new:].tolist(), steps)
            windows = stats.trailing_windows(x, new, self.window, include_current=True)
            levels = stats.median(windows)
            ready = (stats.counts(windows) >= min(self.warmup, self.window)) & torch.isfinite(levels)
            initial = history.initial(term)
            state = self.state(term, best=math.inf, armed=True)
            for row, (level, ok) in enumerate(zip(levels.tolist(), ready.tolist())):
                if not ok:
                    continue
                state["best"] = min(state["best"], level)
                best = state["best"]
                scale = max(abs(best), self.floor * abs(initial) if math.isfinite(initial) else 0.0, 1e-12)
                r = 1 + (level - best) / scale
                if state["armed"] and r >= self.ratio:
                    state["armed"] = False
                    findings.append(self.finding(
                        term, steps[row], f"{term!r} has risen to {fmt(level)} (median of the last {self.window} "
                        f"steps), {r:.2f} times its best level {fmt(best)}.",
                        statistic=f"level / best level (medians over {self.window} steps)", value=r,
                        threshold=self.ratio, level=level, best=best,
                    ))
                elif not state["armed"] and r < 1 + (self.ratio - 1) / 4:
                    state["armed"] = True
        return findings

    def _capped(self, term: str, values: list[float], steps: list[int]) -> list[Finding]:
        cap = self.cap.get(term) if isinstance(self.cap, Mapping) else (self.cap if term == TOTAL else None)
        if cap is None:
            return []
        state = self.state(term, best=math.inf, armed=True)
        findings = []
        for value, step in zip(values, steps):
            above = value > cap  # False for NaN: NonFinite reports those
            if above and not state.get("capped"):
                findings.append(self.finding(
                    term, step, f"{term!r} is {fmt(value)} at step {step}, above its cap {fmt(cap)}.",
                    statistic="value", value=value, threshold=cap, severity="critical",
                ))
            state["capped"] = above
        return findings
