"""Spikes: a value far above the recent robust level (an outlier batch, exploding gradients)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .. import stats
from ..history import History
from ..records import Finding
from .base import Detector, fmt

__all__ = ["Spike"]


@dataclass
class Spike(Detector):
    r"""Flags a step whose value is far above the robust level of the steps before it.

    Statistic: the robust z-score of each value against the ``window`` values
    before it,

    .. math::
        z_t = \frac{x_t - \mathrm{med}(x_{t-w..t-1})}{\max(1.4826\,\mathrm{MAD}(x_{t-w..t-1}),\ \epsilon\,|\mathrm{med}|)}

    (1.4826 MAD estimates the standard deviation of normal noise, and is not
    moved by earlier spikes; :math:`\epsilon` = ``min_scale``, default 0.02, so
    that on a smooth curve a spike is a jump of at least 12%). A curve whose values are all positive is scored
    on :math:`\log x` (``log_scale``): minibatch losses are right-skewed
    (squared errors are chi-square-like), and symmetric on a log scale, where
    a z of 6 is as rare as it is for normal noise. Threshold: ``z > threshold`` (default 6;
    ``|z| > threshold`` with ``two_sided``), once the window holds ``warmup``
    finite values. Consecutive flagged steps within ``cooldown`` steps of each
    other are one episode and one finding. Rule of thumb: a sudden jump means an
    outlier batch or exploding gradients. Source: the modified z-score of Iglewicz & Hoaglin (1993, who flag ``|z| > 3.5`` in a
    single sample; a curve tests every step, hence 6); large-model trainers
    skip steps whose z-score over ~128 steps exceeds ~6.
    """

    name = "spike"
    window: int = 128
    warmup: int = 64
    threshold: float = 6.0
    two_sided: bool = False
    #: Floor of the noise scale, relative to the level: a curve with no noise is not all spikes.
    min_scale: float = 0.02
    #: Score positive curves on a log scale, where multiplicative minibatch noise is symmetric.
    log_scale: bool = True
    cooldown: int = 16

    def zscores(self, x: Tensor, new: int) -> tuple[Tensor, Tensor]:
        """The z-scores of the last ``new`` values of ``x`` and the levels they were measured from."""
        logged = self._logged(x[-(new + self.window) :])
        y = x.log() if logged else x
        windows = stats.trailing_windows(y, new, self.window, include_current=False)
        center, scale = self._center_scale(windows, logged)
        z = (y[-new:] - center) / scale
        usable = (stats.counts(windows) >= self.warmup) & torch.isfinite(x[-new:])  # non-finite: NonFinite's job
        z = torch.where(usable, z, torch.full_like(z, math.nan))
        return z, center.exp() if logged else center

    def upper_limits(self, history: History) -> Tensor:
        """For each term, the value above which the next step would be a spike (inf during warm-up)."""
        limits = []
        for name in history.names:
            x = history.column(name)[-self.window :]
            logged = self._logged(x)
            windows = (x.log() if logged else x).reshape(1, -1)
            center, scale = self._center_scale(windows, logged)
            limit = float(center[0] + self.threshold * scale[0])
            limit = math.exp(min(limit, 700.0)) if logged else limit
            enough = bool(stats.counts(windows)[0] >= self.warmup) and math.isfinite(limit)
            limits.append(limit if enough else math.inf)
        return torch.tensor(limits, dtype=torch.float64)

    def _logged(self, x: Tensor) -> bool:
        finite = x[torch.isfinite(x)]
        return self.log_scale and bool(finite.numel()) and bool((finite > 0).all())

    def _center_scale(self, windows: Tensor, logged: bool) -> tuple[Tensor, Tensor]:
        center = stats.median(windows)
        floor = torch.full_like(center, self.min_scale) if logged else self.min_scale * center.abs()
        scale = (stats.MAD_TO_SIGMA * stats.mad(windows, center)).maximum(floor)
        return center, scale.clamp_min(1e-12)

    def check(self, history: History, new: int) -> list[Finding]:
        findings = []
        steps = history.steps[-new:]
        for term in self.watched(history):
            z, level = self.zscores(history.column(term), new)
            flagged = (z.abs() if self.two_sided else z) > self.threshold
            state = self.state(term, last=None)
            for row in flagged.nonzero().flatten().tolist():
                step = int(steps[row])
                recent = state["last"] is not None and step - state["last"] <= self.cooldown
                state["last"] = step
                if recent:
                    continue
                value = float(history.column(term)[-new + row])
                findings.append(self.finding(
                    term, step, f"{term!r} jumped to {fmt(value)} at step {step}, {float(z[row]):.1f} robust standard "
                    f"deviations above its level {fmt(float(level[row]))} over the previous {self.window} steps.",
                    statistic=f"robust z-score over {self.window} steps", value=float(z[row]),
                    threshold=self.threshold, level=float(level[row]), loss=value,
                ))
        return findings
