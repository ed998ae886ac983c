"""Wrong inputs and parameters raise losskit errors that say what was expected and how to fix it."""

from __future__ import annotations

import importlib

import pytest
import torch

from losskit import ContextError, InvalidParamError, LossInputError, Param, get_loss, get_spec
from losskit_metric.plugin import SPECS

HEAD = {"num_classes": 5, "embedding_dim": 8}
x4 = torch.randn(4, 3)


@pytest.mark.parametrize(
    "name, call, message",
    [
        ("triplet", lambda f: f(x4, torch.randn(4, 2), negative=x4), "target must have the shape of input"),
        ("triplet", lambda f: f(x4, x4, negative=x4[:3]), "negative must have the shape of input"),
        ("triplet", lambda f: f(x4[None], x4[None], negative=x4[None]), "input must have shape (N, D)"),
        ("triplet", lambda f: f(x4.long(), x4, negative=x4), "floating-point"),
        (
            "cosine_embedding",
            lambda f: f(x4, torch.tensor([1, 0, 1, -1]), other=x4),
            "For 0/1 labels pass 2 * target - 1",
        ),
        (
            "cosine_embedding",
            lambda f: f(x4, torch.ones(3), other=x4),
            "one 1 or -1 per pair (row of input), shape (4,), got (3,)",
        ),
        ("cosine_embedding", lambda f: f(x4, torch.ones(4, dtype=torch.bool), other=x4), "must hold 1 or -1"),
        ("contrastive", lambda f: f(x4, torch.ones(4), other=torch.randn(4, 2)), "other must have the shape of input"),
        ("margin_ranking", lambda f: f(x4[:, 0], torch.full((4,), 2.0), other=x4[:, 0]), "got 2"),
        (
            "hinge_embedding",
            lambda f: f(x4, torch.ones(4)),
            "one 1 or -1 per distance (element of input), shape (4, 3), got (4,)",
        ),
        ("nt_xent", lambda f: f(x4, torch.randn(5, 3)), "row n of both is one sample's two views"),
        ("supcon", lambda f: f(x4, torch.rand(4)), "integer class labels"),
        ("supcon", lambda f: f(x4, torch.zeros(3, dtype=torch.long)), "one label per sample, shape (4,)"),
        ("supcon", lambda f: f(torch.randn(4, 2, 3, 1), torch.zeros(4, dtype=torch.long)), "(N, V, D)"),
        ("multi_similarity", lambda f: f(x4, torch.zeros(4, 1, dtype=torch.long)), "one label per sample"),
    ],
)
def test_input_errors(name, call, message):
    with pytest.raises(LossInputError) as info:
        call(get_loss(name))
    assert message in str(info.value)
    assert str(info.value).startswith(name)


def test_head_input_errors():
    loss = get_loss("arcface", **HEAD)
    with pytest.raises(LossInputError, match="build the loss with embedding_dim=3"):
        loss(x4, torch.zeros(4, dtype=torch.long))
    with pytest.raises(LossInputError, match=r"class indices must be in \[0, 5\)"):
        loss(torch.randn(4, 8), torch.tensor([0, 1, 5, 2]))
    with pytest.raises(LossInputError, match=r"one class index per sample, shape \(4,\)"):
        get_loss("cosface", **HEAD)(torch.randn(4, 8), torch.zeros(4, 1, dtype=torch.long))


@pytest.mark.parametrize("name, context", [("triplet", {}), ("cosine_embedding", {}), ("contrastive", {})])
def test_missing_context_is_named(name, context):
    with pytest.raises(ContextError, match="needs the context keyword"):
        get_loss(name)(x4, x4, **context)


def test_misspelt_context_gets_did_you_mean():
    with pytest.raises(ContextError, match="negative"):
        get_loss("triplet")(x4, x4, negatives=x4)


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("arcface", {}, "num_classes: must not be None"),
        ("arcface", {"num_classes": 3}, "embedding_dim: must not be None"),
        ("cosface", {**HEAD, "margin": -0.1}, "margin: must be >= 0"),
        ("arcface", {**HEAD, "margin": 4.0}, "margin: must be >= 0 and < 3.14159"),
        ("triplet_with_distance", {"distance": "cosin"}, "did you mean 'cosine'"),
        ("nt_xent", {"temperature": 0.0}, "temperature: must be > 0"),
        ("supcon", {"base_temperature": -1.0}, "base_temperature: must be > 0"),
        ("cosine_embedding", {"margin": 1.5}, "margin: must be >= -1 and <= 1"),
        ("multi_similarity", {"epsilon": -1.0}, "epsilon: must be >= 0"),
        ("triplet", {"p": 0}, "p: must be > 0"),
        ("triplet", {"margin": 0.0}, "margin: must be > 0"),  # torch's triplet_margin_loss refuses 0
    ],
)
def test_param_errors(name, params, message):
    with pytest.raises(InvalidParamError) as info:
        get_loss(name, **params)
    assert message in str(info.value)


def test_functional_forms_validate_their_params():
    with pytest.raises(InvalidParamError, match="temperature"):
        get_spec("nt_xent").functional(x4, x4, temperature=-1.0)
    with pytest.raises(InvalidParamError, match="reduction"):
        get_spec("multi_similarity").functional(x4, torch.zeros(4, dtype=torch.long), reduction="avg")


@pytest.mark.parametrize("name", ["arcface", "cosface"])
def test_head_functional_forms_take_the_centres_and_validate_their_params(name):
    functional = getattr(importlib.import_module(f"losskit_metric.{name}"), f"{name}_loss")
    loss = get_loss(name, **HEAD, init_seed=0, margin=0.2, reduction="none")
    x, y = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    expected = loss(x, y)
    got = functional(x, y, class_centers=loss.class_centers, margin=0.2, reduction="none")
    torch.testing.assert_close(got, expected)
    with pytest.raises(InvalidParamError, match="margin: must be >= 0"):
        functional(x, y, class_centers=loss.class_centers, margin=-1.0)
    with pytest.raises(InvalidParamError, match="num_classes: unknown parameter"):
        functional(x, y, class_centers=loss.class_centers, num_classes=5)
    with pytest.raises(LossInputError, match="class_centers must have shape"):
        functional(x, y, class_centers=loss.class_centers[0])


@pytest.mark.parametrize("name", sorted(spec.name for spec in SPECS))
def test_the_module_does_not_validate_its_params_per_call(name, monkeypatch):
    spec = get_spec(name)
    loss = get_loss(name, **spec.example_params)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=4)
    validated = []
    monkeypatch.setattr(Param, "validate", lambda self, value, *, owner: validated.append(self.name) or value)
    loss(example.input, example.target, **example.context)
    assert validated == []
