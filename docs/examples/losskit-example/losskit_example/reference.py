"""Float64 reference for the conformance suite, written from Beaton & Tukey (1974), eq. for rho."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example


def tukey_biweight_reference(example: Example, *, c: float, reduction: str) -> Tensor:
    r = example.input.to(torch.float64) - example.target.to(torch.float64)
    rho = torch.where(r.abs() <= c, c**2 / 6 * (1 - (1 - (r / c) ** 2) ** 3), torch.full_like(r, c**2 / 6))
    weight = example.context.get("weight")
    if weight is not None:  # per element, or one per sample
        w = weight.to(torch.float64)
        rho = rho * (w if w.shape == rho.shape else w.reshape(-1, *([1] * (rho.dim() - 1))))
    if reduction == "none":
        return rho
    return rho.sum() if reduction == "sum" else rho.sum() / max(rho.numel(), 1)
