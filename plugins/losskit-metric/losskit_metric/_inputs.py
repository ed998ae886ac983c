"""Input checks and input contracts shared by the metric-learning losses."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from losskit.contract import InputContract
from losskit.errors import LossInputError
from losskit.inputs import check_floating, check_ndim, check_tensor, check_value_set

#: Explicit pairs: first members as input, ±1 pair labels as target, second members as ``other=``.
EMBEDDING_PAIRS = InputContract(
    "embeddings",
    "signs",
    input_shape="(N, D) first members; context other=(N, D)",
    target_shape="(N,)",
    output_shape="(N,) with reduction='none', else ()",
)
#: Triplets: anchors as input, positives as target, negatives as ``negative=``.
TRIPLETS = InputContract(
    "embeddings",
    "same_shape",
    input_shape="(N, D) anchors",
    target_shape="(N, D) positives; context negative=(N, D)",
    output_shape="(N,) with reduction='none', else ()",
)


def check_embeddings(
    owner: str, what: str, x: Any, *, dims: tuple[int, ...] = (2,), shape_doc: str = "(N, D)"
) -> Tensor:
    """A floating tensor of embeddings, one row per sample."""
    check_floating(owner, what, x)
    check_ndim(owner, what, x, dims, shape_doc)
    return x


def check_like(owner: str, what: str, x: Any, like: Tensor, like_name: str = "input") -> Tensor:
    """A floating tensor of ``like``'s shape (the other member of a pair, or a negative)."""
    check_floating(owner, what, x)
    if x.shape != like.shape:
        raise LossInputError(
            f"{owner}: {what} must have the shape of {like_name}, {tuple(like.shape)}, got {tuple(x.shape)}; "
            f"row n of {what} is paired with row n of {like_name}."
        )
    return x


def check_signs(owner: str, target: Any, shape: torch.Size, per: str) -> Tensor:
    """Labels ``1`` or ``-1`` of the given shape (one ``per`` pair, score...), integer or floating."""
    check_tensor(owner, "target", target)
    if target.dtype == torch.bool or target.is_complex():
        raise LossInputError(
            f"{owner}: target must hold 1 or -1, got a {target.dtype} tensor. Use 2 * target.long() - 1."
        )
    if target.shape != shape:
        raise LossInputError(
            f"{owner}: target must hold one 1 or -1 per {per}, shape {tuple(shape)}, got {tuple(target.shape)}."
        )
    check_value_set(owner, "target", target, (1, -1), "For 0/1 labels pass 2 * target - 1.")
    return target


def check_labels(owner: str, target: Any, n: int) -> Tensor:
    """Integer class labels ``(N,)``, one per sample; any integer values (only equality matters)."""
    check_tensor(owner, "target", target)
    if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
        raise LossInputError(
            f"{owner}: target must hold integer class labels (torch.long), got {target.dtype}. Use target.long()."
        )
    if tuple(target.shape) != (n,):
        raise LossInputError(
            f"{owner}: target must hold one label per sample, shape ({n},), got {tuple(target.shape)}."
        )
    return target
