"""torch's calls work unchanged: inputs in torch's order and names, constructor arguments by position; and the
hand-written triplet backward agrees with torch's, to the second derivative."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from losskit import CallError, ContextError, get_loss
from losskit_metric.cosine_embedding import CosineEmbeddingLoss, cosine_embedding_loss
from losskit_metric.hinge_embedding import HingeEmbeddingLoss
from losskit_metric.margin_ranking import MarginRankingLoss, margin_ranking_loss
from losskit_metric.triplet import TripletLoss, _EuclideanTriplet, triplet_loss
from losskit_metric.triplet_with_distance import TripletWithDistanceLoss

g = torch.Generator().manual_seed(0)
a, p, n = (torch.randn(6, 4, generator=g, dtype=torch.float64) for _ in range(3))
s1, s2 = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
signs = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0, 1.0], dtype=torch.float64)


@pytest.mark.parametrize(("ours", "theirs"), [
    (lambda: TripletLoss(0.5, 1.0, 0.0, True)(a, p, n), lambda: nn.TripletMarginLoss(0.5, 1.0, 0.0, True)(a, p, n)),
    (lambda: TripletLoss()(anchor=a, positive=p, negative=n), lambda: nn.TripletMarginLoss()(a, p, n)),
    (lambda: triplet_loss(a, p, n, margin=0.2), lambda: F.triplet_margin_loss(a, p, n, margin=0.2)),
    (lambda: TripletWithDistanceLoss()(a, p, n), lambda: nn.TripletMarginWithDistanceLoss()(a, p, n)),
    (lambda: CosineEmbeddingLoss(0.1)(a, p, signs), lambda: nn.CosineEmbeddingLoss(0.1)(a, p, signs)),
    (lambda: CosineEmbeddingLoss(0.1)(input1=a, input2=p, target=signs), lambda: nn.CosineEmbeddingLoss(0.1)(a, p, signs)),
    (lambda: CosineEmbeddingLoss(0.1)(a, signs, other=p), lambda: nn.CosineEmbeddingLoss(0.1)(a, p, signs)),
    (lambda: cosine_embedding_loss(a, p, signs, margin=0.1), lambda: F.cosine_embedding_loss(a, p, signs, margin=0.1)),
    (lambda: MarginRankingLoss(0.3)(s1, s2, signs), lambda: nn.MarginRankingLoss(0.3)(s1, s2, signs)),
    (lambda: margin_ranking_loss(s1, s2, signs), lambda: F.margin_ranking_loss(s1, s2, signs)),
    (lambda: MarginRankingLoss(0.3)(s1, signs, other=s2), lambda: nn.MarginRankingLoss(0.3)(s1, s2, signs)),
    (lambda: HingeEmbeddingLoss(2.0)(s1.abs(), signs), lambda: nn.HingeEmbeddingLoss(2.0)(s1.abs(), signs)),
    (lambda: get_loss("TripletMarginLoss", margin=0.5)(a, p, n), lambda: nn.TripletMarginLoss(margin=0.5)(a, p, n)),
])
def test_torch_calls_give_torch_values(ours, theirs):
    torch.testing.assert_close(ours(), theirs())


def test_the_old_pair_form_and_torch_form_cannot_be_mixed_up():
    with pytest.raises(ContextError, match=r"loss\(input1, input2, target\) \(torch's order\)"):
        MarginRankingLoss()(s1, s2)
    with pytest.raises(CallError, match="got other= beside torch's 'input2'"):
        CosineEmbeddingLoss()(a, p, signs, other=p)
    with pytest.raises(CallError, match=r"triplet takes 3 inputs, loss\(anchor, positive, negative\)"):
        TripletLoss()(a, p, n, 0.5)


def test_triplet_with_distance_names_its_distance():
    with pytest.raises(Exception, match="did you mean 'distance'"):
        TripletWithDistanceLoss(distance_function=lambda u, v: u)


@pytest.mark.parametrize("need", [(True, True, True), (True, False, True), (False, True, False)], ids=str)
def test_the_triplet_kernel_matches_torch_gradients(need):
    inputs = [t.clone().requires_grad_(w) for t, w in zip((a, p, n), need)]
    weights = torch.rand(6, generator=g, dtype=torch.float64)
    ours = torch.autograd.grad((_EuclideanTriplet.apply(*inputs, 0.5, 1e-6) * weights).sum(), [t for t in inputs if t.requires_grad])
    theirs = torch.autograd.grad(
        (F.triplet_margin_loss(*inputs, margin=0.5, reduction="none") * weights).sum(), [t for t in inputs if t.requires_grad]
    )
    for x, y in zip(ours, theirs):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)


def test_the_triplet_kernel_has_second_derivatives():
    inputs = [t.clone().requires_grad_() for t in (a, p, n)]
    assert torch.autograd.gradgradcheck(lambda *t: _EuclideanTriplet.apply(*t, 0.5, 1e-6), inputs)


def test_the_triplet_kernel_at_zero_distance_has_torch_gradient():
    anchor = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    positive = torch.full((2, 3), 1e-6, dtype=torch.float64, requires_grad=True)  # a - p + eps == 0
    negative = torch.ones(2, 3, dtype=torch.float64)
    ours = torch.autograd.grad(TripletLoss(2.0)(anchor, positive, negative), (anchor, positive))
    theirs = torch.autograd.grad(nn.TripletMarginLoss(2.0)(anchor, positive, negative), (anchor, positive))
    for x, y in zip(ours, theirs):
        torch.testing.assert_close(x, y)
