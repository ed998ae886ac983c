"""Fixture losses for testing the conformance kit: correct ones, and one broken per check.

Each broken loss is the correct one with a single defect, so that the check
meant for that defect is the one that must catch it.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from losskit import Example, Identity, InputContract, Loss, LossSpec, Param, Registry, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_class_indices, check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, mean_over, reduce
from losskit.spec import CONFORMANCE_LEVEL
from losskit.testing.reference import f64, reduce_reference

# -- a correct regression loss: scale * |x - y|^power ----------------------------------------------


def paired(generator: torch.Generator, *, dtype: torch.dtype, device: str, batch_size: int) -> Example:
    shape = (batch_size, 3)
    x = torch.randn(shape, generator=generator, dtype=torch.float64)
    y = torch.randn(shape, generator=generator, dtype=torch.float64)
    return Example(x.to(device, dtype), y.to(device, dtype))


def power_loss(
    input: Tensor, target: Tensor, *, scale: float = 1.0, power: int = 2, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    target = check_value_target("power", input, target)  # any real dtype, in the working precision
    elementwise = scale * (working(input) - target).abs().pow(power)
    return reduce(output(elementwise, input), reduction, weight=weight, owner="power")


class PowerLoss(Loss):
    r"""Scaled power of the absolute error.

    .. math::
        \ell_n = s\,|x_n - y_n|^p

    Examples:
        >>> loss = PowerLoss(scale=2.0)
        >>> loss(torch.tensor([0.0, 3.0]), torch.zeros(2))
        tensor(9.)

    Reference: Legendre, 1805 (p = 2).
    """

    loss_name = "power"
    params = (
        Param("scale", 1.0, "factor s", gt=0.0),
        Param("power", 2, "exponent p", type=int, ge=1, le=3),
        reduction_param(),
    )

    def __init__(self, *, scale: float = 1.0, power: int = 2, reduction: str = "mean") -> None:
        super().__init__(scale=scale, power=power, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return power_loss(input, target, scale=self.scale, power=self.power, weight=weight, reduction=self.reduction)


def power_reference(example: Example, *, scale: float, power: int, reduction: str) -> Tensor:
    x, y = example.input.double(), example.target.double()
    elementwise = scale * (x - y).abs() ** power
    if reduction == "none":
        return elementwise
    return elementwise.sum() if reduction == "sum" else elementwise.sum() / max(elementwise.numel(), 1)


POWER = LossSpec(
    name="power",
    factory=PowerLoss,
    summary="s |x - y|^p",
    family="fixture",
    source="Legendre 1805",
    contract=InputContract(input="values", target="same_shape"),
    example=paired,
    reference=power_reference,
    functional=power_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(Identity({"scale": 1.0}, "power", {"power": 2}, note="the defaults"),)
)


# -- a correct classification loss with ignore_index ------------------------------------------------


def labelled(generator: torch.Generator, *, dtype: torch.dtype, device: str, batch_size: int) -> Example:
    logits = 2 * torch.randn((batch_size, 4), generator=generator, dtype=torch.float64)
    target = torch.randint(0, 4, (batch_size,), generator=generator)
    return Example(logits.to(device, dtype), target.to(device))


class MaskedCrossEntropy(Loss):
    r"""Cross-entropy that skips targets equal to ``ignore_index``.

    .. math::
        \ell_n = -\log \mathrm{softmax}(x_n)_{y_n}

    Reference: Cox, 1958.
    """

    loss_name = "masked_ce"
    params = (Param("ignore_index", -100, "target value to skip", type=int), reduction_param())

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        target = check_class_indices("masked_ce", target, input.shape[1], ignore_index=self.ignore_index)
        keep = target != self.ignore_index
        safe = torch.where(keep, target, torch.zeros_like(target))
        nll = -torch.log_softmax(working(input), dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
        nll = output(torch.where(keep, nll, torch.zeros_like(nll)), input)
        if self.reduction == "none":
            return nll
        return nll.sum() if self.reduction == "sum" else mean_over(nll.sum(), keep.sum())


def masked_ce_reference(example: Example, *, ignore_index: int, reduction: str) -> Tensor:
    x, y = example.input.double(), example.target
    rows = [(-torch.log_softmax(x[n], 0)[y[n]] if y[n] != ignore_index else x.new_zeros(())) for n in range(len(y))]
    elementwise = torch.stack(rows) if rows else x.new_zeros((0,))
    if reduction == "none":
        return elementwise
    count = int((y != ignore_index).sum())
    return elementwise.sum() if reduction == "sum" else elementwise.sum() / max(count, 1)


MASKED_CE = LossSpec(
    name="masked_ce",
    factory=MaskedCrossEntropy,
    summary="cross-entropy with ignore_index",
    family="fixture",
    source="Cox 1958",
    contract=InputContract(input="logits", target="class_indices"),
    example=labelled,
    reference=masked_ce_reference,
    tags=frozenset({"ignore_index"}),
    mean_denominator="non_ignored",
)


# -- a correct class-weighted cross-entropy: 'mean' divides by the kept targets' class weights, like torch ----


def weighted_ce_loss(
    input: Tensor, target: Tensor, *, class_weights: tuple[float, ...] | None = None, ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    target = check_class_indices("weighted_ce", target, input.shape[1], ignore_index=ignore_index)
    weights = None if class_weights is None else input.new_tensor(class_weights)
    nll = output(F.cross_entropy(input, target, weight=weights, ignore_index=ignore_index, reduction="none"), input)
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    kept = target != ignore_index
    per_target = kept.to(input.dtype) if weights is None else torch.where(kept, weights[torch.where(kept, target, 0)], 0)
    total = per_target.sum()
    return nll.sum() / torch.where(total > 0, total, 1)


class WeightedCrossEntropy(Loss):
    r"""Cross-entropy with class weights and ignore_index; 'mean' divides by the kept targets' weights.

    .. math::
        \ell_n = -w_{y_n} \log \mathrm{softmax}(x_n)_{y_n}

    Reference: Cox, 1958.
    """

    loss_name = "weighted_ce"
    params = (
        Param("class_weights", None, "one weight per class", type=tuple, ge=0.0, nullable=True),
        Param("ignore_index", -100, "target value to skip", type=int),
        reduction_param(),
    )

    def __init__(
        self, *, class_weights: tuple[float, ...] | None = None, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(class_weights=class_weights, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return weighted_ce_loss(
            input, target, class_weights=self.class_weights, ignore_index=self.ignore_index, reduction=self.reduction
        )


def weighted_ce_reference(
    example: Example, *, class_weights: tuple[float, ...] | None, ignore_index: int, reduction: str
) -> Tensor:
    x, y = example.input.double(), example.target.tolist()
    w = [1.0] * x.shape[1] if class_weights is None else list(class_weights)
    kept = [n for n in range(len(y)) if y[n] != ignore_index]
    elementwise = x.new_zeros(len(y))
    for n in kept:
        elementwise[n] = -w[y[n]] * torch.log_softmax(x[n], 0)[y[n]]
    if reduction == "none":
        return elementwise
    denominator = sum(w[y[n]] for n in kept)
    return elementwise.sum() if reduction == "sum" else elementwise.sum() / (denominator or 1.0)


WEIGHTED_CE = LossSpec(
    name="weighted_ce",
    factory=WeightedCrossEntropy,
    summary="class-weighted cross-entropy with ignore_index",
    family="fixture",
    source="Cox 1958",
    contract=InputContract(input="logits", target="class_indices"),
    example=labelled,
    reference=weighted_ce_reference,
    functional=weighted_ce_loss,
    tags=frozenset({"ignore_index", "compile"}),
    mean_denominator="weights",
)


# -- a correct penalty: sum of squared parameters ---------------------------------------------------


def with_model(generator: torch.Generator, *, dtype: torch.dtype, device: str, batch_size: int) -> Example:
    model = nn.Linear(3, 2)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    example = paired(generator, dtype=dtype, device=device, batch_size=batch_size)
    return Example(example.input, example.target, {"model": model.to(device, dtype)})


class SquaredNorm(Loss):
    r"""Sum of the squared parameters of ``model`` (weight decay).

    .. math::
        R(\theta) = \sum_i \theta_i^2

    Reference: Tikhonov, 1943.
    """

    loss_name = "squared_norm"
    params = (reduction_param(),)

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, model: nn.Module) -> Tensor:
        terms = torch.stack([p.square().sum() for p in model.parameters()])
        return reduce(terms, self.reduction, owner="squared_norm")


SQUARED_NORM = LossSpec(
    name="squared_norm",
    factory=SquaredNorm,
    summary="sum of squared parameters",
    family="fixture",
    source="Tikhonov 1943",
    contract=InputContract(input="any", target="any"),
    example=with_model,
    tags=frozenset({"penalty", "compile"}),
    mean_denominator="custom",
)

# -- a correct loss in the one-declaration form, with a required parameter ---------------------------


class ScaledAbsLoss(Loss, name="scaled_abs"):
    r"""Absolute error times a scale that has no default.

    .. math::
        \ell_n = s\,|x_n - y_n|

    Examples:
        >>> ScaledAbsLoss(scale=2.0)(torch.tensor([1.0, -3.0]), torch.zeros(2))
        tensor(4.)

    Reference: Laplace, 1774.
    """

    scale: float = param(None, "required: factor s", gt=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, scale: float, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("scaled_abs", input, target)
        return reduce(output(scale * (working(input) - target).abs(), input), reduction, weight=weight, owner="scaled_abs")


def scaled_abs_reference(example: Example, *, scale: float, reduction: str) -> Tensor:
    return reduce_reference(scale * (f64(example.input) - f64(example.target)).abs(), reduction)


SCALED_ABS = LossSpec.of(
    ScaledAbsLoss, family="fixture", source="Laplace 1774", contract=SAME_SHAPE_VALUES, example=paired_values(),
    reference=scaled_abs_reference, tags={"weight"}, example_params={"scale": 2.0},
)

CORRECT = (POWER, MASKED_CE, WEIGHTED_CE, SQUARED_NORM, SCALED_ABS)


def registry_with(*specs: LossSpec) -> Registry:
    registry = Registry(discover=False, builtins=False)
    registry.register(*specs, plugin="fixtures")
    return registry


def broken(name: str, forward=None, **changes) -> LossSpec:
    """The ``power`` spec under another name, at the kit's current level; ``forward`` replaces PowerLoss.forward."""
    changes.setdefault("conformance", CONFORMANCE_LEVEL)
    factory = changes.pop("factory", PowerLoss)
    if forward is not None:
        factory = type(f"Broken_{name}", (PowerLoss,), {"forward": forward, "__doc__": PowerLoss.__doc__, "loss_name": name})
    return dataclasses.replace(POWER, name=name, factory=factory, **changes)
