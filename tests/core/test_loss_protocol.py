"""The Loss base class: validated hyper-parameters, context keys, config, copies."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import Tensor

from losskit import ContextError, Loss, LossInputError, reduction_param
from losskit.reduction import reduce
from tests.core.registry_helpers import ScaledAbsLoss


class NeedsGroups(Loss):
    r"""Fixture: mean input per call, needs ``groups``.

    .. math:: \ell = \bar x
    """

    loss_name = "needs_groups"
    params = (reduction_param(),)

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, groups: Tensor, weight: Tensor | None = None) -> Tensor:
        return reduce(input, self.reduction, weight=weight, owner=self.config_name)


def test_context_keys_come_from_forward_keyword_only_arguments():
    keys = NeedsGroups().context_keys()
    assert keys.accepted == {"groups", "weight"} and keys.required == {"groups"}


def test_unknown_context_key_is_an_error_with_suggestion():
    with pytest.raises(ContextError, match=r"unexpected context keyword 'group'; did you mean 'groups'\? It accepts: groups, weight"):
        NeedsGroups()(torch.ones(2), torch.ones(2), group=torch.zeros(2))


def test_missing_required_context_key_names_it():
    with pytest.raises(ContextError, match=r"needs_groups needs the context keyword 'groups'"):
        NeedsGroups()(torch.ones(2), torch.ones(2))


def test_weight_per_sample_and_per_element():
    loss = ScaledAbsLoss(reduction="sum")
    x, y = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.zeros(2, 2)
    assert loss(x, y, weight=torch.tensor([1.0, 0.0])).item() == pytest.approx(3.0)
    assert loss(x, y, weight=torch.tensor([[0.0, 1.0], [1.0, 0.0]])).item() == pytest.approx(5.0)
    with pytest.raises(LossInputError, match=r"weight must have the per-element loss shape \(2, 2\) or one value per sample \(2,\), got \(3,\)"):
        loss(x, y, weight=torch.ones(3))
    with pytest.raises(LossInputError, match="floating-point"):
        loss(x, y, weight=torch.ones(2, dtype=torch.long))


def test_mean_of_empty_batch_is_zero_not_nan():
    out = ScaledAbsLoss()(torch.zeros(0, 2, requires_grad=True), torch.zeros(0, 2))
    assert out.item() == 0.0


def test_hparams_and_config():
    loss = ScaledAbsLoss(scale=2, reduction="none")
    assert loss.hparams == {"scale": 2.0, "reduction": "none"}
    assert loss.to_config() == {"name": "scaled_abs", "scale": 2.0, "reduction": "none"}
    assert "scale=2.0" in repr(loss)


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_copies_keep_hyper_parameters_and_behaviour(clone):
    loss = ScaledAbsLoss(scale=2.5, reduction="sum")
    other = clone(loss)
    x, y = torch.randn(3, 2), torch.randn(3, 2)
    assert other.hparams == loss.hparams
    torch.testing.assert_close(other(x, y), loss(x, y))


def test_inputs_are_not_mutated():
    x, y = torch.randn(3, 2), torch.randn(3, 2)
    before = (x.clone(), y.clone(), x._version, y._version)
    ScaledAbsLoss()(x, y)
    assert torch.equal(x, before[0]) and torch.equal(y, before[1])
    assert (x._version, y._version) == before[2:]


def test_weight_given_to_a_loss_without_it_points_to_parameters():
    class NoWeight(Loss):
        r"""Fixture. :math:`\ell = x`"""

        loss_name = "no_weight"

        def __init__(self, *, reduction: str = "mean") -> None:
            super().__init__(reduction=reduction)

        def forward(self, input: Tensor, target: Tensor) -> Tensor:
            return reduce(input, self.reduction)

    with pytest.raises(ContextError, match=r"It accepts: none. Class weights, where the loss has them, are parameters"):
        NoWeight()(torch.ones(2), torch.ones(2), weight=torch.ones(2))
