"""Huber loss: quadratic near zero, linear beyond ``delta`` (Huber, 1964)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from ._examples import paired_values
from ._params import finite
from .reference import huber_reference


def huber_loss(
    input: Tensor,
    target: Tensor,
    *,
    delta: float = 1.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`HuberLoss`."""
    check_same_shape("huber", input, target)
    check_floating("huber", "input", input)
    # torch's fused elementwise kernel; losskit adds the shape checks, weight and reduction semantics.
    loss = F.huber_loss(input, target, reduction="none", delta=delta)
    return reduce(loss, reduction, weight=weight, owner="huber")


class HuberLoss(Loss):
    r"""Squared error for small residuals, absolute error (slope ``delta``) for large ones.

    .. math::
        \ell_n = \begin{cases}
            \tfrac12 (x_n - y_n)^2 & |x_n - y_n| < \delta \\
            \delta \left(|x_n - y_n| - \tfrac12 \delta\right) & \text{otherwise}
        \end{cases}

    Args:
        delta: the residual at which the loss turns linear, ``> 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = HuberLoss(delta=1.0)
        >>> loss(torch.zeros(2), torch.tensor([0.5, 3.0]))
        tensor(1.3125)

    Reference: Huber, Robust Estimation of a Location Parameter, Ann. Math. Statist. 35(1), 1964.
    Matches ``torch.nn.HuberLoss``; with ``delta=1`` it equals ``smooth_l1`` with ``beta=1``.
    """

    loss_name = "huber"
    params = (
        Param("delta", 1.0, "residual at which the loss turns from quadratic to linear", gt=0, check=finite),
        reduction_param(),
    )

    def __init__(self, *, delta: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(delta=delta, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return huber_loss(input, target, delta=self.delta, weight=weight, reduction=self.reduction)


SPEC = LossSpec(
    name="huber",
    factory=HuberLoss,
    summary="Huber loss: 0.5 r^2 for |r| < delta, delta (|r| - delta / 2) beyond",
    family="regression",
    source="Huber, Robust Estimation of a Location Parameter, Ann. Math. Statist. 1964; torch.nn.HuberLoss",
    contract=InputContract(input="values", target="same_shape"),
    example=paired_values,
    reference=huber_reference,
    functional=huber_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(
        Identity({"delta": 1.0}, "smooth_l1", {"beta": 1.0}, note="Huber with delta=1 is smooth L1 with beta=1"),
    ),
)
