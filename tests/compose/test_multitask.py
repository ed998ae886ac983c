"""MultiTask: dict routing, fixed weights, and Kendall, Gal & Cipolla (CVPR 2018) uncertainty weighting."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch

from losskit import ContextError, InvalidParamError, LossInputError, MultiTask
from tests.compose.compose_fixtures import ABS_MEAN, SQ_MEAN, X, Y

OUT = {"depth": X, "seg": X}
TGT = {"depth": Y, "seg": Y}


def kendall(losses: dict[str, float], sigma2: dict[str, float], kinds: dict[str, str]) -> float:
    """The paper's eq. 7/10 in sigma: 1/(2 sigma^2) L + log sigma (regression), 1/sigma^2 L + log sigma."""
    total = 0.0
    for name, value in losses.items():
        factor = 1 / (2 * sigma2[name]) if kinds[name] == "regression" else 1 / sigma2[name]
        total += factor * value + math.log(math.sqrt(sigma2[name]))
    return total


def test_fixed_weights_default_to_one(square, absolute):
    loss = MultiTask({"depth": square, "seg": absolute}, weights={"seg": 0.5})
    assert loss.weights == {"depth": 1.0, "seg": 0.5}
    total, parts = loss.breakdown(OUT, TGT)
    torch.testing.assert_close(total, torch.tensor(SQ_MEAN + 0.5 * ABS_MEAN, dtype=torch.float64))
    assert list(parts) == ["depth", "seg"]
    torch.testing.assert_close(parts["seg"], torch.tensor(ABS_MEAN, dtype=torch.float64))
    assert list(loss.parameters()) == []


def _uncertainty(square, absolute):
    return MultiTask(
        {"depth": square, "seg": absolute},
        weighting="uncertainty",
        task_types={"depth": "regression", "seg": "classification"},
    )


def test_uncertainty_weighting_at_initialisation(square, absolute):
    loss = _uncertainty(square, absolute)
    expected = kendall({"depth": SQ_MEAN, "seg": ABS_MEAN}, {"depth": 1.0, "seg": 1.0},
                       {"depth": "regression", "seg": "classification"})
    torch.testing.assert_close(loss(OUT, TGT), torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(loss(OUT, TGT), torch.tensor(0.5 * SQ_MEAN + ABS_MEAN, dtype=torch.float64))


def test_uncertainty_weighting_matches_the_paper_in_sigma(square, absolute):
    loss = _uncertainty(square, absolute)
    s = {"depth": 0.4, "seg": -0.3}
    with torch.no_grad():
        for name, value in s.items():
            loss.log_vars[name].fill_(value)
    expected = kendall({"depth": SQ_MEAN, "seg": ABS_MEAN}, {k: math.exp(v) for k, v in s.items()},
                       {"depth": "regression", "seg": "classification"})
    total, parts = loss.breakdown(OUT, TGT)
    torch.testing.assert_close(total, torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(parts["depth"], torch.tensor(SQ_MEAN, dtype=torch.float64))  # unweighted


def test_log_variances_are_learned_parameters_with_the_right_gradient(square, absolute):
    loss = _uncertainty(square, absolute)
    params = dict(loss.named_parameters())
    assert set(params) == {"log_vars.depth", "log_vars.seg"}
    loss(OUT, TGT).backward()
    # d/ds (c e^{-s} L + s/2) at s = 0 is 0.5 - c L
    assert params["log_vars.depth"].grad.item() == pytest.approx(0.5 - 0.5 * SQ_MEAN)
    assert params["log_vars.seg"].grad.item() == pytest.approx(0.5 - ABS_MEAN)


def test_the_optimum_is_where_the_paper_puts_it(square, absolute):
    # regression: d/ds (e^{-s} L / 2 + s / 2) = 0 at s = log L; classification: e^{-s} L = 1/2 at s = log(2 L)
    loss = _uncertainty(square, absolute)
    with torch.no_grad():
        loss.log_vars["depth"].fill_(math.log(SQ_MEAN))
        loss.log_vars["seg"].fill_(math.log(2 * ABS_MEAN))
    loss(OUT, TGT).backward()
    for s in loss.log_vars.values():
        assert s.grad.item() == pytest.approx(0.0, abs=1e-7)


def test_pickle_deepcopy_and_state_dict(square, absolute):
    loss = _uncertainty(square, absolute)
    with torch.no_grad():
        loss.log_vars["seg"].fill_(0.7)
    for clone in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss)):
        torch.testing.assert_close(clone(OUT, TGT), loss(OUT, TGT))
    fresh = _uncertainty(square, absolute)
    fresh.load_state_dict(loss.state_dict())
    torch.testing.assert_close(fresh(OUT, TGT), loss(OUT, TGT))


