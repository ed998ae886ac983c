"""Mean squared error (the L2 loss; Gauss 1809, Legendre 1805)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from ._examples import paired_values
from .reference import mse_reference


def mse_loss(input: Tensor, target: Tensor, *, weight: Tensor | None = None, reduction: Reduction = "mean") -> Tensor:
    """Functional form of :class:`MSELoss`."""
    check_same_shape("mse", input, target)
    check_floating("mse", "input", input)
    return reduce(F.mse_loss(input, target, reduction="none"), reduction, weight=weight, owner="mse")


class MSELoss(Loss):
    r"""Squared difference between prediction and target.

    .. math::
        \ell_n = (x_n - y_n)^2

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = MSELoss()
        >>> loss(torch.zeros(2), torch.ones(2))
        tensor(1.)

    Reference: Legendre, Nouvelles méthodes pour la détermination des orbites des comètes, 1805.
    Matches ``torch.nn.MSELoss``.
    """

    loss_name = "mse"
    params = (reduction_param(),)

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return mse_loss(input, target, weight=weight, reduction=self.reduction)


SPEC = LossSpec(
    name="mse",
    aliases=("l2", "mean_squared_error"),
    factory=MSELoss,
    summary="squared error (x - y)^2",
    family="regression",
    source="Legendre 1805 (least squares); torch.nn.MSELoss",
    contract=InputContract(input="values", target="same_shape"),
    example=paired_values,
    reference=mse_reference,
    functional=mse_loss,
    tags=frozenset({"weight", "compile"}),
)
