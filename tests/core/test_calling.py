"""torch's calling conventions (losskit._calling): inputs by torch's names and positions, constructor
parameters by position, parameter aliases, and a CallError (never a bare TypeError) for a wrong call."""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import Tensor

from losskit import CallError, ContextError, InvalidParamError, Loss, LosskitError, SpecError, param, reduction_param
from losskit.reduction import Reduction, reduce

x, y, z = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.0]), torch.tensor([3.0, 1.0])


class PairLoss(Loss, name="pair", inputs={"input1": "input", "input2": "other", "target": "target"},
               positional=("margin", "class_weights")):
    r"""Fixture: a torch-ordered pair loss, :math:`\ell_n = m + x_n - 2 x'_n + 10 y_n`."""

    margin: float = param(0.0, "added")
    class_weights: tuple[float, ...] | None = param(None, "unused", aliases=("weight",))
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, margin: float, class_weights: tuple[float, ...] | None,
                reduction: Reduction, other: Tensor) -> Tensor:
        return reduce(margin + input - 2 * other + 10 * target, reduction, owner="pair")


class ThreeLoss(Loss, name="three", inputs=("anchor", "positive", "negative")):
    r"""Fixture: :math:`\ell_n = a_n + 2 p_n + 3 n_n`."""

    reduction: Reduction = reduction_param("none")

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, negative: Tensor) -> Tensor:
        return reduce(input + 2 * target + 3 * negative, reduction, owner="three")


class PlainLoss(Loss, name="plain"):
    r"""Fixture: :math:`\ell_n = x_n - y_n`."""

    reduction: Reduction = reduction_param("none")

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction) -> Tensor:
        return reduce(input - target, reduction, owner="plain")


EXPECTED_PAIR = (x - 2 * z + 10 * y).mean()


@pytest.mark.parametrize("call", [
    lambda loss: loss(x, z, y),                             # torch's order
    lambda loss: loss(x, z, target=y),
    lambda loss: loss(input1=x, input2=z, target=y),
    lambda loss: loss(x, y, other=z),                       # losskit's protocol
    lambda loss: loss(input=x, target=y, other=z),
])
def test_both_forms_give_the_same_value(call):
    torch.testing.assert_close(call(PairLoss()), EXPECTED_PAIR)


def test_the_functional_form_takes_both_forms():
    torch.testing.assert_close(PairLoss.functional(x, z, y, margin=1.0), EXPECTED_PAIR + 1)
    torch.testing.assert_close(PairLoss.functional(x, y, other=z, margin=1.0), EXPECTED_PAIR + 1)


def test_same_order_inputs_by_position_or_keyword():
    expected = x + 2 * y + 3 * z
    for got in (ThreeLoss()(x, y, z), ThreeLoss()(x, y, negative=z), ThreeLoss()(anchor=x, positive=y, negative=z),
                ThreeLoss.functional(x, y, z)):
        torch.testing.assert_close(got, expected)


def test_signatures_are_torch_shaped():
    assert list(inspect.signature(PairLoss.__call__).parameters) == ["self", "input1", "input2", "target"]
    assert list(inspect.signature(PairLoss.functional).parameters) == [
        "input1", "input2", "target", "margin", "class_weights", "reduction"]
    init = inspect.signature(PairLoss).parameters
    assert [(n, p.kind.name) for n, p in init.items()] == [
        ("margin", "POSITIONAL_OR_KEYWORD"), ("class_weights", "POSITIONAL_OR_KEYWORD"), ("reduction", "KEYWORD_ONLY")]
    assert list(inspect.signature(PlainLoss).parameters) == ["reduction"]


def test_constructor_by_position_and_alias():
    assert PairLoss(0.5).margin == 0.5
    assert PairLoss(0.5, torch.tensor([1.0, 2.0])).class_weights == (1.0, 2.0)
    assert PairLoss(weight=[1.0]).class_weights == (1.0,)
    assert PairLoss(weight=[1.0]).to_config()["class_weights"] == [1.0]
    assert PairLoss.functional(x, z, y, weight=[2.0]).item() == pytest.approx(EXPECTED_PAIR.item())


