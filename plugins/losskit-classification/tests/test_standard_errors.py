"""Invalid parameters and inputs of the standard losses raise errors that say what to fix."""

from __future__ import annotations

import pytest
import torch

from losskit import get_loss, get_spec
from losskit.errors import ContextError, InvalidParamError, LossInputError
from losskit_classification.standard import SPECS

X = torch.randn(4, 5)
Y = torch.tensor([0, 1, 4, 2])


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("cross_entropy", {"label_smoothing": 1.5}, "label_smoothing: must be >= 0 and <= 1, got 1.5"),
        ("cross_entropy", {"class_weights": (1.0, -1.0)}, "class_weights: must be >= 0"),
        ("cross_entropy", {"ignore_index": 1.5}, "ignore_index"),
        ("focal", {"gamma": -1}, "gamma: must be >= 0, got -1"),
        ("focal", {"alpha": -0.5}, "alpha: must be >= 0"),
        ("focal", {"alpha": "x"}, "alpha: must be float or sequence of floats"),
        ("sigmoid_focal", {"alpha": 1.5}, "alpha: must be >= 0 and <= 1"),
        ("multi_margin", {"p": 3}, "p: must be one of 1, 2"),
        ("kl_div", {"reduction": "batch_mean"}, "did you mean 'batchmean'"),
        ("linear_cross_entropy", {"chunk_size": 0}, "chunk_size: must be >= 1"),
        ("ctc", {"blank": -1}, "blank: must be >= 0"),
    ],
)
def test_invalid_params(name, params, match) -> None:
    with pytest.raises(InvalidParamError, match=match):
        get_loss(name, **params)


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("focal", {"gamma": -1.0}, "gamma: must be >= 0"),
        ("sigmoid_focal", {"alpha": 1.5}, "alpha: must be >= 0 and <= 1"),
        ("linear_cross_entropy", {"chunk_size": 0}, "chunk_size: must be >= 1"),
        ("linear_cross_entropy", {"label_smoothing": 2.0}, "label_smoothing: must be >= 0 and <= 1"),
    ],
)
def test_functional_forms_validate_their_params(name, params, match) -> None:
    spec = get_spec(name)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=4)
    with pytest.raises(InvalidParamError, match=match):
        spec.functional(example.input, example.target, **params, **example.context)


@pytest.mark.parametrize("name", sorted(spec.name for spec in SPECS))
def test_functional_forms_refuse_an_unknown_reduction(name) -> None:
    spec = get_spec(name)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=4)
    with pytest.raises(InvalidParamError, match="reduction: must be one of .*did you mean 'mean'"):
        spec.functional(example.input, example.target, reduction="meen", **example.context)


@pytest.mark.parametrize("name", sorted(spec.name for spec in SPECS))
def test_functional_forms_refuse_an_unknown_keyword(name) -> None:
    spec = get_spec(name)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=4)
    with pytest.raises(InvalidParamError, match="unknown parameter or context keyword"):
        spec.functional(example.input, example.target, not_a_keyword=1, **example.context)


@pytest.mark.parametrize(("name", "missing"), [("ctc", "input_lengths"), ("linear_cross_entropy", "classifier_weight")])
def test_functional_forms_need_their_context(name, missing) -> None:
    spec = get_spec(name)
    example = spec.example(torch.Generator().manual_seed(0), dtype=torch.float32, device="cpu", batch_size=4)
    context = {k: v for k, v in example.context.items() if k != missing}
    with pytest.raises(ContextError, match=missing):
        spec.functional(example.input, example.target, **context)


@pytest.mark.parametrize("name", ["cross_entropy", "nll", "focal", "multi_margin"])
def test_class_index_out_of_range(name) -> None:
    with pytest.raises(LossInputError, match=r"class indices must be in \[0, 5\).*got 7"):
        get_loss(name)(X, torch.tensor([0, 1, 7, 2]))


@pytest.mark.parametrize("name", ["nll", "focal", "multi_margin"])
def test_float_target_for_class_indices(name) -> None:
    with pytest.raises(LossInputError, match=r"integer class indices \(any integer dtype, e.g. torch.long\), got torch.float32.*target.long"):
        get_loss(name)(X, Y.float())


def test_cross_entropy_float_target_must_be_probabilities_of_the_input_shape() -> None:
    with pytest.raises(LossInputError, match=r"class probabilities .* shape \(4, 5\), got \(4,\).*target.long"):
        get_loss("cross_entropy")(X, Y.float())


@pytest.mark.parametrize("name", ["cross_entropy", "focal"])
def test_one_hot_target_gets_an_argmax_hint(name) -> None:
    one_hot = torch.nn.functional.one_hot(Y, 5)
    with pytest.raises(LossInputError, match=r"target.argmax\(1\)"):
        get_loss(name)(X, one_hot)


