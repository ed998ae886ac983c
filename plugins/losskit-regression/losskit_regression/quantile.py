"""Quantile (pinball) loss: the check function of quantile regression (Koenker & Bassett, 1978)."""

from __future__ import annotations

from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .reference import quantile_reference


class QuantileLoss(Loss, name="quantile"):
    r"""Pinball loss: the asymmetric absolute error whose minimiser is the ``q``-quantile of the target.

    .. math::
        \ell_n = \rho_q(y_n - x_n), \qquad \rho_q(u) = u \,(q - \mathbb{1}[u < 0])
               = \max(q u, (q - 1) u)

    Under-prediction costs ``q`` per unit, over-prediction ``1 - q``; ``q = 0.5``
    is half the absolute error.

    Args:
        q: the quantile to estimate, in ``(0, 1)``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input (predicted quantile) and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = QuantileLoss(q=0.9, reduction="none")
        >>> loss(torch.zeros(2), torch.tensor([1.0, -1.0]))
        tensor([0.9000, 0.1000])

    Reference: Koenker, Bassett, Regression Quantiles, Econometrica 46(1), 1978.
    """

    q: float = param(0.5, "the quantile to estimate", gt=0, lt=1)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, q: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        target = check_value_target("quantile", input, target)
        u = target - working(input)
        loss = u * (q - (u < 0).to(u.dtype))
        return reduce(output(loss, input), reduction, weight=weight, owner="quantile")


quantile_loss = QuantileLoss.functional

SPEC = LossSpec.of(
    QuantileLoss, family="regression", source="Koenker & Bassett, Regression Quantiles, Econometrica 1978",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=quantile_reference,
    aliases=("pinball",), tags={"weight", "compile"},
)
