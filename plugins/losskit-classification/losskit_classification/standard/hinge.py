"""Binary hinge and squared hinge on ±1 targets: the SVM losses (Cortes and Vapnik 1995)."""

from __future__ import annotations

from torch import Tensor

from losskit import Loss, LossSpec, Param, reduction_param
from losskit.contract import SIGN_LOGITS
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import sign_targets
from ._classes import check_signs
from .reference import hinge_reference, squared_hinge_reference

MARGIN = Param("margin", 1.0, "the score y * x below which a sample is penalised", ge=0.0, finite=True)


def _hinge(owner: str, input: Tensor, target: Tensor, margin: float) -> Tensor:
    target = check_value_target(owner, input, target)
    check_signs(owner, target)
    return (margin - target * working(input)).clamp_min(0)


class HingeLoss(Loss, name="hinge"):
    r"""Binary SVM hinge loss :math:`\max(0, \text{margin} - y x)` of a score against a ±1 label.

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

    margin: float = MARGIN
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, margin: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        return reduce(output(_hinge("hinge", input, target, margin), input), reduction, weight=weight, owner="hinge")


class SquaredHingeLoss(Loss, name="squared_hinge"):
    r"""Squared binary hinge loss :math:`\max(0, \text{margin} - y x)^2` (the L2-SVM loss) on ±1 labels:
    differentiable at the margin.

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

    margin: float = MARGIN
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, margin: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        loss = _hinge("squared_hinge", input, target, margin).square()
        return reduce(output(loss, input), reduction, weight=weight, owner="squared_hinge")


hinge_loss = HingeLoss.functional
squared_hinge_loss = SquaredHingeLoss.functional

HINGE_SPEC = LossSpec.of(
    HingeLoss,
    family="classification",
    source="Cortes and Vapnik 1995, Support-vector networks",
    contract=SIGN_LOGITS,
    example=sign_targets,
    reference=hinge_reference,
    aliases=("svm_hinge",),
    tags={"weight", "no_gradcheck", "compile"},
)

SQUARED_HINGE_SPEC = LossSpec.of(
    SquaredHingeLoss,
    family="classification",
    source="Cortes and Vapnik 1995, Support-vector networks",
    contract=SIGN_LOGITS,
    example=sign_targets,
    reference=squared_hinge_reference,
    aliases=("l2_svm",),
    tags={"weight", "compile"},
)
