"""Tiny fixture losses and specs, independent of every plugin."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from losskit import Example, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import reduce

# x - y = (-1, 0, -2): squared errors (1, 0, 4), absolute errors (1, 0, 2).
X = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
Y = torch.tensor([1.0, 1.0, 4.0], dtype=torch.float64)
SQ_MEAN = 5.0 / 3.0
ABS_MEAN = 1.0


class SquareLoss(Loss):
    """``scale * (x - y)^2``; accepts an optional ``weight``."""

    loss_name = "square"
    params = (Param("scale", 1.0, "multiplier", ge=0.0), reduction_param())
    calls = 0

    def __init__(self, *, scale: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(scale=scale, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        SquareLoss.calls += 1
        return reduce(self.scale * (input - target).square(), self.reduction, weight=weight, owner="square")


class AbsLoss(Loss):
    """``|x - y|``; takes no context."""

    loss_name = "absolute"
    params = (reduction_param(),)

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return reduce((input - target).abs(), self.reduction, owner="absolute")


class GroupGapLoss(Loss):
    """Mean of ``x`` in group 1 minus mean in group 0: requires ``groups``."""

    loss_name = "group_gap"
    params = (Param("kind", "abs", "gap measure", type=str, choices=("abs", "square")),)

    def __init__(self, *, kind: str = "abs") -> None:
        super().__init__(kind=kind)

    def forward(self, input: Tensor, target: Tensor, *, groups: Tensor) -> Tensor:
        gap = input[groups == 1].mean() - input[groups == 0].mean()
        return gap.abs() if self.kind == "abs" else gap.square()


class TemperedLoss(Loss):
    """``exp(t) * mean((x - y)^2)`` with a learnable ``t`` (starts at 0)."""

    loss_name = "tempered"
    params = ()

    def __init__(self) -> None:
        super().__init__()
        self.t = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self.t.exp() * (input - target).square().mean()


class SquaredNormPenalty(Loss):
    """``sum of squared parameters of model``; ignores input and target, like an L2 penalty."""

    loss_name = "squared_norm"
    params = ()

    def __init__(self) -> None:
        super().__init__()

    def forward(self, input: object, target: object, *, model: nn.Module) -> Tensor:
        return sum(p.square().sum() for p in model.parameters())


def paired(generator, *, dtype, device, batch_size):
    x = torch.randn(batch_size, 3, generator=generator, dtype=torch.float64)
    y = torch.randn(batch_size, 3, generator=generator, dtype=torch.float64)
    return Example(x.to(device, dtype), y.to(device, dtype))


def grouped(generator, *, dtype, device, batch_size):
    example = paired(generator, dtype=dtype, device=device, batch_size=batch_size)
    groups = torch.arange(batch_size, device=device) % 2
    return Example(example.input, example.target, {"groups": groups})


def with_model(generator, *, dtype, device, batch_size):
    example = paired(generator, dtype=dtype, device=device, batch_size=batch_size)
    model = nn.Linear(3, 1).to(device, dtype)
    return Example(example.input, example.target, {"model": model})


def _spec(name, factory, example=paired, **extra):
    return LossSpec(
        name=name,
        factory=factory,
        summary=f"{name} (test fixture)",
        family="fixture",
        source="test fixture",
        contract=InputContract(input="values", target="same_shape"),
        example=example,
        **extra,
    )


SPECS = (
    _spec("square", SquareLoss, aliases=("sq",)),
    _spec("absolute", AbsLoss),
    _spec("group_gap", GroupGapLoss, grouped),
    _spec("tempered", TemperedLoss),
    _spec("squared_norm", SquaredNormPenalty, with_model, tags=frozenset({"penalty"})),
)
