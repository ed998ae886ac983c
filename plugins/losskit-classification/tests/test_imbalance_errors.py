"""Invalid parameters and inputs of the imbalance losses raise errors that say what to fix."""

from __future__ import annotations

import pytest
import torch

from losskit import ContextError, InvalidParamError, LossInputError, get_loss
from losskit_classification.imbalance import SPECS
from losskit_classification.imbalance._examples import EXAMPLE_SAMPLES_PER_CLASS
from losskit_classification.imbalance.distillation import distillation_loss
from losskit_classification.imbalance.generalized_ce import generalized_ce_loss
from losskit_classification.imbalance.logit_adjusted import LogitAdjustedLoss, logit_adjusted_loss

CLASS_INDEX_SPECS = [s for s in SPECS if s.contract.target == "class_indices"]
COUNTS = EXAMPLE_SAMPLES_PER_CLASS
COUNT_LOSSES = sorted(s.name for s in SPECS if "samples_per_class" in s.example_params)


def _build(spec, **params):
    return spec.factory(**{**spec.example_params, **params})


def _example(spec, batch_size=4):
    return spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=batch_size)


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("poly1", {"epsilon": -2.0}, "epsilon: must be >= -1"),
        ("poly1", {"label_smoothing": 1.5}, "label_smoothing: must be >= 0 and <= 1"),
        ("class_balanced", {}, "samples_per_class: must not be None"),
        ("class_balanced", {"samples_per_class": COUNTS, "beta": 1.0}, "beta: must be >= 0 and < 1"),
        ("class_balanced", {"samples_per_class": (10.0, 0.0)}, "samples_per_class: must be > 0, got 0.0"),
        ("class_balanced", {"samples_per_class": ()}, "must hold one value per class"),
        ("class_balanced", {"samples_per_class": COUNTS, "base": "sigmoidd"}, "did you mean 'sigmoid'"),
        ("class_balanced", {"samples_per_class": COUNTS, "gamma": -1.0}, "gamma: must be >= 0"),
        ("asymmetric", {"clip": 1.0}, "clip: must be >= 0 and < 1"),
        ("asymmetric", {"eps": 0.0}, "eps: must be > 0"),
        ("asymmetric", {"gamma_neg": -1.0}, "gamma_neg: must be >= 0"),
        ("logit_adjusted", {}, "give exactly one of class_priors and samples_per_class, got neither"),
        ("logit_adjusted", {"samples_per_class": COUNTS, "class_priors": COUNTS}, "got both"),
        ("logit_adjusted", {"samples_per_class": COUNTS, "tau": -1.0}, "tau: must be >= 0"),
        ("balanced_softmax", {}, "samples_per_class: must not be None"),
        ("ldam", {"samples_per_class": COUNTS, "max_m": 0.0}, "max_m: must be > 0"),
        ("ldam", {"samples_per_class": COUNTS, "s": -1.0}, "s: must be > 0"),
        ("generalized_ce", {"q": 0.0}, "q: must be > 0 and <= 1"),
        ("generalized_ce", {"q": 1.5}, "q: must be > 0 and <= 1"),
        ("symmetric_ce", {"log_zero": 0.0}, "log_zero: must be < 0"),
        ("symmetric_ce", {"alpha": -0.1}, "alpha: must be >= 0"),
        ("distillation", {"temperature": 0.0}, "temperature: must be > 0"),
        ("distillation", {"alpha": 1.5}, "alpha: must be >= 0 and <= 1"),
    ],
)
def test_invalid_params(name, params, message):
    with pytest.raises(InvalidParamError, match=message):
        get_loss(name, **params)


def test_params_are_validated_by_the_module_and_the_functional_form():
    with pytest.raises(InvalidParamError, match="q: must be > 0"):
        generalized_ce_loss(torch.zeros(1, 2), torch.tensor([0]), q=-1.0)
    with pytest.raises(InvalidParamError, match="got neither"):
        LogitAdjustedLoss()
    with pytest.raises(InvalidParamError, match="reduction: must be one of 'mean', 'sum', 'none'"):
        generalized_ce_loss(torch.zeros(1, 2), torch.tensor([0]), reduction="meen")


def test_the_functional_form_needs_exactly_one_prior_source():
    x, y = torch.zeros(2, 5), torch.tensor([0, 1])
    with pytest.raises(InvalidParamError, match="got neither"):
        logit_adjusted_loss(x, y)
    with pytest.raises(InvalidParamError, match="got both"):
        logit_adjusted_loss(x, y, class_priors=COUNTS, samples_per_class=COUNTS)


def test_the_functional_form_needs_the_teacher_logits():
    with pytest.raises(ContextError, match="needs the context keyword 'teacher_logits'"):
        distillation_loss(torch.zeros(2, 5), torch.tensor([0, 1]))