@pytest.mark.parametrize(("call", "message"), [
    (lambda: PairLoss()(x, z), r"needs the context keyword 'other'; call it as loss\(input1, input2, target\) "
                               r"\(torch's order\) or loss\(input1, target, other=input2\) \(losskit's\)"),
    (lambda: PairLoss()(x), r"pair was given only 1 of its inputs"),
    (lambda: PairLoss()(x, z, y, y), r"pair takes 3 inputs"),
    (lambda: PairLoss()(x, z, y, other=z), r"got other= beside torch's 'input2'"),
    (lambda: PairLoss()(x, z, input1=x, target=y), r"'input1' both by position and by keyword"),
    (lambda: ThreeLoss()(x, y), r"three needs the context keyword 'negative'; call it as loss\(anchor, positive, negative\)"),
    (lambda: ThreeLoss.functional(x), r"three was given only 1 of its inputs"),
    (lambda: PlainLoss()(x), r"plain was given only 1 of its inputs; call it as loss\(input, target\)"),
    (lambda: PlainLoss()(x, y, z), r"plain was given 3 inputs"),
    (lambda: PlainLoss()(target=y), r"plain was given only 1"),
    (lambda: PlainLoss.functional(x, y, z), r"plain takes 2 inputs"),
    (lambda: PlainLoss("sum"), r"plain takes its parameters by keyword \(reduction=\) only; got 1 positional"),
    (lambda: PairLoss(1.0, None, "sum"), r"by position only margin, class_weights, in torch's order"),
    (lambda: PairLoss(1.0, margin=2.0), r"'margin' both by position and by keyword"),
    (lambda: PlainLoss(size_average=False), r"size_average= is torch's deprecated form of reduction="),
])
def test_wrong_calls_raise_call_error_naming_the_fix(call, message):
    with pytest.raises(CallError, match=message) as info:
        call()
    assert isinstance(info.value, TypeError) and isinstance(info.value, LosskitError)


def test_missing_context_stays_a_context_error():
    with pytest.raises(ContextError):
        ThreeLoss()(x, y)


def test_a_call_time_keyword_given_to_the_constructor_names_the_call():
    class Weighted(Loss, name="weighted"):
        r"""Fixture: :math:`\ell_n = w_n x_n`."""

        reduction: Reduction = reduction_param()

        @staticmethod
        def compute(input: Tensor, target: Tensor, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
            return reduce(input, reduction, weight=weight, owner="weighted")

    with pytest.raises(CallError, match=r"weight= is given at call time here.*loss\(input, target, weight=\.\.\.\)"):
        Weighted(weight=torch.ones(2))


def test_an_alias_and_its_parameter_together_are_refused():
    with pytest.raises(InvalidParamError, match="given twice, as class_weights= and as weight="):
        PairLoss(weight=[1.0], class_weights=[2.0])


@pytest.mark.parametrize(("keywords", "message"), [
    ({"inputs": ("only",)}, "at least two names"),
    ({"inputs": {"a": "input", "b": "input", "c": "target"}}, "exactly one input must fill the role 'input'"),
    ({"inputs": {"a": "input", "b": "target", "c": "missing"}}, "a distinct context keyword"),
    ({"positional": ("nope",)}, "must name distinct declared parameters"),
])
def test_declaration_errors(keywords, message):
    with pytest.raises(SpecError, match=message):
        class Bad(Loss, name="bad", **keywords):
            r"""Fixture."""

            reduction: Reduction = reduction_param()

            @staticmethod
            def compute(input: Tensor, target: Tensor, *, reduction: Reduction, other: Tensor) -> Tensor:
                return input


def test_positional_needs_the_derived_init():
    with pytest.raises(SpecError, match="positional= applies to the derived __init__"):
        class Own(Loss, name="own", positional=("reduction",)):
            r"""Fixture."""

            params = (reduction_param(),)

            def __init__(self, *, reduction: str = "mean") -> None:
                super().__init__(reduction=reduction)

            def forward(self, input: Tensor, target: Tensor) -> Tensor:
                return input


def test_the_original_api_keeps_working_and_gets_call_errors():
    class Original(Loss):
        r"""Fixture: the 0.1 form."""

        loss_name = "original"
        params = (reduction_param(),)

        def __init__(self, *, reduction: str = "mean") -> None:
            super().__init__(reduction=reduction)

        def forward(self, input: Tensor, target: Tensor) -> Tensor:
            return reduce(input - target, self.reduction, owner="original")

    torch.testing.assert_close(Original()(x, y), (x - y).mean())
    with pytest.raises(CallError, match="original was given 3 inputs"):
        Original()(x, y, z)
