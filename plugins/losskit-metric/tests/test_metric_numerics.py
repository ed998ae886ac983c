"""Finite values and gradients at the edges: huge and tiny embeddings, angles of 0 and pi, zero distances;
and the learned class centres of arcface and cosface."""

from __future__ import annotations

import copy

import pytest
import torch

from losskit import get_loss, get_spec

DTYPES = (torch.float32, torch.float64, torch.bfloat16)
HEAD = dict(get_spec("arcface").example_params)  # num_classes, embedding_dim, init_seed of the example
PAIRED = {
    "triplet": "negative",
    "triplet_with_distance": "negative",
    "cosine_embedding": "other",
    "contrastive": "other",
    "margin_ranking": "other",
}


def _finite_value_and_grads(loss, input, target, context):
    leaves = [t.detach().clone().requires_grad_(True) for t in (input, *context.values())]
    out = loss(leaves[0], target, **dict(zip(context, leaves[1:])))
    assert torch.isfinite(out).all()
    out.sum().backward()
    for leaf in (*leaves, *loss.parameters()):
        assert leaf.grad is None or torch.isfinite(leaf.grad).all()
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1e4, 1e-4])
@pytest.mark.parametrize("name", sorted(PAIRED))
def test_every_tensor_of_a_pair_or_triplet_scaled(name, scale, dtype):
    example = get_spec(name).example(torch.Generator().manual_seed(0), dtype=dtype, device="cpu", batch_size=5)
    context = {k: v * scale for k, v in example.context.items()}
    _finite_value_and_grads(get_loss(name), example.input * scale, example.target, context)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["nt_xent", "supcon", "multi_similarity", "arcface", "cosface"])
def test_normalised_losses_do_not_see_the_scale(name, dtype):
    spec = get_spec(name)
    example = spec.example(torch.Generator().manual_seed(0), dtype=dtype, device="cpu", batch_size=6)
    loss = get_loss(name, **spec.example_params)
    values = []
    for scale in (1e4, 1.0):
        target = example.target * scale if name == "nt_xent" else example.target  # nt_xent's target is a view
        values.append(_finite_value_and_grads(loss, example.input * scale, target, {}))
    if dtype != torch.bfloat16:  # bfloat16 rounds the scaled embeddings differently
        torch.testing.assert_close(values[0], values[1], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("easy_margin", [False, True])
def test_arcface_at_angles_zero_and_pi(dtype, easy_margin):
    """sin(theta) = 0 at both ends: the acos-free form must not divide by it."""
    loss = get_loss("arcface", **HEAD, easy_margin=easy_margin)
    centres = loss.class_centers.detach()
    input = torch.stack([centres[0], -centres[1], 3 * centres[2]]).to(dtype)
    out = _finite_value_and_grads(loss, input, torch.tensor([0, 1, 2]), {})
    assert out.dtype == dtype


def test_contrastive_dissimilar_pair_at_distance_zero():
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    out = get_loss("contrastive", margin=2.0, reduction="none")(x, torch.tensor([-1, 1]), other=x.detach())
    torch.testing.assert_close(out.detach(), torch.tensor([2.0, 0.0], dtype=torch.float64))
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", ["supcon", "multi_similarity", "nt_xent"])
def test_a_batch_of_one(name):
    x = torch.randn(1, 4, requires_grad=True)
    target = x.detach() + 1 if name == "nt_xent" else torch.zeros(1, dtype=torch.long)
    out = get_loss(name)(x, target)
    out.backward()
    assert out.item() == 0 and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", ["arcface", "cosface"])
def test_class_centres_are_a_learned_parameter(name):
    loss = get_loss(name, **HEAD)
    assert [n for n, _ in loss.named_parameters()] == ["class_centers"]
    assert loss.class_centers.shape == (HEAD["num_classes"], HEAD["embedding_dim"])
    x, y = torch.randn(4, HEAD["embedding_dim"]), torch.tensor([0, 1, 2, 3])
    before = loss(x, y).item()
    optimiser = torch.optim.SGD(loss.parameters(), lr=0.5)
    for _ in range(5):
        optimiser.zero_grad()
        loss(x, y).backward()
        optimiser.step()
    assert loss(x, y).item() < before


@pytest.mark.parametrize("name", ["arcface", "cosface"])
def test_init_seed_reproduces_the_class_centres(name):
    a, b = get_loss(name, **HEAD), get_loss(name, **HEAD)
    assert torch.equal(a.class_centers, b.class_centers)
    assert not torch.equal(a.class_centers, get_loss(name, **{**HEAD, "init_seed": 1}).class_centers)
    torch.manual_seed(3)
    free = get_loss(name, num_classes=5, embedding_dim=8)
    assert free.hparams["init_seed"] is None and not torch.equal(free.class_centers, a.class_centers)
    assert torch.equal(copy.deepcopy(a).class_centers, a.class_centers)
