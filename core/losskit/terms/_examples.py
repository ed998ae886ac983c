"""Example inputs for the conformance suite: a small model for penalties, scores and groups for fairness."""

from __future__ import annotations

import torch
from torch import nn

from losskit import Example

__all__ = ["GROUP_IDS", "scores_labels_groups", "small_model"]

#: Group ids of the fairness example: four slots, id 2 never drawn, so an absent group is always exercised.
GROUP_IDS = (0, 1, 3, 4)


def small_model(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """``model``: Linear(3, 4) -> LayerNorm(4) -> Linear(4, 2), weights standard normal; dummy input and target."""
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    model.to(device=device, dtype=dtype)
    input = torch.randn((batch_size, 3), generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    target = torch.randn((batch_size, 2), generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    return Example(input, target, {"model": model})


def scores_labels_groups(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Logits ``(N,)`` (scale 2), binary labels ``(N,)`` in ``dtype``, ``groups`` ``(N,)`` long from ``GROUP_IDS``."""
    logits = 2 * torch.randn(batch_size, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 2, (batch_size,), generator=generator).to(torch.float64)
    choice = torch.randint(0, len(GROUP_IDS), (batch_size,), generator=generator)
    groups = torch.tensor(GROUP_IDS, dtype=torch.long)[choice]
    return Example(
        logits.to(device=device, dtype=dtype),
        labels.to(device=device, dtype=dtype),
        {"groups": groups.to(device)},
    )
