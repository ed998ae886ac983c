"""Each broken fixture loss is caught by the check meant for its defect, with a message naming it."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import Tensor

from losskit import Identity, Param
from losskit.reduction import reduce
from losskit.testing import ConformanceError, check_loss
from losskit.testing import checks as C
from tests.conformance.conformance_fixtures import POWER, PowerLoss, broken, power_loss, power_reference, registry_with


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


class LosesConfig(PowerLoss):
    __doc__ = PowerLoss.__doc__

    def to_config(self):
        config = super().to_config()
        del config["scale"]
        return config


class AcceptsAnything(PowerLoss):
    __doc__ = PowerLoss.__doc__

    def __init__(self, *, scale: float = 1.0, power: int = 2, reduction: str = "mean") -> None:
        super().__init__(power=power, reduction=reduction)
        self.scale = scale  # never validated


class NoDocstring(PowerLoss):
    pass


class DefaultsDisagree(PowerLoss):
    __doc__ = PowerLoss.__doc__

    def __init__(self, *, scale: float = 2.0, power: int = 2, reduction: str = "mean") -> None:
        super().__init__(scale=scale, power=power, reduction=reduction)


class NoReduction(PowerLoss):
    __doc__ = PowerLoss.__doc__
    params = (Param("scale", 1.0, "factor", gt=0.0), Param("power", 2, "exponent", type=int, ge=1, le=3))

    def __init__(self, *, scale: float = 1.0, power: int = 2) -> None:
        super().__init__(scale=scale, power=power)

    def forward(self, input, target, *, weight=None):
        return power_loss(input, target, scale=self.scale, power=self.power)


class Unpicklable(PowerLoss):
    __doc__ = PowerLoss.__doc__

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hook = lambda x: x


class ShippedElsewhere(PowerLoss):
    __doc__ = PowerLoss.__doc__


ShippedElsewhere.__module__ = "torch.nn.modules.loss"  # as if another distribution (torch) shipped it


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
    (broken("accepts_anything", factory=AcceptsAnything), C.check_invalid_params, "was accepted silently"),
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
]


@pytest.mark.parametrize(("spec", "check", "message"), BROKEN, ids=[b[0].name for b in BROKEN])
def test_broken_loss_is_caught(spec, check, message):
    registry = registry_with(POWER, spec)
    with pytest.raises(ConformanceError) as caught:
        check(spec.name, registry=registry)
    text = str(caught.value)
    assert text.startswith(f"{spec.name}: {check.__name__}: "), text
    assert message in text


def test_broken_ignore_index_is_caught():
    from tests.conformance.conformance_fixtures import MASKED_CE, MaskedCrossEntropy

    class IgnoresNothing(MaskedCrossEntropy):
        __doc__ = MaskedCrossEntropy.__doc__

        def forward(self, input: Tensor, target: Tensor) -> Tensor:
            safe = target.clamp_min(0)  # the ignored targets are scored as class 0
            nll = -torch.log_softmax(input, dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
            return reduce(nll, self.reduction, owner="ignores_nothing")

    spec = dataclasses.replace(MASKED_CE, name="ignores_nothing", factory=IgnoresNothing)
    with pytest.raises(ConformanceError, match="value after changing the ignored samples' input"):
        C.check_ignore_index(spec.name, registry=registry_with(spec))


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
