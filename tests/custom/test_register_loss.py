"""``register_loss``: a function or a Loss class registered in one line, validated and checked like a plugin's."""

from __future__ import annotations

import copy
import inspect
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import losskit
from losskit import (
    ContextError,
    InvalidParamError,
    Loss,
    PluginConflictWarning,
    Registry,
    SpecError,
    build_loss,
    param,
    reduction_param,
)
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.reduction import reduce
from losskit.testing import check_loss, parametrize_with_checks, plugin_specs
from tests.custom import custom_fixtures
from tests.custom.custom_fixtures import FACTS, REGISTRY, SquaredLoss, my_huber

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = {"example": paired_values()}


@pytest.fixture
def registry() -> Registry:
    return Registry(discover=False, builtins=False)


def test_a_function_becomes_a_loss_whose_params_come_from_its_signature():
    spec = REGISTRY.get_spec("my_huber")
    delta, scale, reduction = spec.params
    assert (delta.name, delta.default, delta.gt, delta.finite, delta.doc) == (
        "delta", 1.0, 0, True, "residual at which the loss turns linear",
    )
    assert (scale.name, scale.type, scale.default) == ("scale", float, 1.0)
    assert scale.doc == "factor of every element's loss (continued on a second line)."  # from the docstring's Args:
    assert reduction == reduction_param()  # reduction="mean": the shared parameter, its choices included
    assert spec.summary == "Huber's loss, scaled: quadratic within `delta`, linear beyond"
    loss = REGISTRY.get_loss("my_huber", delta=0.5)
    assert isinstance(loss, Loss) and loss.hparams == {"delta": 0.5, "scale": 1.0, "reduction": "mean"}
    assert loss.context_keys().accepted == {"weight"} and not loss.context_keys().required
    assert "parameters:" in REGISTRY.describe("my_huber") and "delta = 1.0" in REGISTRY.describe("my_huber")


def test_the_decorator_returns_the_functional_form_with_the_declared_defaults():
    assert inspect.signature(my_huber).parameters["delta"].default == 1.0  # not the param(...) object
    x, y = torch.tensor([0.0, 3.0]), torch.zeros(2)
    assert torch.allclose(my_huber(x, y), torch.tensor(1.25))
    assert torch.equal(my_huber(x, y, delta=0.5), REGISTRY.get_loss("my_huber", delta=0.5)(x, y))
    with pytest.raises(InvalidParamError, match="delta: must be > 0, got -1"):
        my_huber(x, y, delta=-1)
    assert (my_huber.__name__, my_huber.__module__) == ("my_huber", custom_fixtures.__name__)
    assert REGISTRY.get_spec("my_huber").functional is my_huber


def test_a_decorated_class_is_returned_unchanged_and_registered_by_its_own_name():
    assert REGISTRY.get_spec("squared_error").factory is SquaredLoss
    assert isinstance(REGISTRY.get_loss("squared_error"), SquaredLoss)


def test_params_are_validated_like_a_plugins():
    with pytest.raises(InvalidParamError, match="delta: must be > 0, got -1"):
        REGISTRY.get_loss("my_huber", delta=-1)
    with pytest.raises(InvalidParamError, match="did you mean 'delta'"):
        REGISTRY.get_loss("my_huber", detla=1.0)
    with pytest.raises(InvalidParamError, match="reduction: must be one of 'mean', 'sum', 'none'"):
        REGISTRY.get_loss("my_huber", reduction="avg")
    with pytest.raises(InvalidParamError, match="scale: must be float"):
        REGISTRY.get_loss("my_huber", scale="big")


def test_context_keywords_without_default_are_required():
    loss = REGISTRY.get_loss("needs_var")
    assert loss.context_keys().required == {"var"}
    with pytest.raises(ContextError, match="needs the context keyword 'var'"):
        loss(torch.zeros(3), torch.zeros(3))
    assert torch.equal(loss(torch.ones(3), torch.zeros(3), var=torch.full((3,), 2.0)), torch.tensor(1.5))


