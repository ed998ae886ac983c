"""Smooth L1 loss (Girshick, Fast R-CNN, ICCV 2015)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .reference import smooth_l1_reference


class SmoothL1Loss(Loss, name="smooth_l1"):
    r"""Smooth L1: the absolute error, smoothed into the parabola ``r^2 / (2 beta)`` below ``|r| = beta``.

    .. math::
        \ell_n = \begin{cases}
            \tfrac{1}{2\beta} (x_n - y_n)^2 & |x_n - y_n| < \beta \\
            |x_n - y_n| - \tfrac12 \beta & \text{otherwise}
        \end{cases}

    ``beta = 0`` gives the L1 loss, as in torch. Smooth L1 is Huber divided by
    ``beta`` (with ``delta = beta``).

    Args:
        beta: the residual at which the loss turns linear, ``>= 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = SmoothL1Loss(beta=1.0)
        >>> loss(torch.zeros(2), torch.tensor([0.5, 3.0]))
        tensor(1.3125)

    Reference: Girshick, Fast R-CNN, ICCV 2015 (eq. 3). Matches ``torch.nn.SmoothL1Loss``.
    """

    beta: float = param(
        1.0, "residual at which the loss turns from quadratic to linear; 0 gives L1", ge=0, finite=True
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, beta: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        target = check_value_target("smooth_l1", input, target)
        if torch_reduces(input, reduction, weight):  # torch's fused kernel reduces: the same value
            return F.smooth_l1_loss(input, target, reduction=reduction, beta=beta)
        # torch's fused elementwise kernel (beta=0 is L1 there too); losskit adds the checks and reduction semantics.
        loss = F.smooth_l1_loss(working(input), target, reduction="none", beta=beta)
        return reduce(output(loss, input), reduction, weight=weight, owner="smooth_l1")


smooth_l1_loss = SmoothL1Loss.functional

SPEC = LossSpec.of(
    SmoothL1Loss, family="regression", source="Girshick, Fast R-CNN, ICCV 2015; torch.nn.SmoothL1Loss",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=smooth_l1_reference, tags={"weight", "compile"},
    identities=(Identity({"beta": 0.0}, "l1", note="smooth L1 with beta=0 is L1"),),
)
