"""Every imbalance loss against its float64 reference from the paper, every reduction, float32 and float64."""

from __future__ import annotations

import pytest
import torch

from losskit_classification.imbalance import SPECS
from losskit_classification.imbalance._examples import EXAMPLE_SAMPLES_PER_CLASS

SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
COUNTS = EXAMPLE_SAMPLES_PER_CLASS

# (loss, non-default parameters): the defaults plus the variants the papers describe.
CASES = [
    ("poly1", {}),
    ("poly1", {"epsilon": -1.0}),
    ("poly1", {"epsilon": 2.0, "label_smoothing": 0.2}),
    ("class_balanced", {"samples_per_class": COUNTS}),
    ("class_balanced", {"samples_per_class": COUNTS, "beta": 0.99, "base": "sigmoid"}),
    ("class_balanced", {"samples_per_class": COUNTS, "beta": 0.999, "base": "focal", "gamma": 0.5}),
    ("class_balanced", {"samples_per_class": (3.0, 1.0, 7.0, 2.0, 5.0), "beta": 0.9, "base": "focal"}),
    ("asymmetric", {}),
    ("asymmetric", {"gamma_pos": 1.0, "gamma_neg": 0.5, "clip": 0.3}),
    ("asymmetric", {"gamma_pos": 0.0, "gamma_neg": 2.0, "clip": 0.0, "eps": 1e-3}),
    ("logit_adjusted", {"samples_per_class": COUNTS}),
    ("logit_adjusted", {"class_priors": (0.1, 0.2, 0.3, 0.15, 0.25), "tau": 2.0}),
    ("balanced_softmax", {"samples_per_class": COUNTS}),
    ("ldam", {"samples_per_class": COUNTS}),
    ("ldam", {"samples_per_class": (5.0, 50.0, 500.0, 1.0, 10.0), "max_m": 1.0, "s": 1.0}),
    ("generalized_ce", {}),
    ("generalized_ce", {"q": 1.0}),
    ("generalized_ce", {"q": 0.05}),
    ("symmetric_ce", {}),
    ("symmetric_ce", {"alpha": 1.0, "beta": 0.5, "log_zero": -9.0}),
    ("distillation", {}),
    ("distillation", {"temperature": 1.0, "alpha": 0.5}),
    ("distillation", {"temperature": 20.0, "alpha": 1.0}),
]
TOLERANCE = {torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-12)}


def _ids(case: tuple[str, dict]) -> str:
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items() if k != "samples_per_class")


def _example(name: str, dtype: torch.dtype, batch_size: int = 7, seed: int = 0):
    return SPEC_BY_NAME[name].example(torch.Generator().manual_seed(seed), dtype=dtype, device="cpu",
                                      batch_size=batch_size)


@pytest.mark.parametrize("case", CASES, ids=map(_ids, CASES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_matches_reference(case, dtype, reduction):
    name, params = case
    spec = SPEC_BY_NAME[name]
    loss = spec.factory(**params, reduction=reduction)
    example = _example(name, dtype)
    value = loss(example.input, example.target, **example.context)
    expected = spec.reference(example, **loss.hparams)
    assert value.dtype == dtype
    assert value.shape == expected.shape
    tolerance = TOLERANCE[dtype]
    if dtype == torch.float32 and params.get("temperature", 1.0) > 10:
        # T^2 * KL of two close distributions: float32 cancellation, amplified by T^2 = 400.
        tolerance = dict(rtol=2e-4, atol=1e-4)
    torch.testing.assert_close(value.double(), expected, **tolerance)


@pytest.mark.parametrize("case", CASES, ids=map(_ids, CASES))
def test_functional_form_agrees_with_module(case):
    name, params = case
    spec = SPEC_BY_NAME[name]
    example = _example(name, torch.float64)
    loss = spec.factory(**params, reduction="none")
    functional = spec.functional(example.input, example.target, **loss.hparams, **example.context)
    torch.testing.assert_close(functional, loss(example.input, example.target, **example.context))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_per_sample_weight_matches_reference(spec, reduction):
    example = _example(spec.name, torch.float64)
    weight = torch.linspace(0.0, 2.0, example.input.shape[0], dtype=torch.float64)
    weighted = type(example)(example.input, example.target, {**example.context, "weight": weight})
    loss = spec.factory(**spec.example_params, reduction=reduction)
    value = loss(weighted.input, weighted.target, **weighted.context)
    torch.testing.assert_close(value, spec.reference(weighted, **loss.hparams))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_empty_batch_is_finite(spec, reduction):
    example = _example(spec.name, torch.float32, batch_size=0)
    input = example.input.requires_grad_()
    value = spec.factory(**spec.example_params, reduction=reduction)(input, example.target,
                                                                                   **example.context)
    if reduction == "none":
        assert value.shape[0] == 0
    else:
        assert value.item() == 0.0
        value.backward()
        assert input.grad.shape == input.shape


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_mean_denominator(spec):
    """'mean' is the 'none' output summed over its elements (the batch, for per-sample losses)."""
    example = _example(spec.name, torch.float64)
    params = spec.example_params
    none = spec.factory(**params, reduction="none")(example.input, example.target, **example.context)
    mean = spec.factory(**params, reduction="mean")(example.input, example.target, **example.context)
    total = spec.factory(**params, reduction="sum")(example.input, example.target, **example.context)
    denominator = example.input.shape[0] if spec.mean_denominator == "batch" else none.numel()
    assert spec.mean_denominator in ("batch", "elements")
    torch.testing.assert_close(total, none.sum())
    torch.testing.assert_close(mean, none.sum() / denominator)


@pytest.mark.parametrize("case", CASES, ids=map(_ids, CASES))
def test_gradcheck(case):
    name, params = case
    spec = SPEC_BY_NAME[name]
    example = _example(name, torch.float64, batch_size=3, seed=1)
    loss = spec.factory(**params, reduction="sum")
    input = example.input.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda x: loss(x, example.target, **example.context), (input,))
