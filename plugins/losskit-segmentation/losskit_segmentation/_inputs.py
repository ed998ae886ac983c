"""Input contracts and checks, and the ``(N, C, P)`` layout (``P`` pixels, flattened) every segmentation loss works on.

Three conventions, chosen by ``mode`` (as in segmentation_models_pytorch):

* ``'multiclass'``: logits ``(N, C, *)`` with ``C >= 2``, integer class indices ``(N, *)``, softmax over
  ``C``. The target stays an index per pixel (:func:`class_indices`): no ``(N, C, *)`` one-hot is built.
* ``'binary'``: logits ``(N, 1, *)``, targets in ``{0, 1}`` of shape ``(N, 1, *)`` or ``(N, *)``, sigmoid.
* ``'multilabel'``: logits ``(N, C, *)``, targets in ``{0, 1}`` of the input's shape, one sigmoid per channel.

Pixels whose target equals ``ignore_index`` are masked out by a ``valid`` mask (and their class index set to
0), so that they contribute neither to the sums nor to the gradient.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from losskit.contract import BINARY_LOGITS, DENSE_CLASS_LOGITS
from losskit.errors import LossInputError
from losskit.inputs import check_class_indices, check_floating, check_tensor, check_values_in
from losskit.precision import working

#: ``reduction='none'`` output of the per-class losses.
PER_CLASS_OUTPUT = "(N, C) with per_image, else (C,), with reduction='none'; else ()"
#: The region losses (Dice, Jaccard, Tversky...): class indices, or {0, 1} masks by ``mode``.
REGION_LOGITS = DENSE_CLASS_LOGITS.with_shapes(
    target="(N, *) class indices; (N, C, *) {0, 1} with mode='binary'/'multilabel'", output=PER_CLASS_OUTPUT
)
#: Lovász-Softmax: class indices only.
CLASS_INDEX_LOGITS = DENSE_CLASS_LOGITS.with_shapes(output=PER_CLASS_OUTPUT)
#: Lovász hinge: {0, 1} masks.
MASK_LOGITS = BINARY_LOGITS.with_shapes(
    input="(N, 1, *) or (N, C, *) with mode='multilabel'", target="the input's shape, or (N, *) when binary",
    output=PER_CLASS_OUTPUT,
)


class Pixels(NamedTuple):
    """Flattened ``(N, C, P)`` input scores and ``{0, 1}`` targets, and the ``valid`` (not ignored) mask.

    ``score`` is the input in the working precision (float32 for half and bfloat16), unmasked;
    ``target`` is 0 at ignored pixels; ``valid`` is ``(N, 1, P)`` in binary mode, ``(N, C, P)`` in multilabel
    mode. All three share ``score``'s dtype.
    """

    score: Tensor
    target: Tensor
    valid: Tensor


class Indexed(NamedTuple):
    """Multiclass input as flattened ``(N, C, P)`` scores and one class index per pixel.

    ``score`` is the input in the working precision, unmasked; ``index`` ``(N, 1, P)`` (``torch.long``) is the
    target class of each pixel, 0 at ignored pixels; ``valid`` ``(N, 1, P)``, in ``score``'s dtype, is 1 at the
    pixels that are not ignored and 0 at the others, or ``None`` where no pixel is ignored (outside
    ``torch.compile``, which always gets the mask): the common case then skips every masking pass.
    """

    score: Tensor
    index: Tensor
    valid: Tensor | None


def _use_multiclass(owner: str) -> str:
    # The Lovász losses have no mode to switch: the fix is the other Lovász loss.
    return "use lovasz_softmax" if owner == "lovasz_hinge" else "use mode='multiclass'"


def _check_input(owner: str, input: Tensor, mode: str) -> None:
    check_floating(owner, "input", input)
    if input.dim() < 2:
        raise LossInputError(
            f"{owner}: input must have shape (N, C, *spatial) with classes along dim 1, got {tuple(input.shape)}. "
            "For a single image use input.unsqueeze(0)."
        )
    if mode == "multiclass" and input.shape[1] < 2:
        fix = "use lovasz_hinge" if owner == "lovasz_softmax" else "use mode='binary'"
        raise LossInputError(
            f"{owner}: the softmax over classes (dim 1) needs C >= 2 of them, got input {tuple(input.shape)}; "
            f"over one class it is always 1. For one foreground channel {fix}."
        )
    if mode == "binary" and input.shape[1] != 1:
        raise LossInputError(
            f"{owner}: mode='binary' expects one channel, input (N, 1, *spatial), got {tuple(input.shape)}. "
            f"For C channels use mode='multilabel' (one sigmoid each), or for softmax {_use_multiclass(owner)}."
        )


def _check_binary_target(owner: str, target: Tensor, ignore_index: int) -> None:
    if target.is_complex():
        raise LossInputError(f"{owner}: target must hold 0 or 1, got a {target.dtype} tensor.")
    if torch.compiler.is_compiling() or target.numel() == 0:
        return
    bad = (target != 0) & (target != 1) & (target != ignore_index)
    if bool(bad.any()):
        raise LossInputError(
            f"{owner}: target must hold 0 or 1 (or ignore_index={ignore_index}) in binary and multilabel modes, "
            f"got {target[bad][0].item():g}. For class indices {_use_multiclass(owner)}."
        )


def _multiclass_target(
    owner: str, input: Tensor, target: Tensor, ignore_index: int
) -> tuple[Tensor, Tensor | None]:
    expected = (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        hint = ""
        if target.shape == input.shape:
            multilabel = "lovasz_hinge(mode='multilabel')" if owner == "lovasz_softmax" else "mode='multilabel'"
            hint = (" A target of the input's shape looks one-hot: pass class indices target.argmax(1), "
                    f"or use {multilabel}.")
        elif target.dim() == input.dim() and target.shape[1] == 1 and tuple(target.squeeze(1).shape) == expected:
            hint = " Drop the channel dim of the class indices: target.squeeze(1)."
        raise LossInputError(
            f"{owner}: mode='multiclass' expects one class index per pixel, target of shape {expected} for input "
            f"{tuple(input.shape)}, got {tuple(target.shape)}.{hint}"
        )
    target = check_class_indices(owner, target, input.shape[1], ignore_index=ignore_index)  # any integer dtype
    if not torch.compiler.is_compiling():
        if target.numel() == 0:
            return target, None
        lo, hi = (int(bound) for bound in torch.aminmax(target))
        if not lo <= ignore_index <= hi:  # one pass, not two (compare, all): nothing ignored
            return target, None
    valid = target != ignore_index
    if not torch.compiler.is_compiling() and bool(valid.all()):
        return target, None
    return torch.where(valid, target, 0), valid


def _binary_target(owner: str, input: Tensor, target: Tensor, mode: str, ignore_index: int) -> tuple[Tensor, Tensor]:
    if mode == "binary" and tuple(target.shape) == (input.shape[0], *input.shape[2:]):
        target = target.unsqueeze(1)
    if target.shape != input.shape:
        allowed = f"{tuple(input.shape)}" + (
            f" or {(input.shape[0], *input.shape[2:])}" if mode == "binary" else ""
        )
        raise LossInputError(
            f"{owner}: mode={mode!r} expects a {{0, 1}} target of shape {allowed}, got {tuple(target.shape)}. "
            f"For class indices (N, *spatial) {_use_multiclass(owner)}."
        )
    _check_binary_target(owner, target, ignore_index)
    valid = target != ignore_index
    return (target == 1) & valid, valid


def pixels(owner: str, input: Tensor, target: Tensor, *, mode: str, ignore_index: int) -> Pixels:
    """Check ``input`` and ``target`` for ``mode`` (``'binary'`` or ``'multilabel'``); flatten them to
    ``(N, C, P)``."""
    _check_input(owner, input, mode)
    check_tensor(owner, "target", target)
    onehot, valid = _binary_target(owner, input, target, mode, ignore_index)
    n, c, p = input.shape[0], input.shape[1], math.prod(input.shape[2:])
    x = working(input)
    return Pixels(x.reshape(n, c, p), onehot.reshape(n, c, p).to(x.dtype), valid.reshape(n, valid.shape[1], p).to(x.dtype))


def class_indices(owner: str, input: Tensor, target: Tensor, *, ignore_index: int) -> Indexed:
    """Check multiclass ``input`` and class-index ``target``; flatten them to ``(N, C, P)`` and ``(N, 1, P)``."""
    _check_input(owner, input, "multiclass")
    check_tensor(owner, "target", target)
    index, valid = _multiclass_target(owner, input, target, ignore_index)
    n, c, p = input.shape[0], input.shape[1], math.prod(input.shape[2:])
    x = working(input)
    mask = None if valid is None else valid.reshape(n, 1, p).to(x.dtype)
    return Indexed(x.reshape(n, c, p), index.reshape(n, 1, p), mask)


def to_probabilities(owner: str, input: Tensor, score: Tensor, *, mode: str, from_logits: bool) -> Tensor:
    """The class probabilities of the flattened ``score``: softmax over dim 1 (multiclass) or a sigmoid, or
    ``score`` itself, checked to lie in ``[0, 1]``, with ``from_logits=False``. Not masked."""
    if not from_logits:
        check_values_in(owner, "input", input, 0.0, 1.0, "Pass from_logits=True for raw scores (logits).")
        return score
    return torch.softmax(score, dim=1) if mode == "multiclass" else torch.sigmoid(score)