def test_context_is_routed_to_the_tasks_that_declare_it(registry, square):
    loss = MultiTask({"depth": square, "gap": registry.get_loss("group_gap")})
    groups = torch.tensor([0, 1, 1])
    total = loss({"depth": X, "gap": X}, {"depth": Y, "gap": Y}, groups=groups, weight=torch.ones(3, dtype=X.dtype))
    torch.testing.assert_close(total, torch.tensor(SQ_MEAN + 1.5, dtype=torch.float64))
    with pytest.raises(ContextError, match="term 'gap' needs the context keyword 'groups'"):
        loss({"depth": X, "gap": X}, {"depth": Y, "gap": Y})
    with pytest.raises(ContextError, match="did you mean 'groups'"):
        loss({"depth": X, "gap": X}, {"depth": Y, "gap": Y}, group=groups)


def test_missing_and_extra_keys_are_clear_errors(square, absolute):
    loss = MultiTask({"depth": square, "seg": absolute})
    with pytest.raises(LossInputError, match=r"outputs have no entry for task 'seg' \(got keys: depth\)"):
        loss({"depth": X}, TGT)
    with pytest.raises(LossInputError, match=r"targets have the key 'dpth', which is no task; did you mean 'depth'"):
        loss(OUT, {**TGT, "dpth": Y})
    with pytest.raises(LossInputError, match=r"outputs must be a dict keyed by task \(depth, seg\), got Tensor"):
        loss(X, TGT)


def test_tasks_must_return_scalars(registry, absolute):
    loss = MultiTask({"depth": registry.get_loss("square", reduction="none"), "seg": absolute})
    with pytest.raises(LossInputError, match=r"task 'depth' returned a loss of shape \(3,\).*reduction='mean'"):
        loss(OUT, TGT)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weighting": "uncertainty"}, r"task_types: weighting='uncertainty' needs the type of every task"),
        ({"weighting": "uncertainty", "task_types": {"depth": "regression", "seg": "segmentation"}},
         r"task_types.seg: must be 'regression' or 'classification', got 'segmentation'"),
        ({"weighting": "uncertainty", "task_types": {"depth": "regression", "seg": "regression"},
          "weights": {"seg": 1.0}}, r"weights: are learned with weighting='uncertainty'"),
        ({"task_types": {"depth": "regression"}}, r"task_types: only apply to weighting='uncertainty'"),
        ({"weights": {"sge": 2.0}}, r"weights.sge: no such task; did you mean 'seg'\? Tasks: depth, seg\."),
        ({"weights": {"seg": math.inf}}, r"weights.seg: must be a finite real number, got inf"),
        ({"weights": {"seg": "2"}}, r"weights.seg: must be a finite real number, got '2'"),
        ({"weighting": "uncertanity"}, r"weighting: must be one of 'fixed', 'uncertainty'.*did you mean"),
    ],
)
def test_invalid_options(square, absolute, kwargs, message):
    with pytest.raises(InvalidParamError, match=message):
        MultiTask({"depth": square, "seg": absolute}, **kwargs)


def test_invalid_tasks(square):
    with pytest.raises(InvalidParamError, match="non-empty mapping"):
        MultiTask({})
    with pytest.raises(InvalidParamError, match=r"tasks.seg: must be a losskit.Loss, got MSELoss"):
        MultiTask({"seg": torch.nn.MSELoss()})
    with pytest.raises(InvalidParamError, match="without '.'"):
        MultiTask({"a.b": square})


def test_weight_zero_task_is_logged_not_trained(square, absolute):
    loss = MultiTask({"depth": square, "seg": absolute}, weights={"seg": 0.0})
    total, parts = loss.breakdown(OUT, TGT)
    torch.testing.assert_close(total, torch.tensor(SQ_MEAN, dtype=torch.float64))
    torch.testing.assert_close(parts["seg"], torch.tensor(ABS_MEAN, dtype=torch.float64))


@pytest.mark.parametrize("name", ["type", "values", "train", "update", "forward"])
def test_task_names_that_are_module_attributes_are_a_clear_error(square, name):
    with pytest.raises(InvalidParamError, match=rf"tasks: the task name {name!r} is taken by an nn.Module"):
        MultiTask({name: square})
    with pytest.raises(InvalidParamError, match=rf"the task name {name!r} is taken"):
        MultiTask({name: square}, weighting="uncertainty", task_types={name: "regression"})


def test_a_sum_holding_a_multitask_pickles_and_deep_copies(square, absolute):
    loss = 0.5 * _uncertainty(square, absolute) + 2 * _uncertainty(square, absolute)
    with torch.no_grad():
        loss.terms[1].log_vars["seg"].fill_(0.7)
    for clone in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss)):
        torch.testing.assert_close(clone.breakdown(OUT, TGT).total, loss(OUT, TGT))
        assert clone.names == ("multitask", "multitask_1") and clone.weights == (0.5, 2.0)
        assert {n for n, _ in clone.named_parameters()} == {n for n, _ in loss.named_parameters()}
    assert list(loss.breakdown(OUT, TGT).parts) == [
        "multitask", "multitask/depth", "multitask/seg", "multitask_1", "multitask_1/depth", "multitask_1/seg"
    ]
