"""Stability at large and tiny residuals, gradients, low precision, and the declared identities."""

from __future__ import annotations

import math

import pytest
import torch

from losskit import Example
from losskit_regression.plugin import SPECS

SPEC = {spec.name: spec for spec in SPECS}

# (name, params, input, target, context): far-off predictions, in float32.
BIG = torch.tensor([1e4, -1e4, 3e3, 0.0])
LARGE_RESIDUALS = [
    ("mse", {}, BIG, torch.zeros(4), {}),
    ("l1", {}, BIG, torch.zeros(4), {}),
    ("huber", {"delta": 0.5}, BIG, torch.zeros(4), {}),
    ("smooth_l1", {"beta": 0.5}, BIG, torch.zeros(4), {}),
    ("smooth_l1", {"beta": 0.0}, BIG, torch.zeros(4), {}),
    ("log_cosh", {}, BIG, torch.zeros(4), {}),
    ("quantile", {"q": 0.9}, BIG, torch.zeros(4), {}),
    ("pseudo_huber", {"delta": 0.1}, BIG, torch.zeros(4), {}),
    ("gaussian_nll", {}, BIG, torch.zeros(4), {"var": torch.tensor([1e-3, 1.0, 0.0, 5.0])}),
    ("poisson_nll", {}, torch.tensor([-1e4, -50.0, 20.0, 0.0]), torch.tensor([1e4, 0.0, 1e4, 0.0]), {}),
    (
        "poisson_nll",
        {"log_input": False, "full": True},
        torch.tensor([1e4, 0.0, 1.0, 3.0]),
        torch.tensor([0.0, 1e4, 1e4, 1.0]),
        {},
    ),
    *[
        ("barron", {"alpha": a, "scale": 0.5}, BIG, torch.zeros(4), {})
        for a in (-math.inf, -1e6, -2.0, -1e-9, 0.0, 1e-9, 0.5, 1.0, 2.0 - 1e-9, 2.0, 2.0 + 1e-9)
    ],
]


@pytest.mark.parametrize(("name", "params", "input", "target", "context"), LARGE_RESIDUALS)
def test_large_residuals_give_finite_values_and_gradients_in_float32(name, params, input, target, context):
    input = input.clone().requires_grad_()
    out = SPEC[name].factory(**params, reduction="none")(input, target, **context)
    out.sum().backward()
    assert torch.isfinite(out).all(), out
    assert torch.isfinite(input.grad).all(), input.grad


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_log_cosh_is_accurate_at_tiny_and_huge_residuals(dtype):
    r = torch.tensor([1e-6, -1e-4, 1e-2, 0.999, 1.001, 30.0, -1e4], dtype=dtype)
    out = SPEC["log_cosh"].factory(reduction="none")(r, torch.zeros_like(r))
    r64 = r.double()
    # log cosh r: its Taylor series near 0, |r| - log 2 + log1p(exp(-2|r|)) far away
    series = r64**2 / 2 - r64**4 / 12 + r64**6 / 45 - 17 * r64**8 / 2520
    far = r64.abs() - math.log(2) + torch.log1p(torch.exp(-2 * r64.abs()))
    expected = torch.where(r64.abs() < 0.5, series, far)
    torch.testing.assert_close(out.double(), expected, rtol=4 * torch.finfo(dtype).eps, atol=0)


# Barron 2019, the special cases named in the paper, as functions of z = (x / c)^2.
BARRON_CASES = {
    2.0: lambda z: z / 2,  # L2
    1.0: lambda z: torch.sqrt(z + 1) - 1,  # pseudo-Huber / Charbonnier
    0.0: lambda z: torch.log(z / 2 + 1),  # Cauchy / Lorentzian
    -2.0: lambda z: 2 * z / (z + 4),  # Geman-McClure
    -math.inf: lambda z: 1 - torch.exp(-z / 2),  # Welsch / Leclerc
    math.inf: lambda z: torch.exp(z / 2) - 1,
}


