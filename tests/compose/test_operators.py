"""``+``, ``*`` and ``sum()`` on losses, against hand-computed float64 values."""

from __future__ import annotations

import copy
import io
import math
import pickle

import pytest
import torch

from losskit import InvalidParamError, LossInputError, WeightedSum
from losskit.compose import unique_names
from tests.compose.compose_fixtures import ABS_MEAN, SQ_MEAN, AbsLoss, SquareLoss, TemperedLoss, X, Y


def test_weighted_sum_of_the_same_loss(square):
    loss = 0.5 * square + 2 * square
    assert isinstance(loss, WeightedSum)
    assert loss.weights == (0.5, 2.0)
    torch.testing.assert_close(loss(X, Y), torch.tensor(2.5 * SQ_MEAN, dtype=torch.float64))


def test_weighted_sum_of_two_losses(square, absolute):
    loss = 3 * square + absolute * -0.25
    expected = 3 * SQ_MEAN - 0.25 * ABS_MEAN
    torch.testing.assert_close(loss(X, Y), torch.tensor(expected, dtype=torch.float64))


def test_python_sum_starts_from_zero(square, absolute):
    total = sum([square, absolute, 2 * square])
    assert isinstance(total, WeightedSum)
    assert total.weights == (1.0, 1.0, 2.0)
    torch.testing.assert_close(total(X, Y), torch.tensor(3 * SQ_MEAN + ABS_MEAN, dtype=torch.float64))
    assert (0 + square).weights == (1.0,)
    assert (square + 0).weights == (1.0,)


def test_nested_sums_flatten_and_distribute_the_weight(square, absolute):
    inner = square + 0.5 * absolute
    loss = 2 * (inner + 4 * inner)
    assert loss.weights == (2.0, 1.0, 8.0, 4.0)
    assert [type(t) for t in loss.terms] == [SquareLoss, AbsLoss, SquareLoss, AbsLoss]
    torch.testing.assert_close(loss(X, Y), torch.tensor(10 * SQ_MEAN + 5 * ABS_MEAN, dtype=torch.float64))


def test_weight_zero_logs_the_term_but_adds_nothing(square, absolute):
    loss = square + 0 * absolute
    total, parts = loss.breakdown(X, Y)
    torch.testing.assert_close(total, torch.tensor(SQ_MEAN, dtype=torch.float64))
    torch.testing.assert_close(parts["absolute"], torch.tensor(ABS_MEAN, dtype=torch.float64))


def test_weight_zero_term_cannot_poison_the_total_with_nan(registry, absolute):
    loss = absolute + 0 * registry.get_loss("group_gap")
    no_group_one = torch.zeros(3, dtype=torch.long)  # the mean over an empty group is nan
    total, parts = loss.breakdown(X, Y, groups=no_group_one)
    torch.testing.assert_close(total, torch.tensor(ABS_MEAN, dtype=torch.float64))
    assert torch.isnan(parts["group_gap"])


def test_a_muted_term_is_evaluated_without_gradient(registry):
    tempered = registry.get_loss("tempered")
    x = X.clone().requires_grad_()
    total, parts = WeightedSum([tempered, AbsLoss()], [0.0, 1.0]).breakdown(x, Y)
    total.backward()
    assert tempered.t.grad is None
    torch.testing.assert_close(x.grad, torch.sign(X - Y) / 3)


def test_all_weights_zero_gives_zero(square):
    total = (0 * square)(X, Y)
    assert total.item() == 0.0 and total.dtype == torch.float64


@pytest.mark.parametrize("weight", [math.inf, -math.inf, math.nan])
def test_non_finite_weight_is_an_error(square, weight):
    with pytest.raises(InvalidParamError, match="finite"):
        weight * square


@pytest.mark.parametrize("weight", ["2", True, None, [1.0], torch.ones(2)])
def test_non_number_weight_is_a_type_error(square, weight):
    with pytest.raises(TypeError, match="finite real number"):
        square * weight


def test_a_one_element_tensor_weight_is_a_number(square):
    loss = torch.tensor(0.5) * square
    assert loss.weights == (0.5,)


