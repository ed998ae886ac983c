"""Every regression loss against its independent float64 reference, in float32 and float64."""

from __future__ import annotations

import math

import pytest
import torch

from losskit import Example
from losskit_regression.plugin import SPECS

SPEC = {spec.name: spec for spec in SPECS}

CASES = [
    ("mse", {}),
    ("l1", {}),
    ("huber", {}),
    ("huber", {"delta": 0.3}),
    ("huber", {"delta": 2.5}),
    ("smooth_l1", {}),
    ("smooth_l1", {"beta": 0.0}),
    ("smooth_l1", {"beta": 0.4}),
    ("log_cosh", {}),
    ("quantile", {}),
    ("quantile", {"q": 0.1}),
    ("quantile", {"q": 0.9}),
    ("poisson_nll", {}),
    ("poisson_nll", {"full": True}),
    ("poisson_nll", {"log_input": False}),
    ("poisson_nll", {"log_input": False, "full": True, "eps": 1e-3}),
    ("gaussian_nll", {}),
    ("gaussian_nll", {"full": True}),
    ("gaussian_nll", {"eps": 0.5}),
    ("pseudo_huber", {}),
    ("pseudo_huber", {"delta": 0.2}),
    ("pseudo_huber", {"delta": 3.0}),
    ("barron", {}),
    *[("barron", {"alpha": a, "scale": 0.7}) for a in (-math.inf, -2.0, -0.5, 0.0, 0.5, 1.5, 2.0, 3.0)],
    ("barron", {"alpha": math.inf, "scale": 2.0}),
]
IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]
TOLERANCE = {torch.float32: {"rtol": 2e-5, "atol": 1e-6}, torch.float64: {"rtol": 1e-10, "atol": 1e-12}}


def make_example(name: str, params: dict, dtype: torch.dtype, weighting: str, batch_size: int = 8) -> Example:
    generator = torch.Generator().manual_seed(1234)
    example = SPEC[name].example(generator, dtype=dtype, device="cpu", batch_size=batch_size)
    input = example.input.exp() if params.get("log_input") is False else example.input  # a rate, not a log-rate
    context = dict(example.context)
    if weighting == "sample":
        context["weight"] = torch.rand(batch_size, generator=generator, dtype=torch.float64).to(dtype)
    elif weighting == "element":
        context["weight"] = torch.rand(example.input.shape, generator=generator, dtype=torch.float64).to(dtype)
    return Example(input, example.target, context)


@pytest.mark.parametrize("weighting", ["unweighted", "sample", "element"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_matches_reference(name, params, dtype, reduction, weighting):
    spec = SPEC[name]
    example = make_example(name, params, dtype, weighting)
    loss = spec.factory(**params, reduction=reduction)

    out = loss(example.input, example.target, **example.context)
    expected = spec.reference(example, **loss.hparams)

    assert out.dtype == dtype
    assert out.shape == (example.input.shape if reduction == "none" else ())
    torch.testing.assert_close(out.double(), expected, **TOLERANCE[dtype])


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_functional_form_is_the_module(name, params):
    spec = SPEC[name]
    example = make_example(name, params, torch.float64, "sample")
    loss = spec.factory(**params)
    by_module = loss(example.input, example.target, **example.context)
    by_function = spec.functional(example.input, example.target, **loss.hparams, **example.context)
    torch.testing.assert_close(by_function, by_module, rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_empty_batch_mean_is_zero(name):
    example = make_example(name, {}, torch.float32, "unweighted", batch_size=0)
    input = example.input.clone().requires_grad_()
    out = SPEC[name].factory()(input, example.target, **example.context)
    out.backward()
    assert out.item() == 0.0
    assert input.grad.shape == input.shape


@pytest.mark.parametrize("name", sorted(SPEC))
def test_inputs_are_not_mutated(name):
    example = make_example(name, {}, torch.float64, "sample")
    before = [example.input.clone(), example.target.clone(), *(v.clone() for v in example.context.values())]
    SPEC[name].factory()(example.input, example.target, **example.context)
    after = [example.input, example.target, *example.context.values()]
    for old, new in zip(before, after):
        assert torch.equal(old, new)
