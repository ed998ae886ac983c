"""Checks of the tensors passed to a loss, with messages that say how to fix them.

Checks that read tensor values (class-index ranges) synchronise with the device
and break ``torch.compile`` graphs; they are skipped while compiling.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .errors import LossInputError

__all__ = [
    "check_class_indices",
    "check_floating",
    "check_ndim",
    "check_same_shape",
    "check_tensor",
    "check_value_set",
    "check_values_in",
]


def _compiling() -> bool:
    return torch.compiler.is_compiling()


def check_tensor(owner: str, what: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise LossInputError(f"{owner}: {what} must be a torch.Tensor, got {type(x).__name__}.")
    return x


def check_floating(owner: str, what: str, x: Any) -> Tensor:
    check_tensor(owner, what, x)
    if not x.is_floating_point():
        raise LossInputError(
            f"{owner}: {what} must be a floating-point tensor, got {x.dtype}. Convert it with {what}.float()."
        )
    return x


def check_same_shape(owner: str, input: Tensor, target: Tensor, *, floating: bool = False) -> None:
    """Refuse silent broadcasting between input and target (torch only warns); ``floating``: input too."""
    check_floating(owner, "input", input) if floating else check_tensor(owner, "input", input)
    check_tensor(owner, "target", target)
    if input.shape != target.shape:
        raise LossInputError(
            f"{owner} expects input and target of the same shape, got {tuple(input.shape)} and "
            f"{tuple(target.shape)}; broadcasting them would compare every prediction with every "
            "target. Reshape one of them."
        )


def check_ndim(owner: str, what: str, x: Tensor, allowed: tuple[int, ...], shape_doc: str) -> None:
    if x.dim() not in allowed:
        raise LossInputError(f"{owner}: {what} must have shape {shape_doc}, got {tuple(x.shape)}.")


def check_class_indices(
    owner: str, target: Tensor, num_classes: int, *, ignore_index: int | None = None
) -> None:
    """Integer class indices in ``[0, num_classes)``, or equal to ``ignore_index``."""
    check_tensor(owner, "target", target)
    if target.is_floating_point() or target.dtype == torch.bool or target.is_complex():
        raise LossInputError(
            f"{owner}: target must hold integer class indices (torch.long), got {target.dtype}. "
            "Use target.long() for indices; pass probabilities to a loss that takes soft targets."
        )
    if _compiling() or target.numel() == 0:
        return
    valid = (target >= 0) & (target < num_classes)
    if ignore_index is not None:
        valid |= target == ignore_index
    if not bool(valid.all()):
        bad = target[~valid][0].item()
        extra = f" or ignore_index={ignore_index}" if ignore_index is not None else ""
        raise LossInputError(
            f"{owner}: target class indices must be in [0, {num_classes}){extra}, got {bad}. "
            f"The input has {num_classes} classes along dim 1."
        )


def check_values_in(owner: str, what: str, x: Tensor, low: float, high: float, hint: str = "") -> None:
    """Every value of ``x`` in ``[low, high]``."""
    if _compiling() or x.numel() == 0:
        return
    if not bool(((x >= low) & (x <= high)).all()):
        bad = x[~((x >= low) & (x <= high))][0].item()
        raise LossInputError(f"{owner}: {what} must lie in [{low:g}, {high:g}], got {bad:g}. {hint}".rstrip())


def check_value_set(owner: str, what: str, x: Tensor, allowed: tuple[float, ...], hint: str = "") -> None:
    """Every value of ``x`` is one of ``allowed`` (``(0, 1)`` for binary targets, ``(-1, 1)`` for signs)."""
    if _compiling() or x.numel() == 0:
        return
    bad = torch.ones_like(x, dtype=torch.bool)
    for value in allowed:
        bad &= x != value
    if bool(bad.any()):
        shown = " or ".join(f"{v:+g}" if min(allowed) < 0 else f"{v:g}" for v in allowed)
        raise LossInputError(f"{owner}: {what} must hold {shown}, got {x[bad][0].item():g}. {hint}".rstrip())