def test_loss_times_loss_and_loss_plus_number_are_errors(square, absolute):
    with pytest.raises(TypeError, match="finite real number"):
        square * absolute
    with pytest.raises(TypeError, match="can only add a losskit.Loss"):
        square + 1.0
    with pytest.raises(TypeError, match="terms must be losskit.Loss"):
        WeightedSum([square, torch.nn.MSELoss()])


def test_constructor_checks_terms_and_weights(square):
    with pytest.raises(InvalidParamError, match="^sum: terms: needs at least one term"):
        WeightedSum([])
    with pytest.raises(InvalidParamError, match="^sum: weights: needs one weight per term, got 2 terms but 1 weights"):
        WeightedSum([square, square], [1.0])


def test_terms_of_different_shapes_are_an_error(registry):
    loss = registry.get_loss("square", reduction="none") + registry.get_loss("absolute")
    with pytest.raises(LossInputError, match=r"different shapes \(square \(3,\), absolute \(\)\)"):
        loss(X, Y)


def test_reduction_none_terms_add_elementwise(registry):
    loss = registry.get_loss("square", reduction="none") + 2 * registry.get_loss("absolute", reduction="none")
    torch.testing.assert_close(loss(X, Y), torch.tensor([3.0, 0.0, 8.0], dtype=torch.float64))


def test_learnable_terms_are_registered_parameters(registry):
    tempered = registry.get_loss("tempered")
    loss = tempered + 0.5 * registry.get_loss("square")
    assert [p is tempered.t for p in loss.parameters()] == [True]
    loss(X, Y).backward()
    torch.testing.assert_close(tempered.t.grad, torch.tensor(SQ_MEAN, dtype=torch.float64))


def test_a_module_used_twice_shares_its_parameters(registry):
    tempered = registry.get_loss("tempered")
    loss = tempered + 2 * tempered
    assert len(list(loss.parameters())) == 1
    torch.testing.assert_close(loss(X, Y), torch.tensor(3 * SQ_MEAN, dtype=torch.float64))


def _trained(registry):
    loss = registry.get_loss("tempered") + 0.5 * registry.get_loss("square", scale=2.0)
    with torch.no_grad():
        loss.terms[0].t.fill_(0.3)
    return loss


def test_pickle_round_trip(registry):
    loss = _trained(registry)
    clone = pickle.loads(pickle.dumps(loss))
    assert clone.names == loss.names and clone.weights == loss.weights
    torch.testing.assert_close(clone(X, Y), loss(X, Y))


def test_deepcopy_is_independent(registry):
    loss = _trained(registry)
    clone = copy.deepcopy(loss)
    with torch.no_grad():
        clone.terms[0].t.zero_()
    assert loss.terms[0].t.item() == pytest.approx(0.3)
    assert clone.to_config() == loss.to_config()


def test_state_dict_round_trip(registry):
    loss = _trained(registry)
    fresh = registry.get_loss("tempered") + 0.5 * registry.get_loss("square", scale=2.0)
    buffer = io.BytesIO()
    torch.save(loss.state_dict(), buffer)
    buffer.seek(0)
    fresh.load_state_dict(torch.load(buffer))
    assert list(loss.state_dict()) == ["terms.0.t"]
    torch.testing.assert_close(fresh(X, Y), loss(X, Y))


def test_to_config_writes_weights_only_where_not_one(square, absolute):
    loss = square + 0.5 * absolute
    assert loss.to_config() == {
        "name": "sum",
        "terms": [
            {"name": "square", "scale": 1.0, "reduction": "mean"},
            {"name": "absolute", "reduction": "mean", "weight": 0.5},
        ],
    }


def test_unique_names():
    names = unique_names(["focal", "dice", "dice", "dice_1", "focal"])
    assert names == ("focal", "dice", "dice_1", "dice_1_1", "focal_1")


def test_repr_shows_the_weights(square):
    assert "weights=(2.0,)" in repr(2 * square)


def test_direct_subclass_instances_compose():
    loss = SquareLoss(scale=2.0) + TemperedLoss()
    assert loss.names == ("square", "tempered")
    torch.testing.assert_close(loss(X, Y), torch.tensor(3 * SQ_MEAN, dtype=torch.float64))
