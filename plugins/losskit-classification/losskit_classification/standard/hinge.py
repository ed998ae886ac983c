"""Binary hinge and squared hinge on ±1 targets: the SVM losses (Cortes and Vapnik 1995)."""

from __future__ import annotations

from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from .._examples import sign_targets
from ._classes import check_signs
from .reference import hinge_reference, squared_hinge_reference

MARGIN = Param("margin", 1.0, "the score y * x below which a sample is penalised", ge=0.0)


def _hinge(owner: str, input: Tensor, target: Tensor, margin: float) -> Tensor:
    check_same_shape(owner, input, target)
    check_floating(owner, "input", input)
    check_signs(owner, target)
    return (margin - target * input).clamp_min(0)


def hinge_loss(
    input: Tensor, target: Tensor, *, margin: float = 1.0, weight: Tensor | None = None, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`HingeLoss`."""
    return reduce(_hinge("hinge", input, target, margin), reduction, weight=weight, owner="hinge")


def squared_hinge_loss(
    input: Tensor, target: Tensor, *, margin: float = 1.0, weight: Tensor | None = None, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`SquaredHingeLoss`."""
    loss = _hinge("squared_hinge", input, target, margin).square()
    return reduce(loss, reduction, weight=weight, owner="squared_hinge")


class HingeLoss(Loss):
    r"""Binary SVM hinge loss of a score against a ±1 label.

    .. math::
        \ell_n = \max(0,\ \text{margin} - y_n x_n)

    Not ``torch.nn.HingeEmbeddingLoss``, which scores distances (``hinge_embedding`` in losskit-metric).

    Args:
        margin: ``>= 0`` (1 for the classical SVM).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape, target in ``{-1, +1}``; output ``(N, *)`` with
        ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = HingeLoss()
        >>> loss(torch.tensor([0.5, -2.0]), torch.tensor([1.0, -1.0]))
        tensor(0.2500)

    Reference: Cortes and Vapnik, Support-vector networks, Machine Learning 1995.
    """

    loss_name = "hinge"
    params = (MARGIN, reduction_param())

    def __init__(self, *, margin: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(margin=margin, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return hinge_loss(input, target, margin=self.margin, weight=weight, reduction=self.reduction)


class SquaredHingeLoss(Loss):
    r"""Squared binary hinge loss (the L2-SVM loss): differentiable at the margin.

    .. math::
        \ell_n = \max(0,\ \text{margin} - y_n x_n)^2

    Args:
        margin: ``>= 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        as :class:`HingeLoss`.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = SquaredHingeLoss()
        >>> loss(torch.tensor([0.5, -2.0]), torch.tensor([1.0, -1.0]))
        tensor(0.1250)

    Reference: Cortes and Vapnik, Support-vector networks, Machine Learning 1995 (the quadratic slack form).
    """

    loss_name = "squared_hinge"
    params = (MARGIN, reduction_param())

    def __init__(self, *, margin: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(margin=margin, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return squared_hinge_loss(input, target, margin=self.margin, weight=weight, reduction=self.reduction)


HINGE_SPEC = LossSpec(
    name="hinge",
    aliases=("svm_hinge",),
    factory=HingeLoss,
    summary="binary SVM hinge max(0, margin - y x) on ±1 targets",
    family="classification",
    source="Cortes and Vapnik 1995, Support-vector networks",
    contract=InputContract(input="logits", target="signs"),
    example=sign_targets,
    reference=hinge_reference,
    functional=hinge_loss,
    tags=frozenset({"weight", "no_gradcheck"}),
)

SQUARED_HINGE_SPEC = LossSpec(
    name="squared_hinge",
    aliases=("l2_svm",),
    factory=SquaredHingeLoss,
    summary="squared binary hinge max(0, margin - y x)^2 on ±1 targets",
    family="classification",
    source="Cortes and Vapnik 1995, Support-vector networks",
    contract=InputContract(input="logits", target="signs"),
    example=sign_targets,
    reference=squared_hinge_reference,
    functional=squared_hinge_loss,
    tags=frozenset({"weight"}),
)
