"""Huber loss: quadratic near zero, linear beyond ``delta`` (Huber, 1964)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .reference import huber_reference


class HuberLoss(Loss, name="huber", positional=("reduction", "delta")):  # torch.nn.HuberLoss(reduction, delta)
    r"""Huber loss: half the squared residual below ``delta``, linear with slope ``delta`` beyond.

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

    delta: float = param(1.0, "residual at which the loss turns from quadratic to linear", gt=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, delta: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        target = check_value_target("huber", input, target)
        if torch_reduces(input, reduction, weight):  # torch's fused kernel reduces: the same value
            return F.huber_loss(input, target, reduction=reduction, delta=delta)
        # torch's fused elementwise kernel; losskit adds the shape checks, weight and reduction semantics.
        loss = F.huber_loss(working(input), target, reduction="none", delta=delta)
        return reduce(output(loss, input), reduction, weight=weight, owner="huber")


huber_loss = HuberLoss.functional

SPEC = LossSpec.of(
    HuberLoss, family="regression",
    source="Huber, Robust Estimation of a Location Parameter, Ann. Math. Statist. 1964; torch.nn.HuberLoss",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=huber_reference, tags={"weight", "compile"},
    identities=(
        Identity({"delta": 1.0}, "smooth_l1", {"beta": 1.0}, note="Huber with delta=1 is smooth L1 with beta=1"),
    ),
)
