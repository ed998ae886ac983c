"""The losses torch has agree with torch.nn in value and gradient, in float32 and float64, for every reduction."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from losskit import get_loss

REDUCTIONS = ("none", "sum", "mean")
DTYPES = (torch.float32, torch.float64)


def _tensors(dtype, *shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=torch.float64).to(dtype).requires_grad_(True) for shape in shapes]


def _signs(n, seed=1):
    return torch.randint(0, 2, (n,), generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _assert_same(ours, theirs, tensors, dtype):
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    torch.testing.assert_close(ours, theirs, **tol)
    ours_grads = torch.autograd.grad(ours.sum(), tensors)
    theirs_grads = torch.autograd.grad(theirs.sum(), tensors)
    for a, b in zip(ours_grads, theirs_grads):
        torch.testing.assert_close(a, b, **tol)


TRIPLET = [{}, {"margin": 0.3, "p": 1.0}, {"p": 3.0, "eps": 0.0, "swap": True}, {"margin": 2.0, "swap": True}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("params", TRIPLET, ids=str)
def test_triplet(params, reduction, dtype):
    a, p, n = _tensors(dtype, (7, 5), (7, 5), (7, 5))
    ours = get_loss("triplet", reduction=reduction, **params)(a, p, negative=n)
    theirs = nn.TripletMarginLoss(reduction=reduction, **params)(a, p, n)
    _assert_same(ours, theirs, (a, p, n), dtype)


def _cosine_distance(x, y):
    return 1 - F.cosine_similarity(x, y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_with_distance(distance, swap, reduction, dtype):
    a, p, n = _tensors(dtype, (7, 5), (7, 5), (7, 5))
    ours = get_loss("triplet_with_distance", distance=distance, margin=0.5, swap=swap, reduction=reduction)
    theirs = nn.TripletMarginWithDistanceLoss(
        distance_function=_cosine_distance if distance == "cosine" else None,
        margin=0.5,
        swap=swap,
        reduction=reduction,
    )
    _assert_same(ours(a, p, negative=n), theirs(a, p, n), (a, p, n), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.5])
def test_cosine_embedding(margin, reduction, dtype):
    x1, x2 = _tensors(dtype, (8, 5), (8, 5))
    y = _signs(8)
    ours = get_loss("cosine_embedding", margin=margin, reduction=reduction)(x1, y, other=x2)
    theirs = nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)(x1, x2, y)
    _assert_same(ours, theirs, (x1, x2), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5, -0.2])
@pytest.mark.parametrize("shape", [(8,), (4, 3)])
def test_margin_ranking(shape, margin, reduction, dtype):
    x1, x2 = _tensors(dtype, shape, shape)
    y = _signs(x1.numel()).reshape(shape).to(dtype)
    ours = get_loss("margin_ranking", margin=margin, reduction=reduction)(x1, y, other=x2)
    theirs = nn.MarginRankingLoss(margin=margin, reduction=reduction)(x1, x2, y)
    _assert_same(ours, theirs, (x1, x2), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.25, 3.0])
@pytest.mark.parametrize("shape", [(8,), (4, 3)])
def test_hinge_embedding(shape, margin, reduction, dtype):
    (x,) = _tensors(dtype, shape)
    y = _signs(x.numel()).reshape(shape).to(dtype)
    ours = get_loss("hinge_embedding", margin=margin, reduction=reduction)(x, y)
    theirs = nn.HingeEmbeddingLoss(margin=margin, reduction=reduction)(x, y)
    _assert_same(ours, theirs, (x,), dtype)


@pytest.mark.parametrize(
    "name, call",
    [
        ("triplet", lambda loss, x: loss(x, x, negative=x)),
        ("cosine_embedding", lambda loss, x: loss(x, torch.ones(0), other=x)),
        ("margin_ranking", lambda loss, x: loss(x[:, 0], torch.ones(0), other=x[:, 0])),
    ],
)
def test_empty_batch_mean_is_zero_where_torch_gives_nan(name, call):
    x = torch.zeros(0, 4)
    assert call(get_loss(name), x).item() == 0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        (
            "triplet",
            lambda loss, a, b, c: loss(a, b, negative=c),
            lambda r, a, b, c: nn.TripletMarginLoss(reduction=r)(a, b, c),
        ),
        (
            "triplet_with_distance",
            lambda loss, a, b, c: loss(a, b, negative=c),
            lambda r, a, b, c: nn.TripletMarginWithDistanceLoss(reduction=r)(a, b, c),
        ),
        (
            "cosine_embedding",
            lambda loss, a, b, c: loss(a, torch.tensor(-1), other=b),
            lambda r, a, b, c: nn.CosineEmbeddingLoss(reduction=r)(a, b, torch.tensor(-1)),
        ),
    ],
)
def test_one_unbatched_sample_as_torch(name, ours, theirs, reduction):
    """torch takes a single (D,) sample (a 0-d target for cosine_embedding) and gives a 0-d loss."""
    a, b, c = _tensors(torch.float64, (5,), (5,), (5,))
    used = (a, b) if name == "cosine_embedding" else (a, b, c)
    ours_value = ours(get_loss(name, reduction=reduction), a, b, c)
    assert ours_value.dim() == 0
    _assert_same(ours_value, theirs(reduction, a, b, c), used, torch.float64)
