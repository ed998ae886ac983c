"""Oscillation: step-to-step changes that alternate in sign more than noise would (overshooting)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import stats
from ..history import History
from ..records import Finding
from .base import Detector, fmt

__all__ = ["Oscillation"]


@dataclass
class Oscillation(Detector):
    r"""Flags a curve that zig-zags: each change undoes the previous one, beyond what noise does.

    Statistic: :math:`\rho_1`, the lag-1 autocorrelation of the first
    differences :math:`d_t = x_t - x_{t-1}` over the last ``window`` steps.
    Independent noise around any smooth trend gives :math:`\rho_1 \approx -0.5`
    (differencing white noise makes an MA(1) with coefficient -1), with a
    standard deviation of about :math:`0.71/\sqrt{w}` (0.06 for 128 steps); a smooth
    descent gives values near +1; overshooting, where every step jumps across
    the valley, drives it towards -1 (a period-2 alternation gives exactly -1).
    A curve whose values are all positive is read as :math:`\log x`
    (``log_scale``): its noise is then closer to identically distributed,
    which keeps real minibatch curves near -0.5 (on raw values, heavy-tailed
    noise spreads the statistic further).
    Threshold: :math:`\rho_1 <` ``threshold`` (default -0.75, four standard
    deviations below noise), with a swing size (median :math:`|d_t|` over
    :math:`|\text{median}\ x|`) of at least ``min_amplitude`` (default 1%), so
    that numerical jitter is not flagged. It re-arms once :math:`\rho_1` is back above
    ``release``. Rule of thumb: violent oscillation means the learning rate is
    too high (or the momentum, for the curvature) or the batch too small.
    Source: LeCun et al. (1998); Goh, Why Momentum Really Works (Distill, 2017).
    Oscillations with periods of more than ~3 steps are not flagged.
    """

    name = "oscillation"
    window: int = 128
    threshold: float = -0.75
    min_amplitude: float = 0.01
    release: float = -0.6
    #: Read positive curves on a log scale, where minibatch noise is closer to independent and identical.
    log_scale: bool = True

    def check(self, history: History, new: int) -> list[Finding]:
        findings = []
        steps = history.steps[-new:].tolist()
        for term in self.watched(history):
            x = history.column(term)
            recent = x[-(new + self.window) :]
            logged = self.log_scale and bool((recent[torch.isfinite(recent)] > 0).all())
            windows = stats.trailing_windows(x.log() if logged else x, new, self.window + 1, include_current=True)
            complete = stats.counts(windows) == self.window + 1
            rho = stats.lag1_autocorrelation(windows)
            level = stats.median(windows)
            swing = windows.diff(dim=-1).abs().nanmedian(dim=-1).values
            amplitude = swing.expm1() if logged else stats.relative(swing, level)
            level = level.exp() if logged else level
            flips = ((windows.diff(dim=-1)[:, 1:] * windows.diff(dim=-1)[:, :-1]) < 0).double().mean(dim=-1)
            state = self.state(term, armed=True)
            rows = zip(steps, rho.tolist(), amplitude.tolist(), complete.tolist(), level.tolist(), flips.tolist())
            for step, r, amp, ok, lvl, flip in rows:
                if not ok or r != r:  # incomplete window, or a flat one (no autocorrelation)
                    continue
                if state["armed"] and r < self.threshold and amp >= self.min_amplitude:
                    state["armed"] = False
                    findings.append(self.finding(
                        term, step, f"{term!r} zig-zags: consecutive changes are anti-correlated (lag-1 "
                        f"autocorrelation {r:.2f}, noise gives -0.5) with swings of {amp:.0%} of its level "
                        f"{fmt(lvl)} over the last {self.window} steps.",
                        statistic=f"lag-1 autocorrelation of the differences over {self.window} steps",
                        value=r, threshold=self.threshold, amplitude=amp, sign_changes=flip,
                    ))
                elif not state["armed"] and r > self.release:
                    state["armed"] = True
        return findings
