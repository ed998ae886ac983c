"""The losses torch also has agree with torch.nn, in value and gradient."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from losskit import get_loss
from losskit_regression.plugin import SPECS

SPEC = {spec.name: spec for spec in SPECS}

CASES = [
    ("mse", {}, nn.MSELoss, {}),
    ("l1", {}, nn.L1Loss, {}),
    *[("huber", {"delta": d}, nn.HuberLoss, {"delta": d}) for d in (1.0, 0.25, 2.0)],
    *[("smooth_l1", {"beta": b}, nn.SmoothL1Loss, {"beta": b}) for b in (1.0, 0.0, 0.3, 2.0)],
    *[
        ("poisson_nll", p, nn.PoissonNLLLoss, p)
        for p in (
            {},
            {"full": True},
            {"log_input": False},
            {"log_input": False, "full": True},
            {"log_input": False, "eps": 0.1},
        )
    ],
    *[("gaussian_nll", p, nn.GaussianNLLLoss, p) for p in ({}, {"full": True}, {"eps": 0.5})],
]
IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params, _, _ in CASES]


def inputs(name: str, params: dict, dtype: torch.dtype):
    generator = torch.Generator().manual_seed(7)
    example = SPEC[name].example(generator, dtype=dtype, device="cpu", batch_size=6)
    input = example.input * 2  # wider residuals: both branches of huber & co.
    if params.get("log_input") is False:
        input = input.exp()  # a rate, not a log-rate
    input = input.detach().requires_grad_()
    context = {k: v.clone().requires_grad_() for k, v in example.context.items()}
    return input, example.target, context


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize(("name", "params", "torch_loss", "torch_params"), CASES, ids=IDS)
def test_matches_torch(name, params, torch_loss, torch_params, dtype, reduction):
    input, target, context = inputs(name, params, dtype)
    ours = SPEC[name].factory(**params, reduction=reduction)(input, target, **context)
    theirs = torch_loss(**torch_params, reduction=reduction)(input, target, *context.values())
    torch.testing.assert_close(ours, theirs)

    leaves = [input, *context.values()]
    our_grads = torch.autograd.grad(ours.sum(), leaves)
    their_grads = torch.autograd.grad(theirs.sum(), leaves)
    for a, b in zip(our_grads, their_grads):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize(
    "var_shape", [(6, 3), (6,), (6, 1), (1, 3)], ids=["same", "drop_last", "last_is_1", "first_is_1"]
)
def test_gaussian_variance_shapes_match_torch(var_shape):
    generator = torch.Generator().manual_seed(3)
    input = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    target = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    var = torch.rand(var_shape, generator=generator, dtype=torch.float64) + 0.1
    for reduction in ("mean", "none"):
        ours = SPEC["gaussian_nll"].factory(reduction=reduction)(input, target, var=var)
        theirs = nn.GaussianNLLLoss(reduction=reduction)(input, target, var)
        torch.testing.assert_close(ours, theirs)


def test_gaussian_float_variance_matches_torch():
    input, target = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    ours = SPEC["gaussian_nll"].factory()(input, target, var=0.3)
    torch.testing.assert_close(ours, nn.GaussianNLLLoss()(input, target, 0.3))


def test_gaussian_gradient_passes_through_the_variance_clamp_like_torch():
    input = torch.randn(5, 2, dtype=torch.float64)
    target = torch.randn(5, 2, dtype=torch.float64)
    var = torch.tensor([1e-9, 0.0, 0.5, 2.0, 1e-3], dtype=torch.float64).unsqueeze(-1).expand(5, 2).clone()
    ours_var, theirs_var = var.clone().requires_grad_(), var.clone().requires_grad_()
    SPEC["gaussian_nll"].factory(eps=1e-2)(input, target, var=ours_var).backward()
    nn.GaussianNLLLoss(eps=1e-2)(input, target, theirs_var).backward()
    torch.testing.assert_close(ours_var.grad, theirs_var.grad)


def test_poisson_stirling_term_keeps_float64_with_integer_counts():
    # Counts often come as torch.long; log(long) is float32 in torch, which would round a float64 loss.
    generator = torch.Generator().manual_seed(4)
    input = torch.randn(8, 3, generator=generator, dtype=torch.float64)
    counts = torch.poisson(torch.full((8, 3), 30.0, dtype=torch.float64), generator=generator)
    loss = SPEC["poisson_nll"].factory(full=True, reduction="none")
    torch.testing.assert_close(loss(input, counts.long()), loss(input, counts), rtol=1e-13, atol=0)


def test_gaussian_nll_takes_var_third_as_torch():
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    var = torch.rand(5, 2, generator=g) + 0.1
    expected = torch.nn.GaussianNLLLoss(full=True)(x, y, var)
    loss = get_loss("GaussianNLLLoss", full=True)
    for got in (loss(x, y, var), loss(x, y, var=var), loss(input=x, target=y, var=var)):
        torch.testing.assert_close(got, expected)


def test_constructor_arguments_by_position_as_torch():
    from losskit_regression.huber import HuberLoss
    from losskit_regression.poisson_nll import PoissonNLLLoss

    g = torch.Generator().manual_seed(4)
    x, y = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    counts = torch.poisson(3 * torch.rand(5, 2, generator=g))
    torch.testing.assert_close(HuberLoss("sum", 0.5)(x, y), nn.HuberLoss("sum", 0.5)(x, y))
    torch.testing.assert_close(PoissonNLLLoss(True, True)(x, counts), nn.PoissonNLLLoss(True, True)(x, counts))
