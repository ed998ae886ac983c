"""Example inputs for the conformance suite: embeddings with pairs, triplets, views or labels.

Every maker draws in float64 on the CPU from the given generator, then moves to
``dtype`` and ``device``; ``batch_size`` may be 0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Example

DIM = 4
#: The example of the classifier-head losses (arcface, cosface): embedding size and number of classes.
HEAD_DIM, HEAD_CLASSES = 8, 5
#: Labels of the in-batch losses are drawn from this many classes, so that most samples have a positive.
LABEL_CLASSES = 3


def _normal(generator: torch.Generator, *shape: int) -> Tensor:
    return torch.randn(shape, generator=generator, dtype=torch.float64)


def _signs(generator: torch.Generator, *shape: int) -> Tensor:
    return torch.randint(0, 2, shape, generator=generator).to(torch.float64) * 2 - 1


def triplets(generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int) -> Example:
    """Anchors ``(N, 4)`` as input, positives (anchor plus noise) as target, ``negative=`` in the context."""
    anchor = _normal(generator, batch_size, DIM)
    positive = anchor + 0.5 * _normal(generator, batch_size, DIM)
    negative = _normal(generator, batch_size, DIM)
    to = {"device": device, "dtype": dtype}
    return Example(anchor.to(**to), positive.to(**to), {"negative": negative.to(**to)})


def embedding_pairs(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """First members ``(N, 4)`` as input, ±1 pair labels ``(N,)`` as target, second members as ``other=``."""
    first, second = _normal(generator, batch_size, DIM), _normal(generator, batch_size, DIM)
    signs = _signs(generator, batch_size)
    to = {"device": device, "dtype": dtype}
    return Example(first.to(**to), signs.to(**to), {"other": second.to(**to)})


def score_pairs(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Scores ``(N,)`` as input, ±1 (which should rank higher) as target, the other scores as ``other=``."""
    first, second, signs = _normal(generator, batch_size), _normal(generator, batch_size), _signs(generator, batch_size)
    to = {"device": device, "dtype": dtype}
    return Example(first.to(**to), signs.to(**to), {"other": second.to(**to)})


def distances_and_signs(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Non-negative distances ``(N, 3)`` as input (as hinge_embedding expects), ±1 of the same shape as target."""
    distances = 2 * torch.rand((batch_size, 3), generator=generator, dtype=torch.float64)
    signs = _signs(generator, batch_size, 3)
    return Example(distances.to(device=device, dtype=dtype), signs.to(device=device, dtype=dtype))


def two_views(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Embeddings of a first view ``(N, 4)`` as input, of a second view (first plus noise) as target."""
    first = _normal(generator, batch_size, DIM)
    second = first + 0.5 * _normal(generator, batch_size, DIM)
    return Example(first.to(device=device, dtype=dtype), second.to(device=device, dtype=dtype))


def _labels(generator: torch.Generator, batch_size: int, device: torch.device | str) -> Tensor:
    return torch.randint(0, LABEL_CLASSES, (batch_size,), generator=generator).to(device)


def labelled_embeddings(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Embeddings ``(N, 4)`` as input, integer labels ``(N,)`` in ``[0, 3)`` as target."""
    embeddings = _normal(generator, batch_size, DIM)
    return Example(embeddings.to(device=device, dtype=dtype), _labels(generator, batch_size, device))


def labelled_views(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Two views per sample ``(N, 2, 4)`` as input, integer labels ``(N,)`` in ``[0, 3)`` as target."""
    embeddings = _normal(generator, batch_size, 2, DIM)
    return Example(embeddings.to(device=device, dtype=dtype), _labels(generator, batch_size, device))


def head_embeddings(
    generator: torch.Generator, *, dtype: torch.dtype, device: torch.device | str, batch_size: int
) -> Example:
    """Embeddings ``(N, 8)`` as input, class indices ``(N,)`` in ``[0, 5)`` as target (see ``HEAD_EXAMPLE_PARAMS``)."""
    embeddings = _normal(generator, batch_size, HEAD_DIM)
    labels = torch.randint(0, HEAD_CLASSES, (batch_size,), generator=generator).to(device)
    return Example(embeddings.to(device=device, dtype=dtype), labels)


#: What the conformance suite builds arcface and cosface with for :func:`head_embeddings`.
HEAD_EXAMPLE_PARAMS = {"num_classes": HEAD_CLASSES, "embedding_dim": HEAD_DIM, "init_seed": 0}
