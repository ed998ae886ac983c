"""Fixture losses and in-process plugins for the registry tests."""

from __future__ import annotations

import types

import torch
from torch import Tensor

from losskit import Example, InputContract, Loss, LossSpec, Param, hookimpl, reduction_param
from losskit.reduction import reduce


class ScaledAbsLoss(Loss):
    r"""Scaled absolute error, a fixture.

    .. math:: \ell_n = s |x_n - y_n|

    Reference: none (test fixture).
    """

    loss_name = "scaled_abs"
    params = (Param("scale", 1.0, "multiplier", gt=0), reduction_param())

    def __init__(self, *, scale: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(scale=scale, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return reduce(self.scale * (input - target).abs(), self.reduction, weight=weight, owner="scaled_abs")


def make_example(generator, *, dtype, device, batch_size):
    x = torch.randn(batch_size, 2, generator=generator, dtype=torch.float64)
    y = torch.randn(batch_size, 2, generator=generator, dtype=torch.float64)
    return Example(x.to(device, dtype), y.to(device, dtype))


def spec(name: str = "scaled_abs", **overrides) -> LossSpec:
    fields = dict(
        name=name,
        factory=ScaledAbsLoss,
        summary="scaled absolute error",
        family="fixture",
        source="test fixture",
        contract=InputContract(input="values", target="same_shape"),
        example=make_example,
    )
    fields.update(overrides)
    return LossSpec(**fields)


def plugin_module(*specs: LossSpec, name: str = "fixture_plugin") -> types.ModuleType:
    """A module object carrying a hookimpl, as an entry point would load it."""
    module = types.ModuleType(name)

    @hookimpl
    def losskit_register_losses(register):
        for s in specs:
            register(s)

    module.losskit_register_losses = losskit_register_losses
    return module
