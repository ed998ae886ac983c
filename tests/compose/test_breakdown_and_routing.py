"""``loss.breakdown``: one pass, stable unique names; context routed to the terms that declare it."""

from __future__ import annotations

import pytest
import torch

from losskit import ContextError, LossOutput, MultiTask, PluginConflictWarning
from tests.compose.compose_fixtures import ABS_MEAN, SQ_MEAN, SquareLoss, X, Y

GROUPS = torch.tensor([0, 1, 1])
GAP = abs((1.0 + 2.0) / 2 - 0.0)  # mean of x over group 1 minus over group 0


def test_breakdown_gives_total_and_unweighted_detached_parts(square, absolute):
    x = X.clone().requires_grad_()
    out = (0.5 * square + 2 * absolute + square).breakdown(x, Y)
    assert isinstance(out, LossOutput)
    total, parts = out
    torch.testing.assert_close(total, torch.tensor(1.5 * SQ_MEAN + 2 * ABS_MEAN, dtype=torch.float64))
    assert list(parts) == ["square", "absolute", "square_1"]
    torch.testing.assert_close(parts["square"], torch.tensor(SQ_MEAN, dtype=torch.float64))
    torch.testing.assert_close(parts["absolute"], torch.tensor(ABS_MEAN, dtype=torch.float64))
    assert total.requires_grad and not any(p.requires_grad for p in parts.values())


def test_breakdown_computes_each_term_once(square):
    loss = square + 2 * square + 3 * square
    SquareLoss.calls = 0
    loss.breakdown(X, Y)
    assert SquareLoss.calls == 3
    loss(X, Y)
    assert SquareLoss.calls == 6


def test_a_single_loss_breaks_down_into_itself(square):
    total, parts = square.breakdown(X, Y)
    assert list(parts) == ["square"]
    torch.testing.assert_close(parts["square"], total.detach())


def test_names_are_registry_names_not_aliases_and_stable(registry):
    loss = registry.get_loss("sq") + registry.get_loss("absolute") + registry.get_loss("SQ")
    assert loss.names == ("square", "absolute", "square_1")
    assert (loss + registry.get_loss("absolute")).names == ("square", "absolute", "square_1", "absolute_1")


def test_qualified_names_log_without_the_plugin(registry):
    from tests.compose.compose_fixtures import SPECS

    with pytest.warns(PluginConflictWarning):
        registry.register(SPECS[0], plugin="other")  # 'square' is now provided twice
    loss = registry.get_loss("fixtures:square") + registry.get_loss("other:square")
    assert loss.names == ("square", "square_1")
    assert [t["name"] for t in loss.to_config()["terms"]] == ["fixtures:square", "other:square"]


def test_multitask_parts_nest_under_the_term_name(registry, square, absolute):
    model = torch.nn.Linear(1, 1, bias=False, dtype=torch.float64)
    torch.nn.init.constant_(model.weight, 3.0)
    loss = MultiTask({"seg": square, "depth": absolute + absolute}) + 0.1 * registry.get_loss("squared_norm")
    total, parts = loss.breakdown({"seg": X, "depth": X}, {"seg": Y, "depth": Y}, model=model)
    assert list(parts) == ["multitask", "multitask/seg", "multitask/depth", "multitask/depth/absolute",
                           "multitask/depth/absolute_1", "squared_norm"]
    torch.testing.assert_close(parts["multitask"], torch.tensor(SQ_MEAN + 2 * ABS_MEAN, dtype=torch.float64))
    torch.testing.assert_close(parts["squared_norm"], torch.tensor(9.0, dtype=torch.float64))
    torch.testing.assert_close(total, torch.tensor(SQ_MEAN + 2 * ABS_MEAN + 0.9, dtype=torch.float64))


# -- routing -----------------------------------------------------------------------------------------


def test_each_term_gets_only_its_context_keys(registry, square, absolute):
    loss = square + absolute + 0.5 * registry.get_loss("group_gap")
    weight = torch.tensor([1.0, 1.0, 0.5], dtype=torch.float64)
    total, parts = loss.breakdown(X, Y, weight=weight, groups=GROUPS)
    torch.testing.assert_close(parts["square"], torch.tensor((1 + 0 + 2) / 3, dtype=torch.float64))
    torch.testing.assert_close(parts["group_gap"], torch.tensor(GAP, dtype=torch.float64))
    torch.testing.assert_close(total, torch.tensor(1.0 + ABS_MEAN + 0.5 * GAP, dtype=torch.float64))


def test_context_keys_are_the_union(registry, square):
    keys = (square + registry.get_loss("group_gap")).context_keys()
    assert keys.accepted == {"weight", "groups"}
    assert keys.required == {"groups"}


def test_a_key_no_term_uses_is_an_error_with_did_you_mean(registry, square):
    loss = square + registry.get_loss("group_gap")
    with pytest.raises(ContextError, match=r"'group', which none of its terms uses; did you mean 'groups'\? "
                                           r"Its terms accept: groups, weight\."):
        loss(X, Y, group=GROUPS, groups=GROUPS)


def test_a_missing_required_key_names_the_term(registry, square):
    loss = square + 0.1 * registry.get_loss("group_gap")
    with pytest.raises(ContextError, match=r"term 'group_gap' needs the context keyword 'groups'"):
        loss.breakdown(X, Y)
    with pytest.raises(ContextError, match=r"term 'group_gap' needs"):
        loss(X, Y)


def test_a_key_for_a_muted_term_is_still_routed(registry, absolute):
    loss = absolute + 0 * registry.get_loss("group_gap")
    with pytest.raises(ContextError, match="needs the context keyword 'groups'"):
        loss(X, Y)
    assert loss(X, Y, groups=GROUPS).item() == pytest.approx(ABS_MEAN)
