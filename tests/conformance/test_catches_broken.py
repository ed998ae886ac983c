"""Each broken fixture loss is caught by the check meant for its defect, with a message naming it."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import Tensor
from torch.nn import functional as F

from losskit import Identity, Param
from losskit.errors import LossInputError
from losskit.reduction import reduce
from losskit.testing import ConformanceError, ConformanceWarning, check_loss
from losskit.testing import checks as C
from losskit.testing._examples import assert_close
from tests.conformance.conformance_fixtures import (
    POWER,
    WEIGHTED_CE,
    PowerLoss,
    WeightedCrossEntropy,
    broken,
    power_loss,
    power_reference,
    registry_with,
    weighted_ce_loss,
)


def _sum_as_mean(self, input, target, *, weight=None):
    out = power_loss(input, target, scale=self.scale, power=self.power, weight=weight, reduction="none")
    return out if self.reduction == "none" else out.sum()  # 'mean' forgets to divide


def _flat_none(self, input, target, *, weight=None):
    out = power_loss(input, target, scale=self.scale, power=self.power, weight=weight, reduction=self.reduction)
    return out.flatten() if self.reduction == "none" else out


def _naive_exp(self, input, target, *, weight=None):
    d = input - target
    return reduce(torch.log((torch.exp(d) + torch.exp(-d)) / 2), self.reduction, owner="naive")  # overflows at 1e4


def _mutates_target(self, input, target, *, weight=None):
    target.mul_(1.0)  # same values, but an in-place write
    return power_loss(input, target, scale=self.scale, power=self.power, reduction=self.reduction)


def _mutates_values(self, input, target, *, weight=None):
    target.data.clamp_(-0.5, 0.5)  # bypasses the version counter; the values change
    return power_loss(input, target, scale=self.scale, power=self.power, reduction=self.reduction)


def _ignores_weight(self, input, target, *, weight=None):
    return power_loss(input, target, scale=self.scale, power=self.power, reduction=self.reduction)


def _batch_coupled(self, input, target, *, weight=None):
    d = input - target
    return reduce((d - d.mean(0)).square(), self.reduction, owner="coupled")


def _empty_nan(self, input, target, *, weight=None):
    out = power_loss(input, target, scale=self.scale, power=self.power, reduction="none")
    return out if self.reduction == "none" else (out.sum() / out.numel() if self.reduction == "mean" else out.sum())


class _WrongBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, d):
        ctx.save_for_backward(d)
        return d.square()

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return grad * d  # should be 2 * d


def _wrong_backward(self, input, target, *, weight=None):
    return reduce(_WrongBackward.apply(input - target), self.reduction, owner="wrong_grad")


def _bf16_nan(self, input, target, *, weight=None):
    out = power_loss(input, target, scale=self.scale, power=self.power, reduction=self.reduction)
    return out * float("nan") if input.dtype == torch.bfloat16 else out  # stands for a kernel without bf16 support


def _compile_differs(self, input, target, *, weight=None):
    out = power_loss(input, target, scale=self.scale, power=self.power, reduction=self.reduction)
    return out * 2 if torch.compiler.is_compiling() else out


def _float64_out(self, input, target, *, weight=None):
    return power_loss(input.double(), target.double(), scale=self.scale, power=self.power, reduction=self.reduction)


def _weight_only_in_none(self, input, target, *, weight=None):
    return power_loss(input, target, scale=self.scale, power=self.power, reduction=self.reduction,
                      weight=weight if self.reduction == "none" else None)


def _mutates_when_scaled(self, input, target, *, weight=None):
    if self.scale != 1.0:
        target.mul_(1.0)  # only off the defaults
    return power_loss(input, target, scale=self.scale, power=self.power, weight=weight, reduction=self.reduction)


def _promotes_the_target(self, input, target, *, weight=None):
    d = input - target  # a float64 target makes the loss float64 (torch's type promotion)
    return reduce(self.scale * d.abs().pow(self.power), self.reduction, weight=weight, owner="promotes")


def _refuses_bool_target(self, input, target, *, weight=None):
    if target.dtype == torch.bool:  # the rule converts a bool target to 0/1, as it does an integer one
        raise LossInputError("refuses_bool: target must not be bool. Convert it with target.float().")
    return power_loss(input, target, scale=self.scale, power=self.power, weight=weight, reduction=self.reduction)


def _nan_as_perfect(self, input, target, *, weight=None):
    d = (input - target).abs()
    # the region losses' `where(den > 0, ratio, 1)`: a comparison with NaN is false, so NaN scores 0
    return reduce(torch.where(d >= 0, self.scale * d.pow(self.power), 0), self.reduction, weight=weight, owner="nan0")


def _rounds_to_input_dtype(self, input, target, *, weight=None):
    d = input.float() - target.float()  # computed in float32, then rounded to bfloat16 (under autocast too)
    return reduce((self.scale * d.abs().pow(self.power)).to(input.dtype), self.reduction, weight=weight, owner="rounds")


def _autocast_matmul(self, input, target, *, weight=None):
    d = input - target
    square = (d.unsqueeze(-1) @ d.unsqueeze(-2)).diagonal(dim1=-2, dim2=-1).to(d.dtype)  # bfloat16 under autocast
    return reduce(self.scale * square, self.reduction, weight=weight, owner="matmul")


def _float32_eps(self, input, target, *, weight=None):
    eps = 1e-2 if input.dtype == torch.float32 else 0.0  # a float32-only "stability" epsilon that shifts the value
    return reduce(self.scale * ((input - target).abs() + eps).pow(self.power), self.reduction, weight=weight, owner="eps")


class NoFormula(PowerLoss, name="no_formula"):
    """Scaled power of the absolute error, reduction='mean' by default.

    Reference: Legendre, 1805.
    """


class LosesConfig(PowerLoss, name="loses_config"):
    __doc__ = PowerLoss.__doc__

    def to_config(self):
        config = super().to_config()
        del config["scale"]
        return config


class AcceptsAnything(PowerLoss, name="accepts_anything"):
    __doc__ = PowerLoss.__doc__

    def __init__(self, *, scale: float = 1.0, power: int = 2, reduction: str = "mean") -> None:
        super().__init__(power=power, reduction=reduction)  # scale is not passed on
        self.scale = scale


class OverridesParam(PowerLoss, name="overrides_param"):
    __doc__ = PowerLoss.__doc__

    def __post_init__(self) -> None:
        self.scale = 1.0  # a value given at construction is replaced


class Misnamed(PowerLoss, name="power_loss"):  # registered as "misnamed"
    __doc__ = PowerLoss.__doc__


class WritesOtherName(PowerLoss, name="writes_other_name"):
    __doc__ = PowerLoss.__doc__

    def to_config(self):
        return {**super().to_config(), "name": "power"}


class WrongExample(PowerLoss, name="wrong_example"):
    r"""Scaled power of the absolute error.

    .. math::
        \ell_n = s\,|x_n - y_n|^p

    Examples:
        >>> PowerLoss(scale=2.0)(torch.tensor([0.0, 3.0]), torch.zeros(2))
        tensor(18.)

    Reference: Legendre, 1805.
    """


class NoDocstring(PowerLoss, name="no_docstring"):
    pass


class DefaultsDisagree(PowerLoss, name="defaults_disagree"):
    __doc__ = PowerLoss.__doc__

    def __init__(self, *, scale: float = 2.0, power: int = 2, reduction: str = "mean") -> None:
        super().__init__(scale=scale, power=power, reduction=reduction)


class NoReduction(PowerLoss, name="no_reduction"):
    __doc__ = PowerLoss.__doc__
    params = (Param("scale", 1.0, "factor", gt=0.0), Param("power", 2, "exponent", type=int, ge=1, le=3))

    def __init__(self, *, scale: float = 1.0, power: int = 2) -> None:
        super().__init__(scale=scale, power=power)

    def forward(self, input, target, *, weight=None):
        return power_loss(input, target, scale=self.scale, power=self.power)


class Unpicklable(PowerLoss, name="unpicklable"):
    __doc__ = PowerLoss.__doc__

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hook = lambda x: x


class ShippedElsewhere(PowerLoss):
    __doc__ = PowerLoss.__doc__


ShippedElsewhere.__module__ = "torch.nn.modules.loss"  # as if another distribution (torch) shipped it


def _sqrt_square(self, input, target, *, weight=None):
    distance = (input - target).square().sqrt()  # |x - y|, but its gradient at x == y is 0/0
    return reduce(self.scale * distance.pow(self.power), self.reduction, weight=weight, owner="sqrt_square")


def _drifted_functional(input, target, *, scale=2.0, power=2, weight=None, reduction="mean"):
    return power_loss(input, target, scale=scale, power=power, weight=weight, reduction=reduction)


def _hidden_default(input, target, **params):  # no defaults in the signature: only calling it shows the drift
    return power_loss(input, target, **{"scale": 2.0, **params})


def _wrong_mean_reference(example, *, scale, power, reduction):
    return power_reference(example, scale=scale, power=power, reduction=reduction) * (1.5 if reduction == "mean" else 1)


# (broken spec, the check meant to catch it, a fragment of the expected message)
BROKEN = [
    (broken("sum_as_mean", _sum_as_mean), C.check_reduction, "reduction='mean' against the sum of 'none'"),
    (broken("batch_mean", mean_denominator="batch"), C.check_reduction, "over the batch count (6)"),
    (broken("flat_none", _flat_none), C.check_output_shape, "expected shape (N, *) with N=6"),
    (broken("float64_out", _float64_out), C.check_output_shape, "expected dtype torch.float32"),
    (broken("naive_exp", _naive_exp, reference=None), C.check_extreme_inputs, "inputs scaled by 1e4: value: expected finite"),
    (broken("mutates_target", _mutates_target), C.check_no_mutation, "expected target untouched"),
    (broken("mutates_values", _mutates_values), C.check_no_mutation, "expected target unchanged"),
    (broken("loses_config", factory=LosesConfig), C.check_config_roundtrip, "expected to_config() to record it"),
    (broken("coupled", _batch_coupled, reference=None), C.check_batch_independence, "declare the batch_coupled tag"),
    (broken("wrong_reference", reference=_wrong_mean_reference), C.check_reference, "against the float64 reference"),
    (broken("no_docstring", factory=NoDocstring), C.check_docstring, "expected a docstring on NoDocstring"),
    (broken("accepts_anything", factory=AcceptsAnything), C.check_defaults,
     "param 'scale': AcceptsAnything(scale="),
    (broken("defaults_disagree", factory=DefaultsDisagree), C.check_defaults, "__init__ defaults it to 2.0"),
    (broken("no_reduction", factory=NoReduction, params=None), C.check_defaults, "expected a 'reduction' parameter"),
    (broken("empty_nan", _empty_nan), C.check_empty_batch, "empty batch: expected finite values, got nan"),
    (broken("ignores_weight", _ignores_weight), C.check_weight, "with a per-sample weight"),
    (broken("wrong_grad", _wrong_backward), C.check_gradcheck, "expected analytical and numerical gradients to agree"),
    (broken("bf16_nan", _bf16_nan), C.check_dtypes, "torch.bfloat16, reduction='mean': value: expected finite"),
    (broken("wrong_functional", functional=lambda input, target, **kw: power_loss(input, target, reduction=kw["reduction"])),
     C.check_functional, "functional form with"),
    (broken("false_identity", identities=(Identity({"power": 1}, "power"),)), C.check_identities, "identity"),
    (broken("unpicklable", factory=Unpicklable), C.check_serialization, "expected the loss to pickle"),
    (broken("compile_differs", _compile_differs), C.check_compile, "torch.compile against eager"),
    # missed by the first version of the kit:
    (broken("no_formula", factory=NoFormula), C.check_docstring, "to give the formula"),
    (broken("weight_only_in_none", _weight_only_in_none), C.check_weight, "with a per-sample weight against"),
    (broken("mutates_when_scaled", _mutates_when_scaled), C.check_no_mutation, "expected target untouched"),
    (broken("float32_eps", _float32_eps, reference=None), C.check_dtypes, "float32 against float64"),
    # the checks added with the one-declaration form:
    (broken("sqrt_square", _sqrt_square), C.check_optimum, "input equal to target: gradient: expected finite values, got nan"),
    (broken("drifted_functional", functional=_drifted_functional), C.check_functional,
     "param 'scale': declared default 1.0, but _drifted_functional() defaults it to 2.0"),
    (broken("hidden_default", functional=_hidden_default), C.check_functional,
     "_hidden_default() called without parameters against the module with the declared defaults"),
    (broken("misnamed", factory=Misnamed), C.check_name, "expected Misnamed.loss_name to be 'misnamed', the spec's name"),
    (broken("writes_other_name", factory=WritesOtherName), C.check_name,
     "names 'power', which the registry builds as the spec of 'power'"),
    (broken("overrides_param", factory=OverridesParam), C.check_defaults, "records scale=1.0, not the value given"),
    (broken("wrong_example", factory=WrongExample), C.check_docstring, "Expected:\n    tensor(18.)\nGot:\n    tensor(9.)"),
    # the checks of hostile inputs (other target dtypes, NaN, autocast):
    (broken("promotes", _promotes_the_target), C.check_target_dtypes,
     "the target as float64 with a torch.float32 input: expected a torch.float32 loss (the input's dtype), got torch.float64"),
    (broken("refuses_bool", _refuses_bool_target), C.check_target_dtypes,
     "the target as bool with a torch.float32 input: expected the loss of target.to(torch.float32)"),
    (broken("nan_as_perfect", _nan_as_perfect), C.check_nan_propagation,
     "NaN in sample 0 of the input, reduction='mean': expected a non-finite loss"),
    (broken("rounds", _rounds_to_input_dtype), C.check_autocast,
     "bfloat16 inputs under autocast: expected a float32 loss (torch's losses return float32 there), got torch.bfloat16"),
    (broken("autocast_matmul", _autocast_matmul), C.check_autocast,
     "float32 inputs under autocast against the same values in float32 without it"),
]


@pytest.mark.parametrize(("spec", "check", "message"), BROKEN, ids=[b[0].name for b in BROKEN])
def test_broken_loss_is_caught(spec, check, message):
    registry = registry_with(POWER, spec)
    with pytest.raises(ConformanceError) as caught:
        check(spec.name, registry=registry)
    text = str(caught.value)
    assert text.startswith(f"{spec.name}: {check.__name__}: "), text
    assert message in text


NEWER_CHECKS = [b for b in BROKEN if b[1].level > 1]


@pytest.mark.parametrize(("spec", "check", "message"), NEWER_CHECKS, ids=[b[0].name for b in NEWER_CHECKS])
def test_a_newer_check_warns_for_a_spec_written_for_an_earlier_level(spec, check, message):
    older = dataclasses.replace(spec, conformance=check.level - 1)
    registry = registry_with(POWER, older)
    with pytest.warns(ConformanceWarning) as caught:
        check(older.name, registry=registry)
    assert message in str(caught[0].message)
    assert f"declare LossSpec(..., conformance={check.level})" in str(caught[0].message)
    (result,) = check_loss(older, checks=[check])
    assert result.status == "warned" and message in result.message


class IgnoresNothing(WeightedCrossEntropy, name="ignores_nothing"):
    __doc__ = WeightedCrossEntropy.__doc__

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        safe = torch.where(target == self.ignore_index, 0, target)  # the ignored targets are scored as class 0
        return reduce(F.cross_entropy(input, safe, reduction="none"), self.reduction, owner="ignores_nothing")


class HardcodedIgnore(WeightedCrossEntropy, name="hardcoded_ignore"):
    __doc__ = WeightedCrossEntropy.__doc__

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # the ignore_index param is dropped
        return weighted_ce_loss(input, target, class_weights=self.class_weights, reduction=self.reduction)


class DropsClassWeights(WeightedCrossEntropy, name="drops_class_weights"):
    __doc__ = WeightedCrossEntropy.__doc__

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return weighted_ce_loss(input, target, ignore_index=self.ignore_index, reduction=self.reduction)


class RawTarget(WeightedCrossEntropy, name="raw_target"):
    __doc__ = WeightedCrossEntropy.__doc__

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # torch's kernel takes int64 (or uint8) only
        return reduce(F.cross_entropy(input, target, reduction="none"), self.reduction, owner="raw_target")


class LongOnly(WeightedCrossEntropy, name="long_only"):
    __doc__ = WeightedCrossEntropy.__doc__

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if target.dtype != torch.long:  # a clear error, but the rule accepts every integer dtype
            raise LossInputError(f"long_only: target must be torch.long, got {target.dtype}.")
        return super().forward(input, target)


def _weighted_mean(name, denominator):
    class WrongMean(WeightedCrossEntropy, name=name):
        __doc__ = WeightedCrossEntropy.__doc__

        def forward(self, input: Tensor, target: Tensor) -> Tensor:
            none = weighted_ce_loss(input, target, class_weights=self.class_weights, ignore_index=self.ignore_index,
                                    reduction="none")
            if self.reduction != "mean":
                return none if self.reduction == "none" else none.sum()
            kept = target != self.ignore_index
            weights = torch.ones(input.shape[1]) if self.class_weights is None else input.new_tensor(self.class_weights)
            return none.sum() / denominator(kept, weights[torch.where(kept, target, 0)] * kept)

    return WrongMean


# (broken variant of the weighted_ce fixture, the check meant to catch it, a fragment of the expected message)
BROKEN_CE = [
    ("ignores_nothing", IgnoresNothing, C.check_ignore_index, "value after changing the ignored samples' input"),
    # the suite ignores 255, not -100: the default ignore_index=-100 refuses it
    ("hardcoded_ignore", HardcodedIgnore, C.check_ignore_index, "or ignore_index=-100, got 255"),
    ("drops_class_weights", DropsClassWeights, C.check_reference, "against the float64 reference"),
    # mean_over-style clamping: wrong as soon as the kept weights sum to less than 1
    ("clamped_weight_mean", _weighted_mean("clamped_weight_mean", lambda kept, w: w.sum().clamp_min(1)), C.check_reduction, "weights count"),
    ("count_mean", _weighted_mean("count_mean", lambda kept, w: kept.sum()), C.check_reduction, "weights count"),
    ("raw_target", RawTarget, C.check_integer_targets, "a torch.int8 target: raised RuntimeError"),
    ("long_only", LongOnly, C.check_integer_targets, "a torch.int8 target: raised LossInputError"),
]


@pytest.mark.parametrize(("name", "factory", "check", "message"), BROKEN_CE, ids=[b[0] for b in BROKEN_CE])
def test_broken_class_index_loss_is_caught(name, factory, check, message):
    spec = dataclasses.replace(WEIGHTED_CE, name=name, factory=factory, conformance=check.level)
    with pytest.raises(ConformanceError) as caught:
        check(spec.name, registry=registry_with(spec))
    assert str(caught.value).startswith(f"{name}: {check.__name__}: ")
    assert message in str(caught.value)


def test_nan_equals_nothing():
    nan = torch.tensor([1.0, float("nan")])
    with pytest.raises(ConformanceError, match="got nan"):
        assert_close(nan, nan.clone(), rtol=0, atol=0, what="nan")


def test_discovery_from_the_wrong_distribution_is_caught():
    from losskit import hookimpl
    from losskit.registry import Registry

    spec = dataclasses.replace(POWER, factory=ShippedElsewhere)

    class Plugin:
        @hookimpl
        def losskit_register_losses(self, register):
            register(spec)

    registry = Registry(discover=False, builtins=False)
    registry.register_plugin(Plugin(), "elsewhere", distribution="losskit-elsewhere", version="1.0")
    with pytest.raises(ConformanceError, match="is shipped by torch, but the plugin 'elsewhere'"):
        C.check_discovery("power", registry=registry)


def test_an_exception_inside_the_loss_becomes_a_conformance_error():
    def raises(self, input, target, *, weight=None):
        raise RuntimeError("boom")

    spec = broken("raises", raises)
    with pytest.raises(ConformanceError, match="raises: check_output_shape: raised RuntimeError: boom"):
        C.check_output_shape(spec.name, registry=registry_with(spec))


def test_check_loss_reports_each_broken_loss_as_failed_only_where_expected():
    spec = broken("sum_as_mean", _sum_as_mean)
    results = {r.check: r for r in check_loss(spec.name, registry=registry_with(spec))}
    assert results["check_reduction"].status == "failed"
    assert "sum_as_mean: check_reduction:" in results["check_reduction"].message
    assert results["check_docstring"].status == "passed"
    assert results["check_cuda"].status in {"skipped", "passed"}
