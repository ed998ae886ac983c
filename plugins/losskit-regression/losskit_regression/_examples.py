"""Example inputs for the conformance suite: predictions and targets of one shape."""

from __future__ import annotations

import torch

from losskit import Example


def paired_values(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """``input`` and ``target`` of shape ``(batch_size, 3)``, standard normal."""
    shape = (batch_size, 3)
    input = torch.randn(shape, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    target = torch.randn(shape, generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    return Example(input, target)
