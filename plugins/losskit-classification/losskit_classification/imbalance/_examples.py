"""Example inputs of the imbalance losses that the shared makers do not cover."""

from __future__ import annotations

import torch

from losskit import Example

from .._examples import NUM_CLASSES, class_index_logits

#: Long-tailed class counts matching the shared examples' classes: 10^5, 10^4, ..., 10.
EXAMPLE_SAMPLES_PER_CLASS = tuple(float(10 ** (NUM_CLASSES - c)) for c in range(NUM_CLASSES))

#: ``example_params`` of the losses that need class counts (class_balanced, logit_adjusted, balanced_softmax, ldam).
COUNTS_EXAMPLE_PARAMS = {"samples_per_class": EXAMPLE_SAMPLES_PER_CLASS}


def student_teacher_logits(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Student logits ``(N, C)``, class indices ``(N,)`` and ``teacher_logits`` ``(N, C)`` in the context."""
    example = class_index_logits(generator, dtype=dtype, device=device, batch_size=batch_size)
    teacher = 2 * torch.randn((batch_size, NUM_CLASSES), generator=generator, dtype=torch.float64)
    return Example(example.input, example.target, {"teacher_logits": teacher.to(device=device, dtype=dtype)})
