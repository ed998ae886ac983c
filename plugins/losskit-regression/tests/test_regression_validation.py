"""Invalid parameters, shapes, dtypes and context are refused with errors that say what is wrong."""

from __future__ import annotations

import math

import pytest
import torch

from losskit import ContextError, InvalidParamError, LossInputError, Registry
from losskit_regression.plugin import SPECS

SPEC = {spec.name: spec for spec in SPECS}

# Scales and thresholds that the bounds alone would let be inf: the loss would be 0, constant or non-finite.
FINITE_PARAMS = [
    ("huber", "delta"),
    ("smooth_l1", "beta"),
    ("pseudo_huber", "delta"),
    ("barron", "scale"),
    ("poisson_nll", "eps"),
    ("gaussian_nll", "eps"),
]

BAD_PARAMS = [
    ("huber", "delta", 0.0),
    ("huber", "delta", -1.0),
    ("huber", "delta", "1"),
    ("smooth_l1", "beta", -0.1),
    ("quantile", "q", 0.0),
    ("quantile", "q", 1.0),
    ("quantile", "q", 1.5),
    ("poisson_nll", "eps", -1e-8),
    ("poisson_nll", "log_input", 1),
    ("poisson_nll", "full", "yes"),
    ("gaussian_nll", "eps", 0.0),
    ("gaussian_nll", "full", None),
    ("pseudo_huber", "delta", 0.0),
    ("pseudo_huber", "delta", -2.0),
    ("barron", "scale", 0.0),
    ("barron", "alpha", math.nan),
    *[(name, param, math.inf) for name, param in FINITE_PARAMS],
    *[(name, "reduction", "avg") for name in sorted(SPEC)],
]


@pytest.mark.parametrize(("name", "param", "value"), BAD_PARAMS)
def test_invalid_param_names_the_param(name, param, value):
    with pytest.raises(InvalidParamError, match=param) as error:
        SPEC[name].factory(**{param: value})
    assert error.value.param == param


@pytest.mark.parametrize(("name", "param", "value"), BAD_PARAMS)
def test_functional_form_validates_its_params(name, param, value):
    context = {"var": torch.ones(4, 3)} if name == "gaussian_nll" else {}
    with pytest.raises(InvalidParamError, match=param) as error:
        SPEC[name].functional(torch.rand(4, 3), torch.rand(4, 3), **{param: value}, **context)
    assert error.value.param == param


@pytest.mark.parametrize(("name", "param"), FINITE_PARAMS)
def test_infinite_scale_is_refused(name, param):
    with pytest.raises(InvalidParamError, match=f"{name}: {param}: must be finite, got inf"):
        Registry().get_loss(name, **{param: math.inf})


def test_barron_alpha_may_be_infinite():
    for alpha in (math.inf, -math.inf):
        assert SPEC["barron"].factory(alpha=alpha).alpha == alpha


def test_invalid_param_through_the_registry():
    with pytest.raises(InvalidParamError, match=r"quantile: q: must be > 0 and < 1, got 2"):
        Registry().get_loss("pinball", q=2)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_unknown_param_lists_the_valid_ones(name):
    with pytest.raises(InvalidParamError, match="Valid parameters: .*reduction"):
        Registry().get_loss(name, not_a_param=1)


def call(name: str, input, target, **context):
    if name == "gaussian_nll":
        context.setdefault("var", 1.0)
    return SPEC[name].factory()(input, target, **context)


@pytest.mark.parametrize("name", sorted(SPEC))
@pytest.mark.parametrize(("input_shape", "target_shape"), [((4, 3), (4, 1)), ((3,), (3, 1)), ((2, 3), (3, 2))])
def test_shape_mismatch_is_refused(name, input_shape, target_shape):
    with pytest.raises(LossInputError, match="same shape"):
        call(name, torch.rand(input_shape), torch.rand(target_shape))


@pytest.mark.parametrize("name", sorted(SPEC))
def test_integer_input_is_refused(name):
    with pytest.raises(LossInputError, match="floating-point"):
        call(name, torch.ones(4, 3, dtype=torch.long), torch.ones(4, 3))


@pytest.mark.parametrize("name", sorted(SPEC))
def test_non_tensor_input_is_refused(name):
    with pytest.raises(LossInputError, match="torch.Tensor"):
        call(name, [1.0, 2.0], torch.ones(2))


@pytest.mark.parametrize("name", sorted(SPEC))
def test_weight_of_the_wrong_shape_is_refused(name):
    with pytest.raises(LossInputError, match="weight must have"):
        call(name, torch.rand(4, 3), torch.rand(4, 3), weight=torch.ones(3))


@pytest.mark.parametrize("name", sorted(SPEC))
def test_misspelt_context_key_is_refused(name):
    with pytest.raises(ContextError, match="did you mean 'weight'"):
        call(name, torch.rand(4, 3), torch.rand(4, 3), weights=torch.ones(4))


def test_poisson_refuses_negative_counts_and_rates():
    loss = SPEC["poisson_nll"].factory
    with pytest.raises(LossInputError, match="target must lie in"):
        loss()(torch.zeros(3), torch.tensor([1.0, -1.0, 0.0]))
    with pytest.raises(LossInputError, match="input must lie in .*log_input=True"):
        loss(log_input=False)(torch.tensor([1.0, -0.5, 0.0]), torch.ones(3))
    # a negative log-rate is fine
    assert torch.isfinite(loss()(torch.tensor([-3.0, 0.0]), torch.tensor([0.0, 2.0])))


def test_gaussian_requires_var():
    with pytest.raises(ContextError, match="needs the context keyword 'var'"):
        SPEC["gaussian_nll"].factory()(torch.rand(4), torch.rand(4))


@pytest.mark.parametrize(
    ("var", "message"),
    [
        (torch.tensor([1.0, -0.1, 1.0, 1.0]), "var must lie in"),
        (-1.0, "var must lie in"),
        (torch.ones(3), "var must have the input shape .*Reshape var"),
        (torch.ones(4, 4), "var must have the input shape"),
        (torch.ones(4, dtype=torch.long), "floating-point"),
        ("1", "torch.Tensor"),
    ],
)
def test_gaussian_refuses_bad_var(var, message):
    with pytest.raises(LossInputError, match=message):
        SPEC["gaussian_nll"].factory()(torch.rand(4), torch.rand(4), var=var)


def test_gaussian_var_shape_with_two_size_one_dims_is_refused():
    with pytest.raises(LossInputError, match="var must have the input shape"):
        SPEC["gaussian_nll"].factory()(torch.rand(2, 3, 4), torch.rand(2, 3, 4), var=torch.ones(2, 1, 1))
