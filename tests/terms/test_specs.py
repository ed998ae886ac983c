"""The builtin plugin's term specs: registered, examples valid for every batch size, references agree."""

from __future__ import annotations

import itertools

import pytest
import torch

from losskit import InvalidParamError, Param, Registry
from losskit.terms import SPECS, penalties

BY_NAME = {spec.name: spec for spec in SPECS}
NAMES = ["l1_penalty", "l2_penalty", "elastic_net", "demographic_parity", "equal_opportunity", "equalized_odds"]


def param_grid(spec):
    """Every combination of the choice-valued params and the filter settings worth covering."""
    choices = {p.name: p.choices for p in spec.params if p.choices}
    if "include" in spec.param_names:
        choices |= {"include": ("", "0.*,2.*"), "exclude": ("", "*.bias"), "exclude_bias_and_norm": (False, True)}
    for values in itertools.product(*choices.values()):
        yield dict(zip(choices, values))


def test_builtin_plugin_registers_exactly_these_terms():
    registry = Registry(discover=False)
    assert sorted(registry.list_losses()) == sorted(NAMES)
    assert {registry.get_spec(n).family for n in NAMES} == {"penalty", "fairness"}


@pytest.mark.parametrize("name", NAMES)
def test_spec_is_complete(name):
    spec = BY_NAME[name]
    assert spec.reference and spec.functional and spec.source and spec.factory.__doc__
    assert ".. math::" in spec.factory.__doc__ and "Reference:" in spec.factory.__doc__
    assert ("penalty" in spec.tags) == (spec.family == "penalty")
    assert ("batch_coupled" in spec.tags) == (spec.family == "fairness")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batch_size", [0, 1, 5, 64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_module_and_functional_match_the_reference(name, batch_size, dtype):
    spec = BY_NAME[name]
    defaults = {p.name: p.default for p in spec.params}
    for params in param_grid(spec):
        params = defaults | params
        example = spec.example(torch.Generator().manual_seed(3), dtype=dtype, device="cpu", batch_size=batch_size)
        expected = spec.reference(example, **params)
        got = spec.factory(**params)(example.input, example.target, **example.context)
        functional = spec.functional(example.input, example.target, **params, **example.context)
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-14)
        assert got.dtype == dtype and got.shape == expected.shape, params
        assert torch.allclose(got.double(), expected, **tol), params
        assert torch.equal(got, functional), params


@pytest.mark.parametrize("name", NAMES)
def test_examples_are_deterministic(name):
    make = BY_NAME[name].example
    a, b = (make(torch.Generator().manual_seed(1), dtype=torch.float32, device="cpu", batch_size=6) for _ in "ab")
    assert torch.equal(a.input, b.input) and torch.equal(a.target, b.target)
    for key in a.context:
        left, right = a.context[key], b.context[key]
        if isinstance(left, torch.nn.Module):
            left, right = (torch.nn.utils.parameters_to_vector(m.parameters()) for m in (left, right))
        assert torch.equal(left, right)


@pytest.mark.parametrize("name", NAMES)
def test_the_module_does_not_validate_its_params_per_call(name, monkeypatch):
    spec = BY_NAME[name]
    loss = spec.factory()
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=4)
    validated = []
    monkeypatch.setattr(Param, "validate", lambda self, value, *, owner: validated.append(self.name) or value)
    loss(example.input, example.target, **example.context)
    assert validated == []


@pytest.mark.parametrize("name", ["l1_penalty", "l2_penalty", "elastic_net"])
def test_penalty_functional_forms_need_no_input_or_target(name):
    spec = BY_NAME[name]
    functional = getattr(penalties, name)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu", batch_size=2)
    assert torch.equal(functional(model=example.context["model"]), spec.factory()(None, None, **example.context))
    with pytest.raises(InvalidParamError, match="reduction"):
        functional(model=example.context["model"], reduction="meen")
