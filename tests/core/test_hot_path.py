"""What makes repeated calls cheap keeps the answers: the lookup and validation caches, the context
check inlined in ``Loss.__call__``, the composite's fast path and the one-pass range checks."""

from __future__ import annotations

import math
import pickle
from copy import deepcopy

import pytest
import torch

from losskit import AmbiguousLossError, InvalidParamError, LossInputError, PluginConflictWarning, UnknownLossError
from losskit.compose import WeightedSum
from losskit.errors import ContextError
from losskit.inputs import check_class_indices, check_value_set, check_values_in

from .registry_helpers import ScaledAbsLoss, spec

# -- the registry's lookup cache --------------------------------------------------


def test_a_repeated_lookup_sees_a_later_registration(registry):
    registry.register(spec(), plugin="one")
    assert registry.get_loss("scaled_abs").config_name == "scaled_abs"
    assert registry.get_loss("scaled_abs").config_name == "scaled_abs"  # answered from the cache
    with pytest.warns(PluginConflictWarning):
        registry.register(spec(), plugin="two")  # the same name from a second plugin: now ambiguous
    with pytest.raises(AmbiguousLossError):
        registry.get_loss("scaled_abs")
    assert registry.get_loss("one:scaled_abs").config_name == "one:scaled_abs"


def test_an_unknown_name_is_found_once_registered(registry):
    with pytest.raises(UnknownLossError):
        registry.get_loss("scaled_abs")
    registry.register(spec(), plugin="late")
    assert isinstance(registry.get_loss("scaled_abs"), ScaledAbsLoss)


def test_a_cached_config_name_is_qualified_once_the_name_clashes(registry):
    registry.register(spec(), plugin="one")
    assert registry.get_loss("scaled_abs").config_name == "scaled_abs"
    with pytest.warns(PluginConflictWarning):
        registry.register(spec(aliases=("sabs",)), plugin="two")
    with pytest.raises(AmbiguousLossError):
        registry.get_spec("scaled_abs")
    assert registry.get_loss("sabs").config_name == "two:scaled_abs"  # the alias is two's alone, its name not


# -- the validation cache -----------------------------------------------------------


def test_built_losses_do_not_share_their_parameters(registry):
    registry.register(spec(), plugin="one")
    a = registry.get_loss("scaled_abs", scale=2.0)
    b = registry.get_loss("scaled_abs", scale=2.0)
    a.scale = 3.0
    assert b.scale == 2.0 and b.hparams["scale"] == 2.0
    assert registry.get_loss("scaled_abs", scale=2.0).hparams == {"scale": 2.0, "reduction": "mean"}


def test_a_refused_value_stays_refused_after_an_equal_valid_one():
    class Flag(ScaledAbsLoss):
        loss_name = "flag"

    Flag(scale=1)  # 1 == True, and hash(1) == hash(True): the cache tells them apart by type
    with pytest.raises(InvalidParamError):
        Flag(scale=True)
    with pytest.raises(InvalidParamError):
        Flag(scale=-1.0)
    with pytest.raises(InvalidParamError):
        Flag(scale=-1.0)  # a failure is not remembered as a success


# -- the context check in Loss.__call__ ------------------------------------------------


def test_the_inlined_context_check_still_refuses_unknown_keywords():
    loss = ScaledAbsLoss()
    x = torch.zeros(3)
    loss(x, x)
    loss(x, x)  # the class's check now runs inline
    with pytest.raises(ContextError, match="wieght"):
        loss(x, x, wieght=torch.ones(3))
    assert loss(x, x, weight=torch.ones(3)).item() == 0.0


# -- the composite's hot path ----------------------------------------------------------------


def _terms():
    return ScaledAbsLoss(scale=1.0), ScaledAbsLoss(scale=2.0), ScaledAbsLoss(scale=3.0)


def test_every_kind_of_hook_on_a_single_loss_still_runs():
    """Loss.__call__ calls forward directly only where nn.Module.__call__ would do nothing else."""
    loss, seen = ScaledAbsLoss(scale=2.0), []
    x, y = torch.tensor([1.0, -3.0], requires_grad=True), torch.zeros(2)
    plain = loss(x, y)
    handles = [
        loss.register_forward_pre_hook(lambda m, args: seen.append("pre")),
        loss.register_forward_hook(lambda m, args, out: out * 10),  # replaces the output
        loss.register_full_backward_hook(lambda m, gin, gout: seen.append("backward")),
    ]
    hooked_value = loss(x, y)
    hooked_value.backward()
    assert hooked_value.item() == pytest.approx(10 * plain.item()) and seen == ["pre", "backward"]
    for handle in handles:
        handle.remove()
    assert loss(x, y).item() == pytest.approx(plain.item())
    handle = torch.nn.modules.module.register_module_forward_hook(lambda m, args, out: out + 1)
    try:
        assert loss(x, y).item() == pytest.approx(plain.item() + 1)  # a global hook
    finally:
        handle.remove()


