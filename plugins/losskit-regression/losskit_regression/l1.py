"""Mean absolute error (the L1 loss; Laplace 1774, Boscovich 1757)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from ._examples import paired_values
from .reference import l1_reference


def l1_loss(input: Tensor, target: Tensor, *, weight: Tensor | None = None, reduction: Reduction = "mean") -> Tensor:
    """Functional form of :class:`L1Loss`."""
    check_same_shape("l1", input, target)
    check_floating("l1", "input", input)
    return reduce(F.l1_loss(input, target, reduction="none"), reduction, weight=weight, owner="l1")


class L1Loss(Loss):
    r"""Absolute difference between prediction and target.

    .. math::
        \ell_n = |x_n - y_n|

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = L1Loss()
        >>> loss(torch.zeros(2), torch.tensor([1.0, -3.0]))
        tensor(2.)

    Reference: Laplace, Mémoire sur la probabilité des causes par les événements, 1774
    (least absolute deviations). Matches ``torch.nn.L1Loss``.
    """

    loss_name = "l1"
    params = (reduction_param(),)

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return l1_loss(input, target, weight=weight, reduction=self.reduction)


SPEC = LossSpec(
    name="l1",
    aliases=("mae", "mean_absolute_error"),
    factory=L1Loss,
    summary="absolute error |x - y|",
    family="regression",
    source="Laplace 1774 (least absolute deviations); torch.nn.L1Loss",
    contract=InputContract(input="values", target="same_shape"),
    example=paired_values,
    reference=l1_reference,
    functional=l1_loss,
    tags=frozenset({"weight", "compile"}),
)
