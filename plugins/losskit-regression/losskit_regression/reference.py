"""Independent float64 references, written from each loss's source, for the conformance suite.

They share no code with the implementations: each is the formula of the cited
source, computed elementwise in float64, then reduced by :func:`_reduce`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example


def _reduce(elementwise: Tensor, reduction: str, weight: Tensor | None) -> Tensor:
    if weight is not None:
        w = weight.to(torch.float64)
        if w.shape != elementwise.shape:
            w = w.reshape(-1, *([1] * (elementwise.dim() - 1)))
        elementwise = elementwise * w
    if reduction == "none":
        return elementwise
    total = elementwise.sum()
    return total if reduction == "sum" else total / max(elementwise.numel(), 1)


def _xy(example: Example) -> tuple[Tensor, Tensor]:
    return example.input.to(torch.float64), example.target.to(torch.float64)


def mse_reference(example: Example, *, reduction: str) -> Tensor:
    x, y = _xy(example)
    return _reduce((x - y) ** 2, reduction, example.context.get("weight"))
