"""Mean squared error (the L2 loss; Gauss 1809, Legendre 1805)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .reference import mse_reference


class MSELoss(Loss, name="mse"):
    r"""Squared error ``(x - y)^2`` between prediction and target.

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

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("mse", input, target)
        if torch_reduces(input, reduction, weight):  # torch's fused kernel reduces: the same value
            return F.mse_loss(input, target, reduction=reduction)
        loss = F.mse_loss(working(input), target, reduction="none")
        return reduce(output(loss, input), reduction, weight=weight, owner="mse")


mse_loss = MSELoss.functional

SPEC = LossSpec.of(
    MSELoss, family="regression", source="Legendre 1805 (least squares); torch.nn.MSELoss",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=mse_reference,
    aliases=("l2", "mean_squared_error"), tags={"weight", "compile"},
)