def test_breakdown_parts_and_total_match_the_terms():
    a, b, c = _terms()
    loss = WeightedSum([a, b, c], [1.0, 0.5, 0.1])
    x, y = torch.randn(4, 2, requires_grad=True), torch.randn(4, 2)
    total, parts = loss.breakdown(x, y)
    expected = a(x, y) + 0.5 * b(x, y) + 0.1 * c(x, y)
    torch.testing.assert_close(total, expected)
    assert list(parts) == ["scaled_abs", "scaled_abs_1", "scaled_abs_2"]
    torch.testing.assert_close(parts["scaled_abs_1"], b(x, y).detach())
    assert all(not p.requires_grad for p in parts.values())
    torch.testing.assert_close(loss(x, y), expected)


def test_hooks_on_a_term_run_inside_a_composite():
    a, b, _ = _terms()
    seen = []
    b.register_forward_hook(lambda module, args, out: seen.append(out.detach()))
    loss = a + b
    x, y = torch.randn(4, 2), torch.randn(4, 2)
    loss(x, y)
    loss.breakdown(x, y)
    assert len(seen) == 2


def test_a_zero_weight_term_is_reported_without_gradient():
    a, b, _ = _terms()
    loss = a + 0.0 * b
    x, y = torch.randn(4, 2, requires_grad=True), torch.randn(4, 2)
    total, parts = loss.breakdown(x, y)
    total.backward()
    torch.testing.assert_close(x.grad, torch.autograd.grad(a(x, y), x)[0])
    torch.testing.assert_close(parts["scaled_abs_1"], b(x, y).detach())


def test_a_composite_checks_required_context_of_its_terms():
    class NeedsGroups(ScaledAbsLoss):
        loss_name = "needs_groups"

        def forward(self, input, target, *, groups):
            return (input - target).abs().mean() + 0 * groups.sum()

    loss = ScaledAbsLoss() + NeedsGroups()
    x = torch.zeros(3)
    with pytest.raises(ContextError, match="needs_groups.*groups"):
        loss(x, x)
    with pytest.raises(ContextError, match="groups"):
        loss(x, x)  # the composite's keys are remembered; the check still runs on every call
    assert loss(x, x, groups=torch.zeros(3)).item() == 0.0
    with pytest.raises(ContextError, match="group"):
        loss(x, x, group=torch.zeros(3))


def test_terms_of_different_shapes_are_refused():
    loss = ScaledAbsLoss() + ScaledAbsLoss(reduction="none")
    x = torch.zeros(3)
    with pytest.raises(LossInputError, match="different shapes"):
        loss(x, x)


# -- range checks in one pass -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64])
def test_class_indices_of_every_integer_dtype(dtype):
    target = torch.tensor([0, 2, 1], dtype=dtype)
    assert check_class_indices("x", target, 3).dtype == torch.long
    with pytest.raises(LossInputError, match=r"in \[0, 2\), got 2"):
        check_class_indices("x", target, 2)


@pytest.mark.parametrize("ignore_index", [-100, 255, 1])
def test_ignored_class_indices_at_either_end(ignore_index):
    ok = torch.tensor([0, ignore_index, 2, ignore_index])
    check_class_indices("x", ok, 3, ignore_index=ignore_index)
    for bad in (-1, 3):
        with pytest.raises(LossInputError, match=f"got {bad}"):
            check_class_indices("x", torch.tensor([ignore_index, 0, bad]), 3, ignore_index=ignore_index)
    with pytest.raises(LossInputError, match="got -100"):
        check_class_indices("x", torch.tensor([-100, 0]), 3)  # no ignore_index: -100 is out of range


def test_range_checks_find_nan_and_the_offending_value():
    check_values_in("x", "input", torch.tensor([0.0, 0.5, 1.0]), 0.0, 1.0)
    check_values_in("x", "input", torch.tensor([True, False]), 0.0, 1.0)
    check_values_in("x", "target", torch.tensor([0.0, 7.0]), 0.0, math.inf)
    with pytest.raises(LossInputError, match="got nan"):
        check_values_in("x", "input", torch.tensor([0.5, float("nan")]), 0.0, 1.0)
    with pytest.raises(LossInputError, match="got -0.25"):
        check_values_in("x", "target", torch.tensor([1.0, -0.25, -2.0]), 0.0, math.inf)
    with pytest.raises(LossInputError, match="got 1.5"):
        check_values_in("x", "input", torch.tensor([0.0, 1.5]).to(torch.bfloat16), 0.0, 1.0)


def test_value_sets():
    check_value_set("x", "target", torch.tensor([0.0, 1.0, 1.0]), (0, 1))
    check_value_set("x", "target", torch.tensor([-1.0, 1.0]), (1, -1))
    with pytest.raises(LossInputError, match=r"must hold 0 or 1, got 0.5"):
        check_value_set("x", "target", torch.tensor([0.0, 0.5, 1.0]), (0, 1))
    with pytest.raises(LossInputError, match=r"\+1 or -1, got nan"):
        check_value_set("x", "target", torch.tensor([1.0, float("nan")]), (1, -1))


def test_copies_keep_parameters_and_context_keys():
    loss = ScaledAbsLoss(scale=2.0) + ScaledAbsLoss()
    x, y = torch.randn(3), torch.randn(3)
    before = loss(x, y)  # computes and remembers the composite's context keys
    for copy in (pickle.loads(pickle.dumps(loss)), deepcopy(loss)):
        torch.testing.assert_close(copy(x, y), before)
        assert copy.terms[0].scale == 2.0 and copy.context_keys() == loss.context_keys()
        with pytest.raises(ContextError):
            copy(x, y, wieght=torch.ones(3))
