"""The skip-step multiplier, decided on the device: 1 for a normal step, 0 for one to skip; no host sync."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import Tensor

from .actions import SkipStep
from .detectors.spike import Spike
from .history import History
from .records import TOTAL

__all__ = ["StepGuard", "zero_skipped_grads"]


class StepGuard:
    """Compares each step's row of values with per-term limits that live on the device.

    The limits are refreshed from the host after every read (the spike limit
    of each term as of then, and the caps); between reads, each step costs
    two small comparisons on the device and returns a 0-dim tensor.
    """

    def __init__(self, skip: SkipStep, names: Sequence[str], device: torch.device) -> None:
        self.skip = skip
        caps = skip.cap if isinstance(skip.cap, Mapping) else ({TOTAL: skip.cap} if skip.cap is not None else {})
        unknown = sorted(set(caps) - set(names))
        if unknown:
            raise ValueError(f"SkipStep: cap given for {unknown}, which are not terms of this loss: {list(names)}")
        self.caps = torch.tensor([float(caps.get(n, math.inf)) for n in names], dtype=torch.float64)
        self.limits = self.caps.to(device=device, dtype=torch.float32)

    def refresh(self, history: History, spike: Spike | None) -> None:
        """New limits after a read: the lower of the cap and, with ``spike``, the spike detector's limit."""
        limits = self.caps
        if self.skip.spike and spike is not None:
            limits = torch.minimum(limits, spike.upper_limits(history))
        self.limits = limits.to(device=self.limits.device, dtype=torch.float32, non_blocking=True)

    def multiplier(self, row: Tensor, dtype: torch.dtype) -> Tensor:
        """0-dim: 0 to skip the step whose values are ``row``, else 1, in ``dtype`` on ``row``'s device."""
        finite = torch.isfinite(row)
        ok = ((row <= self.limits) | ~finite).all()
        if self.skip.nonfinite:
            ok = ok & finite.all()
        return ok.to(dtype)


def zero_skipped_grads(parameters: Iterable[torch.nn.Parameter] | Iterable[Tensor], multiplier: Tensor) -> None:
    """Zero, in place and on the device, the gradients of a step whose multiplier is 0.

    ``loss * 0`` zeroes the gradient of a finite loss; a NaN or infinite loss
    still back-propagates NaN (0 x NaN = NaN). Call this after ``backward()``
    and before ``optimizer.step()`` to skip such a step without a host sync.
    (Optimizers with momentum still move the weights by their running averages.)
    """
    skip = multiplier == 0
    for p in parameters:
        if p.grad is not None:
            p.grad.masked_fill_(skip.to(p.grad.device), 0.0)
