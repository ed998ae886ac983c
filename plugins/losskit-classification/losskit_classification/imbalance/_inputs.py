"""Input checks, the shared per-class parameter and per-class tensors of the imbalance losses."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from losskit import param
from losskit.contract import BINARY_LOGITS
from losskit.errors import LossInputError
from losskit.inputs import check_class_indices, check_floating, check_ndim, check_value_set, check_value_target

#: Multi-label logits ``(N, C)`` with ``{0, 1}`` targets of the same shape.
MULTILABEL_LOGITS = BINARY_LOGITS.with_shapes(
    input="(N, C)", target="(N, C)", output="(N, C) with reduction='none', else ()"
)


def one_per_class(values: Sequence[float]) -> str | None:
    """``Param.check`` of a per-class tuple: it must not be empty."""
    return "must hold one value per class" if len(values) == 0 else None


#: The required class counts of class_balanced, balanced_softmax and ldam.
SAMPLES_PER_CLASS = param(
    None, "required: the number of training samples of each class, n_1..n_C", gt=0.0, check=one_per_class
)


def check_logits_and_labels(owner: str, input: Tensor, target: Tensor) -> Tensor:
    """Logits ``(N, C)`` and integer class indices ``(N,)`` in ``[0, C)``, of any integer dtype; returns them as int64."""
    check_floating(owner, "input", input)
    check_ndim(owner, "input", input, (2,), "(N, C): one row of class logits per sample")
    target = check_class_indices(owner, target, input.shape[1])
    check_ndim(owner, "target", target, (1,), "(N,): one class index per sample")
    if target.shape[0] != input.shape[0]:
        raise LossInputError(
            f"{owner}: input has {input.shape[0]} samples but target has {target.shape[0]}; "
            "give one class index per row of logits."
        )
    return target


def check_multilabel(owner: str, input: Tensor, target: Tensor) -> Tensor:
    """Logits ``(N, C)`` and ``{0, 1}`` targets of the same shape (any real dtype); returns them in the working precision."""
    check_floating(owner, "input", input)
    check_ndim(owner, "input", input, (2,), "(N, C): one row of class logits per sample")
    target = check_value_target(owner, input, target)
    check_value_set(owner, "target", target, (0, 1), "Give one 0/1 label per class (multi-hot).")
    return target


def per_class(owner: str, name: str, values: Sequence[float], input: Tensor) -> Tensor:
    """``values`` (one per class) as a float64 tensor on ``input``'s device, checked against ``C``."""
    if len(values) != input.shape[1]:
        raise LossInputError(
            f"{owner}: {name} has {len(values)} entries but the input has {input.shape[1]} classes "
            "along dim 1; give one entry per class."
        )
    return torch.tensor(values, dtype=torch.float64, device=input.device)


def power(base: Tensor, exponent: float) -> Tensor:
    """``base ** exponent`` for ``base >= 0``, with a finite gradient at ``base == 0`` (also for exponents < 1)."""
    tiny = torch.finfo(base.dtype).tiny
    return torch.where(base > 0, base.clamp(min=tiny).pow(exponent), torch.zeros_like(base).pow(exponent))
