"""Example inputs for the conformance suite: small batches of 4 x 5 images."""

from __future__ import annotations

import torch

from losskit import Example

SPATIAL = (4, 5)


def class_index_masks(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Standard normal logits ``(batch_size, 3, 4, 5)`` and ``torch.long`` class indices ``(batch_size, 4, 5)``."""
    logits = torch.randn((batch_size, 3, *SPATIAL), generator=generator, dtype=torch.float64)
    target = torch.randint(0, 3, (batch_size, *SPATIAL), generator=generator)
    return Example(logits.to(device=device, dtype=dtype), target.to(device))


def binary_masks(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Standard normal logits ``(batch_size, 1, 4, 5)`` and ``{0, 1}`` ``torch.long`` targets of that shape."""
    logits = torch.randn((batch_size, 1, *SPATIAL), generator=generator, dtype=torch.float64)
    target = torch.randint(0, 2, (batch_size, 1, *SPATIAL), generator=generator)
    return Example(logits.to(device=device, dtype=dtype), target.to(device))
