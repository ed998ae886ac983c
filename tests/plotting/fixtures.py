"""Fixture losses for the plotting tests, one per kind of curve, in an isolated registry."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, Registry, param, reduction_param
from losskit.contract import BINARY_LOGITS, CLASS_LOGITS, EMBEDDINGS_AND_LABELS, SAME_SHAPE_VALUES, InputContract
from losskit.examples import paired_values
from losskit.reduction import Reduction, reduce


class ScaledSquareLoss(Loss, name="scaled_square"):
    r"""Scaled squared error, a fixture.

    .. math:: \ell = s (x - y)^2

    Reference: none (test fixture).
    """

    scale: float = param(1.0, "multiplier", gt=0)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, scale: float, reduction: Reduction) -> Tensor:
        return reduce(scale * (input - target).square(), reduction, owner="scaled_square")


class TinyCrossEntropyLoss(Loss, name="tiny_ce"):
    r"""Cross-entropy with optional per-class weights, a fixture.

    .. math:: \ell = -w_y \log p_y

    Reference: none (test fixture).
    """

    class_weights: tuple[float, ...] | None = param(None, "per-class weights", gt=0)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, class_weights, reduction: Reduction) -> Tensor:
        weight = None if class_weights is None else input.new_tensor(class_weights)
        return reduce(F.cross_entropy(input, target, weight=weight, reduction="none"), reduction, owner="tiny_ce")


class TinyBinaryLoss(Loss, name="tiny_bce"):
    r"""Binary cross-entropy on logits, a fixture.

    .. math:: \ell = -y \log \sigma(x) - (1 - y) \log (1 - \sigma(x))

    Reference: none (test fixture).
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction) -> Tensor:
        return reduce(F.binary_cross_entropy_with_logits(input, target, reduction="none"), reduction, owner="tiny_bce")


class TinyEmbeddingLoss(Loss, name="tiny_embedding"):
    r"""Squared norm of the embeddings, a fixture.

    .. math:: \ell = \|x\|^2

    Reference: none (test fixture).
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction) -> Tensor:
        return reduce(input.square().sum(1), reduction, owner="tiny_embedding")


class NeedsContextLoss(Loss, name="needs_var"):
    r"""Squared error over a variance given as context, a fixture.

    .. math:: \ell = (x - y)^2 / v

    Reference: none (test fixture).
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, var: Tensor) -> Tensor:
        return reduce((input - target).square() / var, reduction, owner="needs_var")


class SignValuesLoss(Loss, name="sign_values"):
    r"""Values against ±1 labels, a fixture with a contract the plot does not draw.

    .. math:: \ell = \max(0, 1 - y x)

    Reference: none (test fixture).
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction) -> Tensor:
        return reduce((1 - target * input).clamp_min(0), reduction, owner="sign_values")


def _spec(cls: type[Loss], contract: InputContract) -> LossSpec:
    return LossSpec.of(cls, family="fixture", source="test fixture", contract=contract, example=paired_values())


SPECS = (
    _spec(ScaledSquareLoss, SAME_SHAPE_VALUES),
    _spec(TinyCrossEntropyLoss, CLASS_LOGITS),
    _spec(TinyBinaryLoss, BINARY_LOGITS),
    _spec(TinyEmbeddingLoss, EMBEDDINGS_AND_LABELS),
    _spec(NeedsContextLoss, SAME_SHAPE_VALUES),
    _spec(SignValuesLoss, InputContract("values", "signs")),
)


def fixture_registry() -> Registry:
    """The core's own terms (penalties, fairness) and the fixtures above; no entry points."""
    registry = Registry(discover=False, strict=False)
    registry.register(*SPECS, plugin="fixtures")
    return registry
