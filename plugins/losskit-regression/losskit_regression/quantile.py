"""Quantile (pinball) loss: the check function of quantile regression (Koenker & Bassett, 1978)."""

from __future__ import annotations

from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from ._examples import paired_values
from .reference import quantile_reference


def quantile_loss(
    input: Tensor,
    target: Tensor,
    *,
    q: float = 0.5,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`QuantileLoss`."""
    check_same_shape("quantile", input, target)
    check_floating("quantile", "input", input)
    u = target - input
    loss = u * (q - (u < 0).to(u.dtype))
    return reduce(loss, reduction, weight=weight, owner="quantile")


class QuantileLoss(Loss):
    r"""Asymmetric absolute error whose minimiser is the ``q``-quantile of the target.

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

    loss_name = "quantile"
    params = (
        Param("q", 0.5, "the quantile to estimate", gt=0, lt=1),
        reduction_param(),
    )

    def __init__(self, *, q: float = 0.5, reduction: Reduction = "mean") -> None:
        super().__init__(q=q, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return quantile_loss(input, target, q=self.q, weight=weight, reduction=self.reduction)


SPEC = LossSpec(
    name="quantile",
    aliases=("pinball",),
    factory=QuantileLoss,
    summary="pinball loss max(q (y - x), (q - 1)(y - x)) for quantile regression",
    family="regression",
    source="Koenker & Bassett, Regression Quantiles, Econometrica 1978",
    contract=InputContract(input="values", target="same_shape"),
    example=paired_values,
    reference=quantile_reference,
    functional=quantile_loss,
    tags=frozenset({"weight", "compile"}),
)
