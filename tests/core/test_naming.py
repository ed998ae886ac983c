"""Loss names as users already know them: torch's class names resolve, and did-you-mean prefers them."""

from __future__ import annotations

import pytest

from losskit import Registry, UnknownLossError, default_registry
from losskit._naming import did_you_mean, loose
from tests.core.registry_helpers import plugin_module, spec


@pytest.mark.parametrize(("name", "form"), [
    ("CrossEntropyLoss", "crossentropy"), ("cross_entropy", "crossentropy"), ("MSELoss", "mse"),
    ("ms_loss", "ms"), ("TripletMarginLoss", "tripletmargin"), ("loss", "loss"), ("Smooth-L1", "smoothl1"),
])
def test_loose_form(name, form):
    assert loose(name) == form


@pytest.fixture
def registry() -> Registry:
    """``mse`` and the unrelated short alias ``ms_loss`` of ``multi_similarity``, as in the real catalogue."""
    registry = Registry(discover=False, builtins=False, strict=False)
    registry.register_plugin(plugin_module(
        spec("mse", aliases=("l2",)), spec("multi_similarity", aliases=("ms_loss",)),
        spec("cross_entropy", aliases=("ce",)), spec("triplet", aliases=("triplet_margin",)),
    ), "fix")
    return registry


@pytest.mark.parametrize(("name", "resolved"), [
    ("MSELoss", "mse"), ("mseloss", "mse"), ("MSE", "mse"), ("CrossEntropyLoss", "cross_entropy"),
    ("CROSSENTROPYLOSS", "cross_entropy"), ("Cross_Entropy_Loss", "cross_entropy"),
    ("TripletMarginLoss", "triplet"), ("fix:CrossEntropyLoss", "cross_entropy"), ("ms_loss", "multi_similarity"),
])
def test_torch_class_names_resolve(registry, name, resolved):
    assert registry.get_spec(name).name == resolved


def test_config_records_the_losskit_name(registry):
    assert registry.get_loss("MSELoss").to_config()["name"] == "mse"


@pytest.mark.parametrize(("name", "suggested", "not_suggested"), [
    ("MSELos", "'mse'", "ms_loss"), ("MSEloss2", "'mse'", "ms_loss"), ("CrossEntropyLos", "'cross_entropy'", "'ce'"),
    ("TripletMarginLos", "'triplet_margin'", "ms_loss"), ("crossentropy_los", "'cross_entropy'", "ms_loss"),
])
def test_did_you_mean_prefers_the_torch_name(registry, name, suggested, not_suggested):
    with pytest.raises(UnknownLossError) as info:
        registry.get_spec(name)
    message = str(info.value).splitlines()[0]
    assert f"did you mean {suggested}?" in message and not_suggested not in message


def test_a_loose_form_shared_by_two_losses_resolves_to_neither():
    registry = Registry(discover=False, builtins=False, strict=False)
    registry.register_plugin(plugin_module(spec("ab_c"), spec("a_bc")), "fix")
    with pytest.raises(UnknownLossError, match="no loss named 'ABCLoss'; did you mean 'a_bc'"):
        registry.get_spec("ABCLoss")


def test_did_you_mean_for_parameters_is_unchanged():
    assert did_you_mean("gama", ["gamma", "alpha"]) == "; did you mean 'gamma'?"


@pytest.mark.parametrize(("name", "resolved"), [
    ("CrossEntropyLoss", "cross_entropy"), ("MSELoss", "mse"), ("TripletMarginLoss", "triplet"),
    ("BCEWithLogitsLoss", "bce_with_logits"), ("KLDivLoss", "kl_div"), ("NLLLoss2d", "nll"),
])
def test_the_installed_catalogue_resolves_torch_names(name, resolved):
    try:
        assert default_registry().get_spec(name).name == resolved
    except UnknownLossError:
        pytest.skip("the family is not installed")


@pytest.mark.parametrize(("name", "suggested"), [
    ("MSELos", "mse"), ("CrossEntropyLos", "cross_entropy"), ("BCEWithLogitLoss", "bce_with_logits"),
    ("TripletMarginLos", "triplet_margin"), ("KLDivLos", "kl_div"), ("HuberLos", "huber"),
])
def test_the_installed_catalogue_suggests_one_torch_name(name, suggested):
    if suggested not in {n for _, s in default_registry().specs() for n in (s.name, *s.aliases)}:
        pytest.skip("the family is not installed")
    with pytest.raises(UnknownLossError) as info:
        default_registry().get_spec(name)
    assert f"; did you mean '{suggested}'?" in str(info.value).splitlines()[0]
