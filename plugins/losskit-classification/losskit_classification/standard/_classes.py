"""Shared handling of class-index targets: shape checks, per-class weights, the weights of kept targets.

``input`` is ``(N, C, d_1, ..., d_K)`` (class scores along dim 1, like torch) and
``target`` is ``(N, d_1, ..., d_K)`` of ``torch.long`` class indices.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Param
from losskit.errors import LossInputError
from losskit.inputs import check_class_indices, check_floating, check_tensor, check_value_set

#: The per-class weights of the class-index losses; ``weight=`` also names them, as torch's ``CrossEntropyLoss``,
#: ``NLLLoss``, ``MultiMarginLoss`` and ``MultiLabelSoftMarginLoss`` do (a tensor or a sequence of floats).
CLASS_WEIGHTS = Param(
    "class_weights",
    None,
    "one weight per class (length C), or None for equal weights; weight= (torch's name) is the same parameter",
    type=tuple,
    ge=0,
    nullable=True,
    aliases=("weight",),
)


def check_class_input(owner: str, input: Tensor) -> None:
    """Floating ``input`` of shape ``(N, C, *)``."""
    check_floating(owner, "input", input)
    if input.dim() < 2:
        raise LossInputError(
            f"{owner}: input must have shape (N, C) or (N, C, d1, ...), got {tuple(input.shape)}. "
            "For a single sample use input.unsqueeze(0)."
        )


def check_class_target(
    owner: str, input: Tensor, target: Tensor, *, ignore_index: int | None = None, values: bool = True
) -> Tensor:
    """``input (N, C, *)`` floating and ``target (N, *)`` integer class indices in ``[0, C)`` (any integer dtype);
    returns them as int64. ``values=False``: the shapes only, for an int64 target that torch's kernel range-checks
    itself (see ``_kernel_checks``); any other dtype is checked in full."""
    check_class_input(owner, input)
    check_tensor(owner, "target", target)
    expected = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        hint = ""
        if target.shape == input.shape:
            hint = " A target of the input's shape looks one-hot or soft: pass class indices target.argmax(1)."
        raise LossInputError(
            f"{owner}: target must hold one class index per sample, shape {expected} for input "
            f"{tuple(input.shape)}, got {tuple(target.shape)}.{hint}"
        )
    if not values and target.dtype is torch.int64:
        return target
    return check_class_indices(owner, target, input.shape[1], ignore_index=ignore_index)


def check_signs(owner: str, target: Tensor) -> None:
    """Floating targets holding only -1 and +1."""
    check_floating(owner, "target", target)
    check_value_set(owner, "target", target, (-1, 1), "For {0, 1} labels use 2 * target - 1.")


def class_weight_tensor(owner: str, weights: tuple[float, ...] | None, input: Tensor) -> Tensor | None:
    """The per-class weights as a ``(C,)`` tensor of ``input``'s dtype and device."""
    if weights is None:
        return None
    num_classes = input.shape[1]
    if len(weights) != num_classes:
        raise LossInputError(
            f"{owner}: class_weights has {len(weights)} values but the input has {num_classes} classes "
            "along dim 1. Give one weight per class."
        )
    return torch.tensor(weights, dtype=input.dtype, device=input.device)


def kept_weights(target: Tensor, ignore_index: int, class_weights: Tensor | None, dtype: torch.dtype) -> Tensor:
    """Per-target weight ``w_{y_n}`` (1 without class weights), 0 where ``target == ignore_index``.

    Their sum is the ``'mean'`` denominator of cross-entropy and NLL (``mean_denominator='weights'``).
    """
    kept = target != ignore_index
    if class_weights is None:
        return kept.to(dtype)
    return torch.where(kept, class_weights[torch.where(kept, target, 0)], 0).to(dtype)


def nan_rows(loss: Tensor, input: Tensor) -> Tensor:
    """``loss`` (one value per row of ``input``) made NaN where the row holds a NaN: torch's margin kernels
    test ``margin - x_y + x_i > 0``, which is false for NaN, and would score such a row as a finite number."""
    return torch.where(input.isnan().any(dim=1), torch.nan, loss)
