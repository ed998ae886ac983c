"""torch's own reduction (no weight, full precision, non-empty) gives what losskit's reduction gives."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from losskit import LossInputError, get_loss

# Each with a weight of ones takes the per-element path and losskit's reduce: the reference for the fused one.
LOSSES = {
    "mse": {},
    "l1": {},
    "huber": {"delta": 0.7},
    "smooth_l1": {"beta": 0.3},
    "smooth_l1_beta0": {"beta": 0.0},
    "poisson_nll": {},
    "poisson_nll_full": {"full": True},
}


def _loss(key: str, reduction: str):
    name = "smooth_l1" if key.startswith("smooth_l1") else "poisson_nll" if key.startswith("poisson") else key
    return get_loss(name, reduction=reduction, **LOSSES[key])


def _pair(key: str, shape, seed: int, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    y = torch.randn(shape, generator=g, dtype=torch.float64) * 2
    if key.startswith("poisson"):
        y = torch.poisson(y.abs() * 2, generator=g)
    return x.to(dtype).requires_grad_(), y.to(dtype)


def _value_and_grad(loss, x, y, **context):
    value = loss(x, y, **context)
    (grad,) = torch.autograd.grad(value.sum(), x)
    return value.detach(), grad


@settings(max_examples=25, deadline=None)
@given(
    key=st.sampled_from(sorted(LOSSES)),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_the_fused_reduction_matches_the_reference_one(key, reduction, shape, seed):
    loss = _loss(key, reduction)
    x, y = _pair(key, shape, seed)
    fused = _value_and_grad(loss, x, y)
    reference = _value_and_grad(loss, x, y, weight=torch.ones_like(y))
    for a, b in zip(fused, reference):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("key", sorted(LOSSES))
def test_an_empty_input_has_a_zero_mean_and_a_finite_gradient(key):
    loss = _loss(key, "mean")
    x, y = _pair(key, (0, 3), 0, torch.float32)
    value, grad = _value_and_grad(loss, x, y)
    assert value.item() == 0.0 and grad.shape == (0, 3)


@pytest.mark.parametrize("key", sorted(LOSSES))
def test_nan_propagates_through_the_fused_path(key):
    x, y = _pair(key, (4,), 1, torch.float32)
    x = x.detach().clone()
    x[2] = float("nan")
    assert torch.isnan(_loss(key, "mean")(x, y))


@pytest.mark.parametrize("key", sorted(LOSSES))
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_keeps_its_dtype_and_autocast_gives_float32(key, dtype):
    loss = _loss(key, "mean")
    x, y = _pair(key, (8, 3), 2, torch.float32)
    low = x.detach().to(dtype)
    assert loss(low, y).dtype == dtype
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert loss(low, y).dtype == torch.float32
        assert loss(x, y).dtype == torch.float32


@pytest.mark.parametrize("key", ["mse", "l1", "huber"])
def test_integer_and_bool_targets_give_the_converted_targets_loss(key):
    loss = _loss(key, "mean")
    x = torch.randn(6, dtype=torch.float32)
    for target in (torch.tensor([0, 1, 2, 0, 1, 3]), torch.tensor([True, False, True, True, False, False])):
        torch.testing.assert_close(loss(x, target), loss(x, target.float()))


def test_a_shape_mismatch_is_still_refused():
    with pytest.raises(LossInputError, match="same shape"):
        get_loss("mse")(torch.zeros(3, 1), torch.zeros(3))