@pytest.mark.parametrize("scale", [0.3, 1.0, 4.0])
@pytest.mark.parametrize("alpha", list(BARRON_CASES), ids=str)
def test_barron_special_cases_of_the_paper(alpha, scale):
    r = torch.linspace(-6, 6, 41, dtype=torch.float64)
    out = SPEC["barron"].factory(alpha=alpha, scale=scale, reduction="none")(r, torch.zeros_like(r))
    torch.testing.assert_close(out, BARRON_CASES[alpha]((r / scale) ** 2), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("limit", [0.0, 2.0])
@pytest.mark.parametrize("offset", [-1e-3, -1e-7, -1e-12, 1e-12, 1e-7, 1e-3])
def test_barron_is_continuous_at_its_limits(limit, offset, dtype):
    r = torch.tensor([0.0, 1e-3, 0.2, 1.0, 7.0, 1e3], dtype=dtype)
    near = SPEC["barron"].factory(alpha=limit + offset, reduction="none")(r, torch.zeros_like(r))
    at = SPEC["barron"].factory(alpha=limit, reduction="none")(r, torch.zeros_like(r))
    # Moving alpha by d from 2 scales the loss by about 1 - d log(z / d) / 2 (the true loss, not rounding):
    # at most ~25 d here.
    tolerance = 50 * max(abs(offset), torch.finfo(dtype).eps)
    torch.testing.assert_close(near, at, rtol=tolerance, atol=0)


def test_pseudo_huber_is_barron_alpha_one_times_delta_squared():
    r = torch.linspace(-20, 20, 81, dtype=torch.float64)
    for delta in (0.1, 1.0, 3.0):
        ph = SPEC["pseudo_huber"].factory(delta=delta, reduction="none")(r, torch.zeros_like(r))
        barron = SPEC["barron"].factory(alpha=1.0, scale=delta, reduction="none")(r, torch.zeros_like(r))
        torch.testing.assert_close(ph, delta**2 * barron)


def test_smooth_l1_is_huber_over_beta():
    r = torch.linspace(-5, 5, 41, dtype=torch.float64)
    for beta in (0.2, 1.0, 2.5):
        smooth = SPEC["smooth_l1"].factory(beta=beta, reduction="none")(r, torch.zeros_like(r))
        huber = SPEC["huber"].factory(delta=beta, reduction="none")(r, torch.zeros_like(r))
        torch.testing.assert_close(smooth, huber / beta)


def test_quantile_half_is_half_of_l1():
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(10, 2, generator=generator), torch.randn(10, 2, generator=generator)
    torch.testing.assert_close(SPEC["quantile"].factory(q=0.5)(x, y), 0.5 * SPEC["l1"].factory()(x, y))


IDENTITIES = [(spec.name, identity) for spec in SPECS for identity in spec.identities]


@pytest.mark.parametrize(("name", "identity"), IDENTITIES, ids=[f"{n}={i.equals}" for n, i in IDENTITIES])
def test_declared_identities_hold(name, identity):
    example = SPEC[name].example(torch.Generator().manual_seed(5), dtype=torch.float64, device="cpu", batch_size=16)
    for reduction in ("mean", "none"):
        ours = SPEC[name].factory(**identity.params, reduction=reduction)
        other = SPEC[identity.equals].factory(**identity.equals_params, reduction=reduction)
        torch.testing.assert_close(
            ours(example.input, example.target, **example.context),
            other(example.input, example.target, **example.context),
        )


def test_identities_are_declared():
    assert {(n, i.equals) for n, i in IDENTITIES} == {
        ("huber", "smooth_l1"),
        ("smooth_l1", "l1"),
        ("barron", "pseudo_huber"),
    }


GRADCHECK_CASES = [
    ("mse", {}),
    ("l1", {}),
    ("huber", {"delta": 0.7}),
    ("smooth_l1", {"beta": 0.7}),
    ("log_cosh", {}),
    ("quantile", {"q": 0.3}),
    ("poisson_nll", {"full": True}),
    ("poisson_nll", {"log_input": False}),
    ("gaussian_nll", {"full": True}),
    ("pseudo_huber", {"delta": 0.5}),
    *[("barron", {"alpha": a, "scale": 0.8}) for a in (-math.inf, -2.0, 0.0, 0.5, 1.0, 2.0, 3.0)],
]


@pytest.mark.parametrize(("name", "params"), GRADCHECK_CASES)
def test_gradcheck_float64(name, params):
    example = SPEC[name].example(torch.Generator().manual_seed(11), dtype=torch.float64, device="cpu", batch_size=3)
    input = (example.input.exp() if params.get("log_input") is False else example.input).clone().requires_grad_()
    context = {k: v.clone().requires_grad_() for k, v in example.context.items()}
    weight = torch.rand(3, dtype=torch.float64)
    loss = SPEC[name].factory(**params, reduction="sum")
    assert torch.autograd.gradcheck(
        lambda x, *ctx: loss(x, example.target, **dict(zip(context, ctx)), weight=weight), (input, *context.values())
    )


@pytest.mark.parametrize("name", sorted(SPEC))
def test_bfloat16_is_finite_and_close_to_the_reference(name):
    spec = SPEC[name]
    example = spec.example(torch.Generator().manual_seed(2), dtype=torch.bfloat16, device="cpu", batch_size=32)
    input = example.input.clone().requires_grad_()
    loss = spec.factory()
    out = loss(input, example.target, **example.context)
    out.backward()
    assert out.dtype == torch.bfloat16
    assert torch.isfinite(input.grad).all()
    expected = spec.reference(Example(input.detach(), example.target, example.context), **loss.hparams)
    torch.testing.assert_close(out.double(), expected, rtol=2e-2, atol=1e-2)


HUGE = torch.tensor([1e20, -3e30, 3e38, 2.0, 0.0])  # (r / c)^2 overflows float32 past |r / c| ~ 1.8e19


@pytest.mark.parametrize(
    ("name", "params", "slope"),
    [
        ("pseudo_huber", {"delta": 1.0}, 1.0),
        ("pseudo_huber", {"delta": 0.01}, 0.01),
        ("barron", {"alpha": 1.0, "scale": 1.0}, 1.0),
        ("barron", {"alpha": 1.0, "scale": 100.0}, 0.01),
    ],
)
def test_linear_tails_do_not_overflow_where_the_loss_is_finite(name, params, slope):
    # delta^2 (sqrt(1 + (r/delta)^2) - 1) ~ delta |r| and sqrt((r/c)^2 + 1) - 1 ~ |r| / c: finite, with a
    # gradient of magnitude delta (resp. 1/c), though (r / delta)^2 overflows.
    x = HUGE.clone().requires_grad_(True)
    loss = SPEC[name].factory(**params, reduction="none")(x, torch.zeros(5))
    loss.sum().backward()
    exact = SPEC[name].reference(Example(HUGE.double(), torch.zeros(5, dtype=torch.float64)), **params, reduction="none")
    assert torch.isfinite(loss).all() and torch.isfinite(x.grad).all()
    torch.testing.assert_close(loss.double(), exact, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(x.grad[:3].abs(), torch.full((3,), slope), rtol=1e-5, atol=0)


@pytest.mark.parametrize("alpha", [0.0, 0.5, -2.0, 1.5])
def test_barron_below_alpha_two_is_finite_where_its_square_overflows(alpha):
    x = HUGE.clone().requires_grad_(True)
    loss = SPEC["barron"].factory(alpha=alpha, reduction="none")(x, torch.zeros(5))
    loss.sum().backward()
    exact = SPEC["barron"].reference(Example(HUGE.double(), torch.zeros(5, dtype=torch.float64)), alpha=alpha, scale=1.0,
                                     reduction="none")
    finite = torch.isfinite(exact.float())
    assert torch.isfinite(loss[finite]).all() and torch.isfinite(x.grad[finite]).all()
    torch.testing.assert_close(loss[finite].double(), exact[finite], rtol=1e-5, atol=1e-6)
