"""Robust statistics over loss curves, vectorised over windows (host float64 tensors, NaN = no value).

Every detector reads the curve through these few functions, so that a
detector's body is its rule, not its arithmetic.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["MAD_TO_SIGMA", "counts", "lag1_autocorrelation", "mad", "median", "relative", "trailing_windows"]

#: 1 / Phi^-1(3/4): the MAD of a normal distribution times this is its standard deviation.
MAD_TO_SIGMA = 1.4826


def trailing_windows(x: Tensor, new: int, width: int, *, include_current: bool) -> Tensor:
    """``(new, width)``: for each of the last ``new`` values of ``x``, the ``width`` values before it.

    With ``include_current`` the window ends at the value itself. Positions
    before the start of ``x`` are NaN, so that an early window holds fewer values.
    """
    n = x.shape[0]
    shift = 1 if include_current else 0
    padded = torch.cat([x.new_full((width,), math.nan), x])
    segment = padded[n - new + shift : n + width - 1 + shift]
    return segment.unfold(0, width, 1)


def median(windows: Tensor) -> Tensor:
    """The median of each row, ignoring NaN (NaN for a row with no value)."""
    return windows.nanmedian(dim=-1).values


def mad(windows: Tensor, center: Tensor) -> Tensor:
    """The median absolute deviation of each row from ``center``, ignoring NaN."""
    return (windows - center.unsqueeze(-1)).abs().nanmedian(dim=-1).values


def counts(windows: Tensor) -> Tensor:
    """How many values (not NaN) each row holds."""
    return (~windows.isnan()).sum(dim=-1)


def lag1_autocorrelation(windows: Tensor) -> Tensor:
    """The lag-1 autocorrelation of each row's first differences (NaN where a row holds a NaN).

    White noise gives -0.5 (differencing makes an MA(1) with coefficient -1),
    a smooth trend close to +1, and a period-2 alternation -1.
    """
    d = windows.diff(dim=-1)
    d = d - d.mean(dim=-1, keepdim=True)
    denominator = d.square().sum(dim=-1)
    r = (d[..., 1:] * d[..., :-1]).sum(dim=-1) / denominator
    return torch.where(denominator > 0, r, torch.full_like(r, math.nan))


def relative(change: Tensor | float, level: Tensor | float, floor: float = 1e-12) -> Tensor:
    """``change / max(|level|, floor)``: a change in units of the level, defined for a level near 0."""
    level = torch.as_tensor(level, dtype=torch.float64)
    return torch.as_tensor(change, dtype=torch.float64) / level.abs().clamp_min(floor)