def test_the_kit_checks_a_decorated_function_and_class_like_a_plugins_losses():
    for name in ("my_huber", "squared_error"):
        results = check_loss(name, registry=REGISTRY)
        failed = [f"{r.check}: {r.message}" for r in results if r.status == "failed"]
        assert not failed, "\n".join(failed)
        ran = {r.check for r in results if r.status == "passed"}
        assert {"check_discovery", "check_name", "check_docstring", "check_config_roundtrip", "check_serialization",
                "check_compile", "check_functional"} <= ran


@parametrize_with_checks(plugin_specs("__main__", registry=REGISTRY)[:1])  # the pytest form, on my_huber
def test_pytest_form_of_the_kit(spec, check):
    check(spec)


def test_the_kit_catches_a_decorated_loss_that_breaks_the_contract(registry):
    @registry.register_loss("sloppy", **FACTS, **EXAMPLE)
    def sloppy(input, target, *, reduction="mean"):
        r"""Squared error computed in float64: :math:`(x - y)^2`. Reference: none (2026)."""
        return reduce((input.double() - target).square(), reduction, owner="sloppy")

    results = {r.check: r for r in check_loss("sloppy", registry=registry)}
    failed = {name for name, r in results.items() if r.status == "failed"}
    assert {"check_output_shape", "check_autocast", "check_serialization"} <= failed
    assert "torch.float64" in results["check_output_shape"].message  # float32 inputs, a float64 loss
    assert "pickle" in results["check_serialization"].message  # a local function: pickle cannot find it


def test_config_and_composites_build_a_decorated_loss_by_name():
    config = {"name": "sum", "terms": [{"name": "my_huber", "delta": 0.5}, {"name": "squared_error", "weight": 0.1}]}
    loss = build_loss(config, registry=REGISTRY)
    x, y = torch.randn(4, 3), torch.randn(4, 3)
    expected = my_huber(x, y, delta=0.5) + 0.1 * (x - y).square().mean()
    assert torch.allclose(loss(x, y), expected)
    assert build_loss(loss.to_config(), registry=REGISTRY).to_config() == loss.to_config()


def test_pickle_and_deepcopy_rebuild_a_function_loss():
    loss = REGISTRY.get_loss("my_huber", delta=0.25, reduction="sum")
    x, y = torch.randn(4, 3), torch.randn(4, 3)
    for other in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss)):
        assert type(other) is type(loss) and other.hparams == loss.hparams and torch.equal(other(x, y), loss(x, y))


def test_a_pickled_function_loss_loads_in_a_fresh_process():
    data = pickle.dumps(REGISTRY.get_loss("my_huber", delta=0.25))
    code = "import pickle, sys; print(pickle.loads(sys.stdin.buffer.read()).hparams['delta'])"
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().strip() == "0.25"


def test_a_name_registered_twice_by_one_plugin_is_refused(registry):
    registry.register_loss("dup", **FACTS, **EXAMPLE)(absolute_error)
    with pytest.raises(SpecError, match="'dup' is registered twice"):
        registry.register_loss("dup", **FACTS, **EXAMPLE)(absolute_error)


def test_a_name_another_plugin_has_clashes_and_stays_reachable_qualified(registry):
    registry.register_loss("clash", **FACTS, **EXAMPLE, plugin="mine")(absolute_error)
    with pytest.warns(PluginConflictWarning, match="clash"):
        registry.register_loss("clash", **FACTS, **EXAMPLE, plugin="theirs")(absolute_error)
    assert registry.list_losses() == ["mine:clash", "theirs:clash"]
    assert registry.get_loss("theirs:clash").to_config()["name"] == "theirs:clash"


def absolute_error(input, target, *, reduction="mean"):
    r"""Absolute error: :math:`|x - y|`. Reference: none (fixture, 2026)."""
    return reduce((input - target).abs(), reduction, owner="plain")


