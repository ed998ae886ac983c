"""Smooth L1 loss (Girshick, Fast R-CNN, ICCV 2015)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from ._examples import paired_values
from ._params import finite
from .reference import smooth_l1_reference


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    *,
    beta: float = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`SmoothL1Loss`."""
    check_same_shape("smooth_l1", input, target)
    check_floating("smooth_l1", "input", input)
    # torch's fused elementwise kernel (beta=0 is L1 there too); losskit adds the checks and reduction semantics.
    loss = F.smooth_l1_loss(input, target, reduction="none", beta=beta)
    return reduce(loss, reduction, weight=weight, owner="smooth_l1")


class SmoothL1Loss(Loss):
    r"""Absolute error, smoothed into a parabola for residuals below ``beta``.

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

    loss_name = "smooth_l1"
    params = (
        Param("beta", 1.0, "residual at which the loss turns from quadratic to linear; 0 gives L1", ge=0, check=finite),
        reduction_param(),
    )

    def __init__(self, *, beta: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(beta=beta, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return smooth_l1_loss(input, target, beta=self.beta, weight=weight, reduction=self.reduction)


SPEC = LossSpec(
    name="smooth_l1",
    factory=SmoothL1Loss,
    summary="smooth L1: r^2 / (2 beta) for |r| < beta, |r| - beta / 2 beyond",
    family="regression",
    source="Girshick, Fast R-CNN, ICCV 2015; torch.nn.SmoothL1Loss",
    contract=InputContract(input="values", target="same_shape"),
    example=paired_values,
    reference=smooth_l1_reference,
    functional=smooth_l1_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(Identity({"beta": 0.0}, "l1", note="smooth L1 with beta=0 is L1"),),
)
