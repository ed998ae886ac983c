"""Helpers for float64 reference implementations, written independently of :mod:`losskit.reduction`.

A spec's ``reference(example, **params)`` recomputes the loss from its paper in
float64; these are the bookkeeping parts every reference needs, kept apart
from the implementation's code on purpose, so that a bug in the library's
reduction is not copied into the answer it is checked against.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["f64", "reduce_reference"]


def f64(x: Tensor) -> Tensor:
    """``x`` detached, on the CPU, in float64."""
    return x.detach().to("cpu", torch.float64)


def reduce_reference(
    losses: Tensor, reduction: str, *, weight: Tensor | None = None, denominator: float | None = None
) -> Tensor:
    """The documented reduction rule, in float64.

    ``weight`` multiplies the per-element losses (one per element, or one per
    sample along dim 0); ``'mean'`` is the sum over ``denominator`` (default: the
    number of elements), and ``0`` when that is ``0``.
    """
    losses = f64(losses) if losses.dtype != torch.float64 or losses.requires_grad else losses
    if weight is not None:
        w = f64(weight)
        losses = losses * (w if w.shape == losses.shape else w.reshape(-1, *[1] * (losses.dim() - 1)))
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    if reduction != "mean":
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    count = float(losses.numel() if denominator is None else denominator)
    return total / count if count else total * 0.0
