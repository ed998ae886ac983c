"""Checks of the tensors passed to a loss, with messages that say how to fix them.

Two rules hold for every loss, and the checks that return a tensor apply them (use what they return):

* **Class indices** (:func:`check_class_indices`): every integer dtype is accepted (``int8`` to ``int64``,
  ``uint8`` to ``uint64``) and returned as ``torch.long``, which torch's ``gather``, ``one_hot``, indexing
  and loss kernels need. Floating, bool and complex targets are refused with the fix.
* **Targets of values** (:func:`check_value_target`: regression values, ``{0, 1}`` labels, ``±1`` signs,
  probabilities): a target of any floating or integer dtype, or bool (``False``/``True`` are 0 and 1), is
  converted to the precision the loss computes in, ``losskit.precision.working(input).dtype`` (float32 for
  a half or bfloat16 input, the input's dtype otherwise). So a float64 target with a float32 input, a
  bfloat16 prediction under autocast with its float32 target, or a bool mask all give the loss of the
  converted target, in the input's dtype. The values are checked after the conversion (a bool target of a
  loss that wants ``±1`` is refused, naming ``2 * target - 1``).

Checks that read tensor values (class-index ranges, value ranges, value sets) synchronise with the device
and break ``torch.compile`` graphs; they are skipped while compiling. A range check is one ``aminmax``
pass and one read back of two numbers; only an error looks at the values again.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from .errors import LossInputError
from .precision import LOW_PRECISION

_FULL = (torch.float32, torch.float64)  # computed in their own precision

__all__ = [
    "check_class_indices",
    "check_floating",
    "check_ndim",
    "check_same_shape",
    "check_tensor",
    "check_value_set",
    "check_value_target",
    "check_values_in",
]


def _compiling() -> bool:
    return torch.compiler.is_compiling()


def _bounds(x: Tensor) -> tuple[Any, Any]:
    """``(min, max)`` of a non-empty ``x`` as Python numbers (nan for both where ``x`` holds a nan).

    One pass over ``x`` (``aminmax``) and one read back from its device, where comparing every value
    with each bound takes four passes: the range checks below test these two numbers, and only an
    error looks at the values again, to name the first offending one.
    """
    lo, hi = torch.aminmax(x)
    if x.device.type == "cpu":  # nothing to wait for: two reads are cheaper than a stack
        return lo.item(), hi.item()
    lo, hi = torch.stack((lo, hi)).tolist()
    return lo, hi


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
) -> Tensor:
    """Integer class indices in ``[0, num_classes)``, or equal to ``ignore_index``; returned as ``torch.long``.

    Any integer dtype is accepted and converted (a no-op for ``torch.long``): use the returned tensor.
    """
    check_tensor(owner, "target", target)
    if target.is_floating_point() or target.dtype == torch.bool or target.is_complex():
        raise LossInputError(
            f"{owner}: target must hold integer class indices (any integer dtype, e.g. torch.long), got {target.dtype}. "
            "Use target.long() for indices; pass probabilities to a loss that takes soft targets."
        )
    target = target.long()
    if _compiling() or target.numel() == 0:
        return target
    lo, hi = _bounds(target)
    if lo >= 0 and hi < num_classes:
        return target
    if ignore_index is not None and num_classes > 0 and ignore_index in (lo, hi):  # the others, without the ignored
        lo, hi = _bounds(target.masked_fill(target == ignore_index, 0))
        if lo >= 0 and hi < num_classes:
            return target
    valid = (target >= 0) & (target < num_classes)  # an error: find the first offending value
    if ignore_index is not None:
        valid |= target == ignore_index
    if not bool(valid.all()):
        bad = target[~valid][0].item()
        extra = f" or ignore_index={ignore_index}" if ignore_index is not None else ""
        raise LossInputError(
            f"{owner}: target class indices must be in [0, {num_classes}){extra}, got {bad}. "
            f"The input has {num_classes} classes along dim 1."
        )
    return target


def check_value_target(owner: str, input: Tensor, target: Any) -> Tensor:
    """A floating ``input`` and a target of values of its shape, returned in the precision the loss computes in.

    The rule for targets of values (see the module docstring): floating, integer and bool targets are
    converted to ``working(input).dtype``; complex ones are refused. Use the returned tensor.
    """
    # This runs on every call: the common case first, in as few operations as it takes.
    if isinstance(input, Tensor) and isinstance(target, Tensor) and input.shape == target.shape:
        dtype, given = input.dtype, target.dtype
        if given is dtype and dtype in _FULL:
            return target
        if input.is_floating_point() and not target.is_complex():
            working = torch.float32 if dtype in LOW_PRECISION else dtype  # losskit.precision.working(input).dtype
            return target if given is working else target.to(working)
    check_same_shape(owner, input, target, floating=True)
    raise LossInputError(
        f"{owner}: target must hold real values, got {target.dtype}. Pass target.real or target.abs()."
    )


def check_values_in(owner: str, what: str, x: Tensor, low: float, high: float, hint: str = "") -> None:
    """Every value of ``x`` in ``[low, high]``."""
    if _compiling() or x.numel() == 0:
        return
    if high == math.inf:  # one bound: one reduction (a nan makes it nan, which fails the test)
        ok = x.amin().item() >= low
    elif low == -math.inf:
        ok = x.amax().item() <= high
    else:
        lo, hi = _bounds(x)
        ok = lo >= low and hi <= high  # False for a nan too
    if not ok:
        bad = x[~((x >= low) & (x <= high))][0].item()
        raise LossInputError(f"{owner}: {what} must lie in [{low:g}, {high:g}], got {bad:g}. {hint}".rstrip())


def check_value_set(owner: str, what: str, x: Tensor, allowed: tuple[float, ...], hint: str = "") -> None:
    """Every value of ``x`` is one of ``allowed`` (``(0, 1)`` for binary targets, ``(-1, 1)`` for signs)."""
    if _compiling() or x.numel() == 0:
        return
    if len(allowed) == 2 and allowed[0] == -allowed[1] and _bounds(x.abs()) == (abs(allowed[0]),) * 2:
        return  # {-a, a}: |x| is a everywhere iff its min and max are (a nan fails): one float reduction
    bad = x != allowed[0]  # two passes over x for two values; the any() below, one read back
    for value in allowed[1:]:
        bad &= x != value
    if bool(bad.any()):
        shown = " or ".join(f"{v:+g}" if min(allowed) < 0 else f"{v:g}" for v in allowed)
        raise LossInputError(f"{owner}: {what} must hold {shown}, got {x[bad][0].item():g}. {hint}".rstrip())
