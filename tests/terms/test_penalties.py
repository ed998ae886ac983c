"""L1, L2 and elastic-net penalties: hand-computed values, filters, gradients, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from losskit import ContextError, InvalidParamError, LossInputError, get_loss
from losskit.terms.penalties import ElasticNetPenalty, L1Penalty, L2Penalty, l2_penalty


def tiny() -> nn.Sequential:
    """Parameters 0.weight=[1, -2], 0.bias=[3], 1.weight=[4], 1.bias=[-5] (Linear then BatchNorm)."""
    model = nn.Sequential(nn.Linear(2, 1), nn.BatchNorm1d(1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, -2.0]]))
        model[0].bias.fill_(3.0)
        model[1].weight.fill_(4.0)
        model[1].bias.fill_(-5.0)
    return model


def call(loss, model):
    return loss(torch.zeros(3), torch.zeros(3), model=model)


@pytest.mark.parametrize(
    ("filters", "l1", "l2"),
    [
        ({}, 15.0, 55.0),
        ({"include": "0.*"}, 6.0, 14.0),
        ({"include": "0.weight, 1.bias"}, 8.0, 30.0),
        ({"exclude": "*.bias"}, 7.0, 21.0),
        ({"include": "0.*", "exclude": "*.bias"}, 3.0, 5.0),
        ({"exclude_bias_and_norm": True}, 3.0, 5.0),
        ({"include": "?.weight"}, 7.0, 21.0),
    ],
)
def test_hand_computed_values_with_filters(filters, l1, l2):
    model = tiny()
    assert call(L1Penalty(**filters), model).item() == l1
    assert call(L2Penalty(**filters), model).item() == l2
    assert call(ElasticNetPenalty(l1_ratio=0.25, **filters), model).item() == pytest.approx(0.25 * l1 + 0.75 * l2)


def test_reductions():
    model = tiny()
    assert torch.equal(call(L2Penalty(reduction="none"), model), torch.tensor([1.0, 4, 9, 16, 25], dtype=torch.float64))
    assert call(L2Penalty(reduction="mean"), model).item() == 11.0
    assert call(L1Penalty(reduction="mean", include="0.*"), model).item() == 2.0
    assert call(ElasticNetPenalty(l1_ratio=1.0, reduction="none"), model).tolist() == [1, 2, 3, 4, 5]


def test_elastic_net_endpoints_are_l1_and_l2():
    model = tiny()
    assert call(ElasticNetPenalty(l1_ratio=1.0), model).item() == call(L1Penalty(), model).item()
    assert call(ElasticNetPenalty(l1_ratio=0.0), model).item() == call(L2Penalty(), model).item()


def test_only_parameters_that_require_grad_and_shared_ones_once():
    model = tiny()
    model[0].weight.requires_grad_(False)
    assert call(L2Penalty(), model).item() == 50.0
    shared = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        shared.weight.fill_(3.0)
    assert call(L2Penalty(), nn.Sequential(shared, shared)).item() == 9.0


def test_norm_layers_are_detected_by_type_not_name():
    model = nn.ModuleDict({"a": nn.LayerNorm(2), "b": nn.GroupNorm(1, 2), "c": nn.InstanceNorm1d(2, affine=True),
                           "d": nn.Linear(2, 2, bias=False), "e": nn.RMSNorm(2)})
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    assert call(L1Penalty(exclude_bias_and_norm=True), model).item() == 4.0  # d.weight only
    assert call(L1Penalty(), model).item() == 2 + 2 + 2 + 2 + 2 + 2 + 4 + 2


@pytest.mark.parametrize("ratio", [0.0, 0.3, 1.0])
def test_gradients_are_the_analytic_ones(ratio):
    model = tiny()
    call(ElasticNetPenalty(l1_ratio=ratio), model).backward()
    for p in model.parameters():
        assert torch.allclose(p.grad, ratio * p.detach().sign() + 2 * (1 - ratio) * p.detach())


def test_low_precision_parameters_accumulate_in_float32():
    model = nn.Linear(1000, 1, bias=False).to(torch.bfloat16)
    with torch.no_grad():
        model.weight.fill_(1.0)
    value = call(L2Penalty(), model)
    assert value.dtype == torch.bfloat16 and value.item() == 1000.0
    assert value.requires_grad


def test_registry_names_and_functional_form():
    model = tiny()
    assert call(get_loss("l2_penalty", exclude="*.bias"), model).item() == 21.0
    assert call(get_loss("ridge_penalty"), model).item() == 55.0
    assert l2_penalty(model=model, include="1.*").item() == 41.0


def test_missing_model_is_a_context_error():
    with pytest.raises(ContextError, match="needs the context keyword 'model'"):
        L2Penalty()(torch.zeros(1), torch.zeros(1))


def test_model_must_be_a_module():
    with pytest.raises(LossInputError, match="model must be a torch.nn.Module, got dict"):
        L2Penalty()(None, None, model={"w": torch.ones(1)})


@pytest.mark.parametrize("option", ["include", "exclude"])
def test_pattern_matching_nothing_is_an_error_naming_it(option):
    with pytest.raises(LossInputError, match=rf"{option} pattern 'encoder\.\*' matches no parameter.*0\.weight"):
        call(L1Penalty(**{option: "0.*,encoder.*"}), tiny())


def test_empty_selection_is_an_error():
    with pytest.raises(LossInputError, match="no parameter of the model is selected"):
        call(L1Penalty(include="1.*", exclude_bias_and_norm=True), tiny())
    frozen = tiny().requires_grad_(False)
    with pytest.raises(LossInputError, match="requires_grad"):
        call(L1Penalty(), frozen)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"include": "a.*,,b.*"}, "without empty items"),
        ({"exclude": ["a.*"]}, "must be str"),
        ({"l1_ratio": 1.5}, "must be >= 0 and <= 1"),
        ({"reduction": "batch"}, "must be one of 'mean', 'sum', 'none'"),
    ],
)
def test_invalid_params(params, message):
    with pytest.raises(InvalidParamError, match=message):
        get_loss("elastic_net", **params)


def test_config_round_trip_keeps_the_filters():
    loss = L2Penalty(include="0.*", exclude_bias_and_norm=True)
    assert loss.to_config() == {"name": "l2_penalty", "include": "0.*", "exclude": "",
                                "exclude_bias_and_norm": True, "reduction": "sum"}
    config = loss.to_config()
    assert call(get_loss(config.pop("name"), **config), tiny()).item() == 1.0 + 4.0
