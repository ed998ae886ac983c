"""Multi-class hinge loss of Weston and Watkins / Crammer-Singer style (torch.nn.MultiMarginLoss)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_ndim
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._classes import CLASS_WEIGHTS, check_class_target, class_weight_tensor
from .reference import multi_margin_reference


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    *,
    p: int = 1,
    margin: float = 1.0,
    class_weights: tuple[float, ...] | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`MultiMarginLoss`."""
    check_class_target("multi_margin", input, target)
    check_ndim("multi_margin", "input", input, (2,), "(N, C)")
    weights = class_weight_tensor("multi_margin", class_weights, input)
    # torch has no half-precision CPU kernel: compute those in float32
    work = input.float() if input.dtype in (torch.float16, torch.bfloat16) else input
    weights = weights.to(work.dtype) if weights is not None else None
    loss = F.multi_margin_loss(work, target.long(), p=p, margin=margin, weight=weights, reduction="none")
    return reduce(loss.to(input.dtype), reduction, owner="multi_margin")


class MultiMarginLoss(Loss):
    r"""Hinge on the margin between the target score and every other score.

    .. math::
        \ell_n = \frac{1}{C} \sum_{c \ne y_n} w_{y_n} \max(0,\ \text{margin} - x_{n,y_n} + x_{n,c})^p

    ``'mean'`` divides by ``N`` (not by the class weights).

    Args:
        p: 1 or 2.
        margin: the margin, ``>= 0``.
        class_weights: one weight per class (applied through the target class), or ``None``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` scores; target ``(N)`` class indices; output ``(N)`` with ``reduction='none'``,
        else a scalar.

    Examples:
        >>> loss = MultiMarginLoss(p=2)
        >>> loss(torch.randn(4, 3), torch.tensor([0, 2, 1, 2]))

    Reference: Weston and Watkins, Support vector machines for multi-class pattern recognition, ESANN 1999.
    Matches ``torch.nn.MultiMarginLoss``.
    """

    loss_name = "multi_margin"
    params = (
        Param("p", 1, "exponent of the hinge: 1 or 2", type=int, choices=(1, 2)),
        Param("margin", 1.0, "required gap between the target score and the others", ge=0.0),
        CLASS_WEIGHTS,
        reduction_param(),
    )

    def __init__(
        self,
        *,
        p: int = 1,
        margin: float = 1.0,
        class_weights: tuple[float, ...] | None = None,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(p=p, margin=margin, class_weights=class_weights, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multi_margin_loss(
            input, target, p=self.p, margin=self.margin, class_weights=self.class_weights, reduction=self.reduction
        )


SPEC = LossSpec(
    name="multi_margin",
    aliases=("multi_margin_loss", "multiclass_hinge"),
    factory=MultiMarginLoss,
    summary="multi-class hinge on the margin between the target score and each other score",
    family="classification",
    source="Weston and Watkins 1999; torch.nn.MultiMarginLoss",
    contract=InputContract(
        input="logits", target="class_indices", input_shape="(N, C)", target_shape="(N,)", output_shape="(N,)"
    ),
    example=class_index_logits,
    reference=multi_margin_reference,
    functional=multi_margin_loss,
    tags=frozenset({"no_gradcheck"}),
)