@pytest.mark.parametrize("name", ["cross_entropy", "focal", "nll"])
def test_wrong_target_shape(name) -> None:
    with pytest.raises(LossInputError, match=r"shape \(4,\) for input \(4, 5\), got \(3,\)"):
        get_loss(name)(X, Y[:3])


def test_input_without_class_dim() -> None:
    with pytest.raises(LossInputError, match=r"input must have shape \(N, C\).*unsqueeze"):
        get_loss("cross_entropy")(torch.randn(5), torch.tensor(1))


def test_class_weights_of_the_wrong_length() -> None:
    with pytest.raises(LossInputError, match="class_weights has 3 values but the input has 5 classes"):
        get_loss("cross_entropy", class_weights=(1, 2, 3))(X, Y)
    with pytest.raises(LossInputError, match="alpha has 2 values but the input has 5 classes"):
        get_loss("focal", alpha=(1, 2))(X, Y)
    with pytest.raises(LossInputError, match="pos_weight has 2 values"):
        get_loss("bce_with_logits", pos_weight=(1, 2))(X, torch.zeros(4, 5))


@pytest.mark.parametrize("name", ["bce_with_logits", "bce", "sigmoid_focal", "soft_margin", "hinge", "kl_div"])
def test_no_silent_broadcasting(name) -> None:
    with pytest.raises(LossInputError, match="same shape"):
        get_loss(name)(X.sigmoid(), torch.ones(4, 1))


def test_bce_refuses_logits() -> None:
    with pytest.raises(LossInputError, match=r"input must lie in \[0, 1\].*bce_with_logits"):
        get_loss("bce")(X * 10, torch.ones(4, 5))


@pytest.mark.parametrize("name", ["soft_margin", "hinge", "squared_hinge"])
def test_sign_targets(name) -> None:
    with pytest.raises(LossInputError, match=r"target must hold -1 or \+1, got 0.*2 \* target - 1"):
        get_loss(name)(X, torch.zeros(4, 5))


def test_multilabel_margin_targets() -> None:
    with pytest.raises(LossInputError, match="padded with -1.*multilabel_soft_margin"):
        get_loss("multilabel_margin")(X, torch.zeros(4, 5))
    with pytest.raises(LossInputError, match=r"in \[0, 5\) or -1.*got 5"):
        get_loss("multilabel_margin")(X, torch.full((4, 5), 5))


def test_ctc_needs_its_lengths() -> None:
    log_probs = torch.randn(6, 2, 5).log_softmax(2)
    target, lengths = torch.tensor([[1, 2], [3, 3]]), torch.tensor([2, 2])
    with pytest.raises(ContextError, match="input_lengths"):
        get_loss("ctc")(log_probs, target, target_lengths=torch.tensor([2, 2]))
    with pytest.raises(LossInputError, match="must not be the blank|other than blank=0, got 0"):
        get_loss("ctc")(log_probs, torch.tensor([[0, 2], [3, 3]]),
                        input_lengths=torch.tensor([6, 6]), target_lengths=torch.tensor([2, 2]))
    with pytest.raises(LossInputError, match=r"input_lengths must lie in \[0, 6\]"):
        get_loss("ctc")(log_probs, target, input_lengths=torch.tensor([7, 6]), target_lengths=torch.tensor([2, 2]))
    with pytest.raises(LossInputError, match=r"\(T, N, C\)"):
        get_loss("ctc")(log_probs[:, 0], target, input_lengths=torch.tensor([6, 6]), target_lengths=lengths)


def test_linear_cross_entropy_checks_the_classifier() -> None:
    loss = get_loss("linear_cross_entropy")
    with pytest.raises(ContextError, match="classifier_weight"):
        loss(torch.randn(4, 3), Y)
    with pytest.raises(LossInputError, match=r"classifier_weight must be \(V, 3\)"):
        loss(torch.randn(4, 3), Y, classifier_weight=torch.randn(5, 4))
    with pytest.raises(LossInputError, match=r"classifier_bias must be \(5,\)"):
        loss(torch.randn(4, 3), Y, classifier_weight=torch.randn(5, 3), classifier_bias=torch.randn(4))
    with pytest.raises(LossInputError, match=r"class indices must be in \[0, 5\)"):
        loss(torch.randn(4, 3), Y + 3, classifier_weight=torch.randn(5, 3))


@pytest.mark.parametrize("name", ["cross_entropy", "nll", "multi_margin"])
def test_any_integer_target_dtype_works_like_long(name):
    x = torch.randn(4, 3, dtype=torch.float64)
    if name == "nll":
        x = x.log_softmax(1)
    target = torch.tensor([0, 1, 2, 0])
    loss = get_loss(name, reduction="none")
    for dtype in (torch.int32, torch.int16, torch.uint8):
        torch.testing.assert_close(loss(x, target.to(dtype)), loss(x, target))
