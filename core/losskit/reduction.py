"""The shared ``reduction`` argument and optional per-element ``weight``.

Semantics, the same for every loss unless its spec declares otherwise:

* ``"none"``: the per-element losses, unchanged in shape;
* ``"sum"``: their sum;
* ``"mean"``: their sum divided by their number, or by the ``denominator``
  a loss declares (the number of kept targets, the sum of class weights...).
  A zero denominator gives ``0`` (torch gives ``nan``), so that a batch with
  nothing to learn from leaves training finite: the one convention for every loss.

A ``weight`` tensor multiplies the per-element losses before reduction (torch's
convention for ``BCELoss(weight=...)``: the mean still divides by the number of
elements, not by the sum of the weights). It has the shape of the
per-element loss, or ``(N,)`` for one weight per sample.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from .errors import LossInputError
from .precision import LOW_PRECISION

__all__ = ["Reduction", "mean_over", "reduce", "torch_reduces", "weighted"]

Reduction = Literal["mean", "sum", "none"]


def torch_reduces(input: Tensor, reduction: str, weight: Tensor | None) -> bool:
    """Whether a torch loss kernel's own ``reduction=`` gives :func:`reduce`'s result for ``input``.

    True without a ``weight``, for a float32 or float64 ``input`` (half and bfloat16 ones compute in
    float32 and are returned in their dtype, see :mod:`losskit.precision`), and for ``'sum'``, ``'none'``
    or a ``'mean'`` over a non-empty input (torch's mean of nothing is ``nan``, losskit's ``0``). Then
    the fused kernel reduces: one autograd node instead of three, e.g. in ``mse``::

        if torch_reduces(input, reduction, weight):
            return F.mse_loss(input, target, reduction=reduction)
        loss = F.mse_loss(working(input), target, reduction="none")
        return reduce(output(loss, input), reduction, weight=weight, owner="mse")
    """
    if weight is not None or input.dtype in LOW_PRECISION:
        return False
    return reduction == "sum" or reduction == "none" or (reduction == "mean" and input.numel() > 0)


def weighted(loss: Tensor, weight: Tensor | None, *, owner: str) -> Tensor:
    """``loss * weight``, with ``weight`` of ``loss``'s shape or one value per sample."""
    if weight is None:
        return loss
    if not isinstance(weight, Tensor):
        raise LossInputError(f"{owner}: weight must be a tensor, got {type(weight).__name__}.")
    if not weight.is_floating_point():
        raise LossInputError(
            f"{owner}: weight must be a floating-point tensor, got {weight.dtype}. Use weight.float()."
        )
    if weight.shape == loss.shape:
        return loss * weight
    if weight.dim() == 1 and loss.dim() >= 1 and weight.shape[0] == loss.shape[0]:
        return loss * weight.view(-1, *([1] * (loss.dim() - 1)))
    raise LossInputError(
        f"{owner}: weight must have the per-element loss shape {tuple(loss.shape)} "
        f"or one value per sample ({loss.shape[0] if loss.dim() else 1},), got {tuple(weight.shape)}."
    )


def reduce(
    loss: Tensor,
    reduction: str,
    *,
    weight: Tensor | None = None,
    denominator: Tensor | float | None = None,
    owner: str = "loss",
) -> Tensor:
    """Apply ``weight`` then ``reduction`` to a tensor of per-element losses.

    ``'mean'`` divides the sum by ``denominator`` (default: the number of
    elements); see :func:`mean_over` for a zero denominator.
    """
    if weight is not None:
        loss = weighted(loss, weight, owner=owner)
    if reduction == "mean":
        if denominator is None:  # torch's mean: one autograd node; of nothing, 0 rather than nan
            return loss.mean() if loss.numel() else loss.sum() * 0.0
        return mean_over(loss.sum(), denominator)
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise LossInputError(f"{owner}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def mean_over(total: Tensor, denominator: Tensor | float) -> Tensor:
    """``total / denominator``, and ``0`` (with a finite gradient) where the denominator is zero.

    A denominator in ``(0, 1)`` (a sum of small class weights) divides as it is.
    """
    if not isinstance(denominator, Tensor):
        return total / denominator if denominator else total * 0.0
    denominator = denominator.to(total.dtype)
    nonzero = denominator != 0
    return torch.where(nonzero, total / torch.where(nonzero, denominator, 1), total * 0.0)
