"""The input contract of the family and the conformance suite's example: a small classifier and its batch."""

from __future__ import annotations

import torch
from torch import nn

from losskit import Example
from losskit.contract import CLASS_LOGITS

__all__ = ["ADVERSARIAL_LOGITS", "START_SCALE", "classifier_and_inputs"]

#: The clean logits ``model(inputs)`` ``(N, C)`` and class indices ``(N,)``; ``model=`` and ``inputs=`` in context.
ADVERSARIAL_LOGITS = CLASS_LOGITS.with_shapes(input="(N, C): the clean logits model(inputs)")

#: Half-width of the example's initial perturbation ``start``: inside the default epsilon (8/255).
START_SCALE = 0.02

FEATURES, HIDDEN, CLASSES = 4, 6, 3


def classifier_and_inputs(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """``model``: Linear(4, 6) -> Tanh -> Linear(6, 3) (no BatchNorm, no dropout: deterministic and per-sample);
    ``inputs`` uniform in ``[0, 1]`` ``(N, 4)``, ``start`` uniform in ``[-0.02, 0.02]`` ``(N, 4)`` (so that checks
    replay one attack, random start or not), class indices ``(N,)``; ``input`` is ``model(inputs)``."""
    model = nn.Sequential(
        nn.utils.skip_init(nn.Linear, FEATURES, HIDDEN), nn.Tanh(), nn.utils.skip_init(nn.Linear, HIDDEN, CLASSES)
    )
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(1.5 * torch.randn(p.shape, generator=generator, dtype=torch.float64))
    model.to(device=device, dtype=dtype)
    inputs = torch.rand((batch_size, FEATURES), generator=generator, dtype=torch.float64)
    start = START_SCALE * (2 * torch.rand((batch_size, FEATURES), generator=generator, dtype=torch.float64) - 1)
    target = torch.randint(0, CLASSES, (batch_size,), generator=generator)
    inputs, start = (t.to(device=device, dtype=dtype) for t in (inputs, start))
    with torch.no_grad():
        logits = model(inputs)
    return Example(logits, target.to(device), {"model": model, "inputs": inputs, "start": start})
