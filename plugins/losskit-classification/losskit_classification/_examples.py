"""Example inputs for the conformance suite: logits with class-index, multi-label or soft targets.

Every maker draws in float64 on the CPU from ``generator`` (so the values do not
depend on the device or dtype asked for), then moves the floating tensors to
``device`` and ``dtype``. ``batch_size`` may be 0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example

#: Number of classes of every example.
NUM_CLASSES = 5


def _normal(generator: torch.Generator, *shape: int) -> Tensor:
    return torch.randn(shape, generator=generator, dtype=torch.float64)


def _to(x: Tensor, dtype: torch.dtype, device: torch.device | str) -> Tensor:
    return x.to(device=device, dtype=dtype)


def class_index_logits(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Logits ``(N, C)`` and class indices ``(N,)`` (``torch.long``) in ``[0, C)``."""
    logits = _normal(generator, batch_size, NUM_CLASSES)
    target = torch.randint(0, NUM_CLASSES, (batch_size,), generator=generator)
    return Example(_to(logits, dtype, device), target.to(device))


def multilabel_logits(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Logits ``(N, C)`` and independent binary targets ``(N, C)`` in ``{0, 1}`` (floating)."""
    logits = _normal(generator, batch_size, NUM_CLASSES)
    target = torch.randint(0, 2, (batch_size, NUM_CLASSES), generator=generator).to(torch.float64)
    return Example(_to(logits, dtype, device), _to(target, dtype, device))


def soft_target_logits(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Logits ``(N, C)`` and probability targets ``(N, C)`` whose rows sum to 1."""
    logits = _normal(generator, batch_size, NUM_CLASSES)
    target = _normal(generator, batch_size, NUM_CLASSES).softmax(dim=1)
    return Example(_to(logits, dtype, device), _to(target, dtype, device))


def class_index_log_probabilities(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Log-probabilities ``(N, C)`` (a log-softmax) and class indices ``(N,)``."""
    example = class_index_logits(generator, dtype=torch.float64, device="cpu", batch_size=batch_size)
    return Example(_to(example.input.log_softmax(dim=1), dtype, device), example.target.to(device))


def log_probabilities_and_probabilities(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Log-probabilities ``(N, C)`` (a log-softmax) and probability targets ``(N, C)`` (rows sum to 1)."""
    example = soft_target_logits(generator, dtype=torch.float64, device="cpu", batch_size=batch_size)
    return Example(_to(example.input.log_softmax(dim=1), dtype, device), _to(example.target, dtype, device))


def binary_probabilities(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Probabilities ``(N, C)`` strictly inside ``(0, 1)`` and binary targets ``(N, C)``."""
    example = multilabel_logits(generator, dtype=torch.float64, device="cpu", batch_size=batch_size)
    return Example(_to(example.input.sigmoid(), dtype, device), _to(example.target, dtype, device))


def sign_targets(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Scores ``(N, C)`` and targets ``(N, C)`` in ``{-1, +1}`` (floating)."""
    example = multilabel_logits(generator, dtype=torch.float64, device="cpu", batch_size=batch_size)
    return Example(_to(example.input, dtype, device), _to(2 * example.target - 1, dtype, device))


def padded_label_lists(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Scores ``(N, C)`` and ``torch.long`` targets ``(N, C)``: each row's labels, then ``-1`` padding.

    The layout of ``torch.nn.MultiLabelMarginLoss``: a row ``[3, 0, -1, 1, 1]`` means labels {3, 0}.
    """
    scores = _normal(generator, batch_size, NUM_CLASSES)
    target = torch.full((batch_size, NUM_CLASSES), -1, dtype=torch.long)
    for n in range(batch_size):
        k = int(torch.randint(1, NUM_CLASSES, (1,), generator=generator))
        target[n, :k] = torch.randperm(NUM_CLASSES, generator=generator)[:k]
    return Example(_to(scores, dtype, device), target.to(device))


def ctc_alignments(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """CTC inputs in torch's layout: log-probabilities ``(T, N, C)``, padded targets ``(N, S)``.

    Class 0 is the blank; targets are in ``[1, C)``. The context holds ``input_lengths`` and
    ``target_lengths`` (``(N,)``, ``torch.long``); every target fits its input (``T >= 2 S + 1``).
    """
    steps, max_target = 8, 3
    log_probs = _normal(generator, steps, batch_size, NUM_CLASSES).log_softmax(dim=2)
    target = torch.randint(1, NUM_CLASSES, (batch_size, max_target), generator=generator)
    target_lengths = torch.randint(1, max_target + 1, (batch_size,), generator=generator)
    input_lengths = steps - torch.randint(0, 2, (batch_size,), generator=generator)
    context = {"input_lengths": input_lengths.to(device), "target_lengths": target_lengths.to(device)}
    return Example(_to(log_probs, dtype, device), target.to(device), context)


def hidden_states(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Hidden states ``(N, 4)``, class indices ``(N,)`` in ``[0, 7)`` and a linear classifier in the context.

    The context holds ``classifier_weight`` ``(7, 4)`` and ``classifier_bias`` ``(7,)``.
    """
    hidden, vocabulary = 4, 7
    input = _normal(generator, batch_size, hidden)
    target = torch.randint(0, vocabulary, (batch_size,), generator=generator)
    weight = _normal(generator, vocabulary, hidden) / hidden**0.5
    bias = _normal(generator, vocabulary) * 0.1
    context = {"classifier_weight": _to(weight, dtype, device), "classifier_bias": _to(bias, dtype, device)}
    return Example(_to(input, dtype, device), target.to(device), context)
