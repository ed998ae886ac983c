"""Which check applies to which loss is decided in one table, before any check body runs."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch

from losskit import Example, reduction_param
from losskit.testing import CHECKS, CheckSkipped, check_loss, parametrize_with_checks
from losskit.testing import checks as C
from losskit.testing._subject import subject_of
from losskit.testing.checks import (
    APPLICABILITY,
    backends,
    construction,
    numerics,
    persistence,
    robustness,
    semantics,
    why_not,
)
from tests.conformance.conformance_fixtures import MASKED_CE, POWER, SQUARED_NORM, broken, paired


def test_the_table_holds_every_check_once_in_the_running_order():
    assert CHECKS == tuple(check for check, _ in APPLICABILITY)
    assert len({c.__name__ for c in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize("module", [backends, construction, numerics, persistence, robustness, semantics])
def test_no_check_body_decides_whether_it_applies(module):
    assert "raise CheckSkipped" not in inspect.getsource(module)


def test_a_check_called_on_a_loss_it_does_not_apply_to_raises_check_skipped_with_the_reason():
    with pytest.raises(CheckSkipped, match="no 'ignore_index' tag"):
        C.check_ignore_index(POWER)
    with pytest.raises(CheckSkipped, match="the spec declares no reference"):
        C.check_reference(SQUARED_NORM)
    with pytest.raises(CheckSkipped, match="tagged 'penalty'"):
        C.check_batch_independence(SQUARED_NORM)
    mean_only = dataclasses.replace(POWER, params=(*POWER.params[:-1], reduction_param(choices=("mean",))))
    with pytest.raises(CheckSkipped, match=r"offers no reduction 'none' or 'sum' \(it offers \('mean',\)\)"):
        C.check_reduction(mean_only)


def test_the_conditions_on_the_example_read_the_example():
    def integer_input(generator, *, dtype, device, batch_size):
        example = paired(generator, dtype=dtype, device=device, batch_size=batch_size)
        return Example(example.input.round().long(), example.target)

    def no_batch(generator, *, dtype, device, batch_size):
        return Example(torch.zeros(3, dtype=dtype), torch.zeros(3, dtype=dtype))

    assert why_not(subject_of(broken("ints", example=integer_input)), C.check_gradcheck) == (
        "the input is not a floating-point tensor"
    )
    assert why_not(subject_of(broken("no_batch", example=no_batch)), C.check_batch_independence) == (
        "no tensor of the example has a batch dimension"
    )
    assert why_not(subject_of(POWER), C.check_gradcheck) is None


def test_a_condition_that_cannot_be_decided_counts_as_met_so_the_check_reports_the_error():
    def explodes(generator, *, dtype, device, batch_size):
        raise RuntimeError("no example today")

    spec = broken("no_example", example=explodes)
    assert why_not(subject_of(spec), C.check_batch_independence) is None
    (result,) = check_loss(spec, checks=[C.check_batch_independence])
    assert result.status == "failed" and "no example today" in result.message


def test_check_loss_reports_what_does_not_apply_as_skipped_without_running_it():
    def raises(self, input, target, *, weight=None):
        raise RuntimeError("ran")

    results = {r.check: r for r in check_loss(broken("raises", raises, reference=None))}
    assert results["check_reference"].status == "skipped"
    assert results["check_reference"].message == "not applicable: the spec declares no reference"
    assert results["check_ignore_index"].status == "skipped"
    assert results["check_output_shape"].status == "failed"


def test_parametrize_with_checks_marks_what_does_not_apply_as_skipped_at_collection():
    mark = parametrize_with_checks([POWER, MASKED_CE], expected_failures={"check_ignore_index": "known"})
    marks = {p.id: p.marks for p in mark.args[1]}
    skip = marks["power-check_ignore_index"][0]
    assert (skip.name, skip.kwargs["reason"]) == ("skip", "not applicable: no 'ignore_index' tag")
    assert marks["masked_ce-check_ignore_index"][0].name == "xfail"  # applies: the expected failure stands
    assert marks["masked_ce-check_optimum"][0].kwargs["reason"] == "not applicable: the contract's target is 'class_indices'"
    assert not marks["power-check_optimum"]
    assert [m.name for m in marks["power-check_cuda"]] == ([] if torch.cuda.is_available() else ["skip"])


def test_a_loss_without_its_own_class_gets_no_name_check():
    def factory(**params):
        return POWER.factory(**params)

    spec = dataclasses.replace(POWER, factory=factory, params=tuple(POWER.params))
    assert why_not(subject_of(spec), C.check_name) == "the factory is a function, not a Loss class"


def test_the_checks_of_hostile_inputs_apply_by_the_target_and_the_model_in_the_context():
    from tests.conformance.conformance_fixtures import WEIGHTED_CE

    assert why_not(subject_of(POWER), C.check_integer_targets) == (
        "the contract's target is 'same_shape', not class indices or labels"
    )
    assert why_not(subject_of(WEIGHTED_CE), C.check_integer_targets) is None
    assert why_not(subject_of(MASKED_CE), C.check_target_dtypes) == (
        "the contract's target is 'class_indices', not values, {0, 1}, ±1 or probabilities"
    )
    assert why_not(subject_of(SQUARED_NORM), C.check_autocast) is None  # a penalty only reads its model

    def runs_a_model(generator, *, dtype, device, batch_size):
        example = paired(generator, dtype=dtype, device=device, batch_size=batch_size)
        return Example(example.input, example.target, {"model": torch.nn.Linear(3, 3)})

    assert why_not(subject_of(broken("adversarial", example=runs_a_model)), C.check_autocast) == (
        "the loss runs the model= of its context, whose outputs autocast rightly computes in bfloat16"
    )