@pytest.mark.parametrize("spec", CLASS_INDEX_SPECS, ids=lambda s: s.name)
def test_class_index_inputs(spec):
    loss, example = _build(spec), _example(spec)
    x, y, ctx = example.input, example.target, example.context
    with pytest.raises(LossInputError, match=r"integer class indices \(any integer dtype, e.g. torch.long\), got torch.float32"):
        loss(x, y.float(), **ctx)
    with pytest.raises(LossInputError, match=r"must be in \[0, 5\), got 5"):
        loss(x, torch.tensor([0, 1, 5, 2]), **ctx)
    with pytest.raises(LossInputError, match=r"must be in \[0, 5\), got -1"):
        loss(x, torch.tensor([0, -1, 1, 2]), **ctx)
    with pytest.raises(LossInputError, match=r"target must have shape \(N,\)"):
        loss(x, y.unsqueeze(1), **ctx)
    with pytest.raises(LossInputError, match="input has 4 samples but target has 3"):
        loss(x, y[:3], **ctx)
    with pytest.raises(LossInputError, match=r"input must have shape \(N, C\)"):
        loss(x[:, 0], y, **ctx)
    with pytest.raises(LossInputError, match="input must be a floating-point tensor"):
        loss(x.long(), y, **ctx)


@pytest.mark.parametrize("spec", CLASS_INDEX_SPECS, ids=lambda s: s.name)
def test_int32_class_indices_work_like_long(spec):
    example = _example(spec)
    for params in ({}, {"base": "sigmoid"}) if spec.name == "class_balanced" else ({},):
        loss = _build(spec, **params)
        expected = loss(example.input, example.target, **example.context)
        torch.testing.assert_close(loss(example.input, example.target.int(), **example.context), expected)


@pytest.mark.parametrize("name", COUNT_LOSSES)
def test_samples_per_class_must_match_the_number_of_classes(name):
    loss = get_loss(name, samples_per_class=(1.0, 2.0, 3.0))
    with pytest.raises(LossInputError, match="samples_per_class has 3 entries but the input has 5 classes"):
        loss(torch.zeros(2, 5), torch.tensor([0, 1]))


def test_class_priors_must_match_the_number_of_classes():
    with pytest.raises(LossInputError, match="class_priors has 2 entries but the input has 5 classes"):
        get_loss("logit_adjusted", class_priors=(0.5, 0.5))(torch.zeros(2, 5), torch.tensor([0, 1]))


def test_asymmetric_inputs():
    loss = get_loss("asymmetric")
    x = torch.zeros(3, 4)
    # any real dtype is converted to the working precision (losskit.inputs.check_value_target); complex is refused
    assert loss(x, torch.ones(3, 4, dtype=torch.long)) == loss(x, torch.ones(3, 4))
    assert loss(x, torch.ones(3, 4, dtype=torch.bool)) == loss(x, torch.ones(3, 4))
    with pytest.raises(LossInputError, match="target must hold real values, got torch.complex64"):
        loss(x, torch.zeros(3, 4, dtype=torch.complex64))
    with pytest.raises(LossInputError, match="same shape"):
        loss(x, torch.zeros(3))
    with pytest.raises(LossInputError, match=r"asymmetric: target must hold 0 or 1, got 0.5. Give one 0/1 label"):
        loss(x, torch.full((3, 4), 0.5))
    with pytest.raises(LossInputError, match=r"input must have shape \(N, C\)"):
        loss(torch.zeros(3), torch.zeros(3))


def test_distillation_teacher_logits():
    loss = get_loss("distillation")
    x, y = torch.zeros(3, 4), torch.tensor([0, 1, 2])
    with pytest.raises(ContextError, match="needs the context keyword 'teacher_logits'"):
        loss(x, y)
    with pytest.raises(ContextError, match="did you mean 'teacher_logits'"):
        loss(x, y, teacher_logit=x)
    with pytest.raises(LossInputError, match=r"teacher_logits must have the student logits' shape \(3, 4\)"):
        loss(x, y, teacher_logits=torch.zeros(3, 5))
    with pytest.raises(LossInputError, match="teacher_logits must be a floating-point tensor"):
        loss(x, y, teacher_logits=torch.zeros(3, 4, dtype=torch.long))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_unknown_context_keyword(spec):
    example = _example(spec)
    with pytest.raises(ContextError, match="unexpected context keyword 'weights'"):
        _build(spec)(example.input, example.target, **example.context, weights=torch.ones(4))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_inputs_are_not_mutated(spec):
    example = _example(spec)
    before = [example.input.clone(), example.target.clone(), *(v.clone() for v in example.context.values())]
    _build(spec)(example.input, example.target, **example.context)
    after = [example.input, example.target, *example.context.values()]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