@pytest.mark.parametrize(
    ("signature", "match"),
    [
        ("input, target, reduction='mean'", "two positional arguments, then keyword-only"),
        ("input, *, reduction='mean'", "two positional arguments"),
        ("input, target, *args, reduction='mean'", r"no \*args"),
        ("input, target, *, reduction='mean', **kwargs", r"\*\*kwargs"),
        ("input, target, *, model=torch.nn.Linear(1, 1), reduction='mean'", "neither a parameter nor a context"),
        ("input, target, *, delta: list = 1.0, reduction='mean'", "cannot derive a parameter type"),
    ],
)
def test_a_function_that_cannot_be_a_loss_is_a_spec_error(registry, signature, match):
    namespace: dict = {"torch": torch}
    exec(f"def f({signature}):\n    r'''f: :math:`0`. Reference: none (2026).'''\n", namespace)
    with pytest.raises(SpecError, match=match):
        registry.register_loss("f", **FACTS, **EXAMPLE)(namespace["f"])
    assert registry.list_losses() == []


def test_a_bad_default_is_refused_at_registration(registry):
    with pytest.raises(SpecError, match="the declared default is invalid"):
        registry.register_loss("bad", **FACTS, **EXAMPLE)(_with_bad_default)


def _with_bad_default(input, target, *, delta: float = param(-1.0, "kink", gt=0), reduction="mean"):
    r"""f: :math:`0`. Reference: none (2026)."""


def test_what_register_loss_refuses(registry):
    with pytest.raises(SpecError, match=r"names itself, once, in its class statement"):
        registry.register_loss("other", **FACTS, **EXAMPLE)(SquaredLoss)
    with pytest.raises(SpecError, match=r"losskit.wrap\(module, name\)"):
        registry.register_loss(**FACTS, **EXAMPLE)(torch.nn.MSELoss)
    with pytest.raises(SpecError, match=r"losskit.wrap\(obj, name\)"):
        registry.register_loss("mse", **FACTS, **EXAMPLE)(torch.nn.MSELoss())
    with pytest.raises(SpecError, match="unknown keyword 'famly'; did you mean 'family'"):
        registry.register_loss("x", famly="custom", source="s", contract=SAME_SHAPE_VALUES, **EXAMPLE)(absolute_error)
    with pytest.raises(TypeError, match="'source'"):  # LossSpec.of's own required facts
        registry.register_loss("x", family="custom", contract=SAME_SHAPE_VALUES, **EXAMPLE)(absolute_error)

    class Unnamed(Loss):
        r"""Unnamed: :math:`0`."""

    with pytest.raises(SpecError, match="the class has no name"):
        registry.register_loss(**FACTS, **EXAMPLE)(Unnamed)
    assert registry.list_losses() == []


def test_the_name_defaults_to_the_functions_and_is_normalised(registry):
    registry.register_loss(**FACTS, **EXAMPLE)(absolute_error)
    registry.register_loss("My-Abs", **FACTS, **EXAMPLE)(absolute_error)
    assert registry.list_losses() == ["absolute_error", "my_abs"]
    assert registry.get_loss("MY_ABS").config_name == "my_abs" == type(registry.get_loss("my_abs")).loss_name


def test_the_default_registry_takes_a_decorated_loss():
    losskit.reset_default_registry()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a fresh name: no clash with an installed plugin

            @losskit.register_loss("custom_abs_fixture", **FACTS, **EXAMPLE)
            def custom_abs(input, target, *, reduction="mean"):
                r"""Absolute error: :math:`|x - y|`. Reference: none (fixture, 2026)."""
                return reduce((input - target).abs(), reduction, owner="custom_abs_fixture")

        assert losskit.get_loss("custom_abs_fixture").config_name == "custom_abs_fixture"
        assert losskit.default_registry().provider("custom_abs_fixture").name == "__main__"
        assert build_loss({"name": "custom_abs_fixture"}).hparams == {"reduction": "mean"}
    finally:
        losskit.reset_default_registry()
