"""Input checks and per-class tensors shared by the imbalance losses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from losskit.errors import LossInputError
from losskit.inputs import check_class_indices, check_floating, check_ndim, check_same_shape
from losskit.params import Param, validate_params


def working(x: Tensor) -> Tensor:
    """``x`` in the precision the maths runs in: half and bfloat16 are computed in float32."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def validated(owner: str, declared: Sequence[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """The functional forms' parameter check; skipped while compiling, where it would split the graph
    (the Module has validated its parameters on construction)."""
    if torch.compiler.is_compiling():
        return dict(values)
    return validate_params(owner, declared, values)


def check_logits_and_labels(owner: str, input: Tensor, target: Tensor) -> None:
    """Logits ``(N, C)`` and ``torch.long`` class indices ``(N,)`` in ``[0, C)``."""
    check_floating(owner, "input", input)
    check_ndim(owner, "input", input, (2,), "(N, C): one row of class logits per sample")
    check_class_indices(owner, target, input.shape[1])
    check_ndim(owner, "target", target, (1,), "(N,): one class index per sample")
    if target.shape[0] != input.shape[0]:
        raise LossInputError(
            f"{owner}: input has {input.shape[0]} samples but target has {target.shape[0]}; "
            "give one class index per row of logits."
        )


def check_multilabel(owner: str, input: Tensor, target: Tensor) -> None:
    """Logits ``(N, C)`` and floating ``{0, 1}`` targets of the same shape."""
    check_floating(owner, "input", input)
    check_ndim(owner, "input", input, (2,), "(N, C): one row of class logits per sample")
    check_floating(owner, "target", target)
    check_same_shape(owner, input, target)
    if not torch.compiler.is_compiling() and target.numel() and not bool(((target == 0) | (target == 1)).all()):
        bad = target[(target != 0) & (target != 1)][0].item()
        raise LossInputError(f"{owner}: target must hold 0 or 1 for each class, got {bad:g}.")


def per_class(owner: str, name: str, values: Sequence[float], input: Tensor) -> Tensor:
    """``values`` (one per class) as a float64 tensor on ``input``'s device, checked against ``C``."""
    if len(values) != input.shape[1]:
        raise LossInputError(
            f"{owner}: {name} has {len(values)} entries but the input has {input.shape[1]} classes "
            "along dim 1; give one entry per class."
        )
    return torch.tensor(values, dtype=torch.float64, device=input.device)


def one_per_class(values: Sequence[float]) -> str | None:
    """``Param.check`` of a per-class tuple: it must not be empty."""
    return "must hold one value per class" if len(values) == 0 else None
