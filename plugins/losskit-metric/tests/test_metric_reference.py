"""Every loss against its float64 reference from the paper, in float32 and float64, for every reduction,
on parameter settings that reach each branch; and a few values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from losskit import Example, get_loss, get_spec

HEAD = dict(get_spec("arcface").example_params)  # num_classes, embedding_dim, init_seed of the example
CASES = [
    ("contrastive", {"margin": 0.5}),
    ("contrastive", {"margin": 4.0}),
    ("triplet", {"p": 1.0, "swap": True}),
    ("triplet_with_distance", {"distance": "cosine", "swap": True, "margin": 0.2}),
    ("cosine_embedding", {"margin": 0.4}),
    ("margin_ranking", {"margin": 1.5}),
    ("hinge_embedding", {"margin": 0.7}),
    ("nt_xent", {"temperature": 0.5}),
    ("nt_xent", {"temperature": 0.05}),
    ("supcon", {"temperature": 0.1, "base_temperature": 0.07}),
    ("supcon", {"temperature": 1.0}),
    ("multi_similarity", {}),
    ("multi_similarity", {"epsilon": 0.0, "base": 0.0}),
    ("multi_similarity", {"epsilon": 2.0, "alpha": 1.0, "beta": 10.0}),  # every pair mined
    ("arcface", {**HEAD}),
    ("arcface", {**HEAD, "margin": 1.8}),  # theta + m > pi for most samples: the fallback branch
    ("arcface", {**HEAD, "margin": 0.8, "easy_margin": True, "scale": 8.0}),
    ("cosface", {**HEAD, "margin": 0.1, "scale": 16.0}),
]
TOLERANCE = {torch.float64: {"rtol": 1e-9, "atol": 1e-10}, torch.float32: {"rtol": 1e-4, "atol": 1e-4}}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("name, params", CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_matches_reference(name, params, reduction, dtype):
    spec = get_spec(name)
    loss = get_loss(name, reduction=reduction, **params)
    for seed in range(3):
        example = spec.example(torch.Generator().manual_seed(seed), dtype=dtype, device="cpu", batch_size=9)
        expected = spec.reference(example, **loss.hparams)
        got = loss(example.input, example.target, **example.context)
        torch.testing.assert_close(got.double(), expected, **TOLERANCE[dtype])


def test_arcface_fallback_branch_is_reached():
    """The margin-1.8 case above covers theta + m > pi: check that the example has such samples."""
    spec = get_spec("arcface")
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu", batch_size=9)
    loss = get_loss("arcface", **HEAD)
    cos = F.normalize(example.input, dim=1) @ F.normalize(loss.class_centers.double(), dim=1).T
    theta = cos.gather(1, example.target[:, None]).acos()
    assert (theta + 1.8 > math.pi).any() and (theta + 1.8 < math.pi).any()


def test_contrastive_by_hand():
    x, other = torch.zeros(3, 2), torch.tensor([[3.0, 4.0]]).repeat(3, 1)  # distance 5
    loss = get_loss("contrastive", margin=6.0, reduction="none")
    torch.testing.assert_close(loss(x, torch.tensor([1, -1, -1]), other=other), torch.tensor([12.5, 0.5, 0.5]))
    assert get_loss("contrastive", margin=4.0)(x, torch.tensor([-1, -1, -1]), other=other).item() == 0


def test_nt_xent_is_cross_entropy_over_the_other_views():
    """SimCLR written as the usual cross-entropy over a (2N, 2N) similarity matrix with the diagonal masked."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randn(6, 5, generator=g, dtype=torch.float64)
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = (z @ z.T / 0.3).fill_diagonal_(float("-inf"))
    partners = torch.cat([torch.arange(6, 12), torch.arange(6)])
    expected = F.cross_entropy(logits, partners)
    torch.testing.assert_close(get_loss("nt_xent", temperature=0.3)(a, b), expected)


def test_nt_xent_of_a_single_pair_is_zero():
    assert get_loss("nt_xent")(torch.randn(1, 4), torch.randn(1, 4)).item() == 0


def test_supcon_with_distinct_labels_and_two_views_is_nt_xent():
    """Khosla et al.: with one sample per class and two views, L^sup_out is SimCLR's self-supervised loss."""
    g = torch.Generator().manual_seed(1)
    views = torch.randn(5, 2, 8, generator=g, dtype=torch.float64)
    supcon = get_loss("supcon", temperature=0.2, base_temperature=0.2, reduction="none")(views, torch.arange(5))
    nt_xent = get_loss("nt_xent", temperature=0.2, reduction="none")(views[:, 0], views[:, 1])
    torch.testing.assert_close(supcon, nt_xent)


def test_supcon_anchor_without_positive_costs_nothing():
    x = torch.randn(3, 4, dtype=torch.float64)
    out = get_loss("supcon", reduction="none")(x, torch.tensor([0, 0, 1]))
    assert out[2].item() == 0 and (out[:2] > 0).all()


def test_multi_similarity_without_mining_is_the_general_formula():
    """A mining margin above 2 keeps every pair (cosines differ by at most 2)."""
    g = torch.Generator().manual_seed(2)
    x, labels = torch.randn(7, 4, generator=g, dtype=torch.float64), torch.tensor([0, 0, 1, 1, 1, 2, 2])
    z = F.normalize(x, dim=1)
    s = z @ z.T
    same, eye = labels[:, None] == labels, torch.eye(7, dtype=torch.bool)
    positive = (torch.exp(-2 * (s - 0.5)) * (same & ~eye)).sum(1)
    negative = (torch.exp(10 * (s - 0.5)) * ~same).sum(1)
    expected = torch.log1p(positive) / 2 + torch.log1p(negative) / 10
    got = get_loss("multi_similarity", alpha=2.0, beta=10.0, epsilon=2.5, reduction="none")(x, labels)
    torch.testing.assert_close(got, expected)


def test_arcface_and_cosface_without_margin_are_the_same_normalised_softmax():
    x, y = torch.randn(6, 8, dtype=torch.float64), torch.randint(0, 5, (6,))
    arc = get_loss("arcface", **HEAD, margin=0.0, scale=10.0)
    cos = get_loss("cosface", **HEAD, margin=0.0, scale=10.0)
    torch.testing.assert_close(arc(x, y), cos(x, y))
    torch.testing.assert_close(arc.class_centers, cos.class_centers)


def test_reference_example_is_a_plain_example():
    assert isinstance(
        get_spec("supcon").example(torch.Generator(), dtype=torch.float32, device="cpu", batch_size=2), Example
    )
