"""Mean absolute error (the L1 loss; Laplace 1774, Boscovich 1757)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .reference import l1_reference


class L1Loss(Loss, name="l1"):
    r"""Absolute error ``|x - y|`` between prediction and target.

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

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("l1", input, target)
        if torch_reduces(input, reduction, weight):  # torch's fused kernel reduces: the same value
            return F.l1_loss(input, target, reduction=reduction)
        loss = F.l1_loss(working(input), target, reduction="none")
        return reduce(output(loss, input), reduction, weight=weight, owner="l1")


l1_loss = L1Loss.functional

SPEC = LossSpec.of(
    L1Loss, family="regression", source="Laplace 1774 (least absolute deviations); torch.nn.L1Loss",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=l1_reference,
    aliases=("mae", "mean_absolute_error"), tags={"weight", "compile"},
)
