"""Margin ranking loss for ordered pairs of scores (torch.nn.MarginRankingLoss; Joachims, KDD 2002)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating
from losskit.reduction import Reduction, reduce

from ._examples import score_pairs
from ._inputs import check_like, check_signs, validated
from .reference import margin_ranking_reference

NAME = "margin_ranking"
PARAMS = (Param("margin", 0.0, "how much higher the preferred score must be"), reduction_param())


def margin_ranking_loss(
    input: Tensor, target: Tensor, *, other: Tensor, margin: float = 0.0, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`MarginRankingLoss`: ``target[n] = 1`` when ``input[n]`` should rank higher."""
    v = validated(NAME, PARAMS, {"margin": margin, "reduction": reduction})
    check_floating(NAME, "input", input)
    check_like(NAME, "other", other, input)
    check_signs(NAME, target, input.shape, "pair of scores (element of input)")
    loss = F.margin_ranking_loss(input, other, target, margin=v["margin"], reduction="none")
    return reduce(loss, v["reduction"], owner=NAME)


class MarginRankingLoss(Loss):
    r"""Hinge on the score difference of a pair, in the direction the label says.

    .. math::
        \ell_n = \max\big(0,\; -y_n (x_n - x'_n) + \text{margin}\big)

    Convention: ``input`` is the first scores :math:`x`, ``target`` :math:`y \in \{1, -1\}`
    (1: :math:`x_n` should rank higher than :math:`x'_n`), the required context ``other=``
    the second scores :math:`x'` (torch's ``(x1, x2, y)`` is ``loss(x1, y, other=x2)``).

    Args:
        margin: any real number (torch's default 0).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input, ``other`` and target ``(N, *)``, one shape; output of that shape with ``reduction='none'``,
        else a scalar.

    Examples:
        >>> loss = MarginRankingLoss(margin=0.1)
        >>> value = loss(torch.randn(4), torch.tensor([1.0, -1.0, 1.0, 1.0]), other=torch.randn(4))

    Reference: Joachims. Optimizing Search Engines using Clickthrough Data. KDD 2002 (the pairwise
    ranking hinge). Matches ``torch.nn.MarginRankingLoss``.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(self, *, margin: float = 0.0, reduction: Reduction = "mean") -> None:
        super().__init__(margin=margin, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, other: Tensor) -> Tensor:
        return margin_ranking_loss(input, target, other=other, margin=self.margin, reduction=self.reduction)


SPEC = LossSpec(
    name=NAME,
    aliases=("ranking_hinge",),
    factory=MarginRankingLoss,
    summary="max(0, -y (x1 - x2) + margin) for a pair of scores",
    family="metric",
    source="Joachims 2002, Optimizing Search Engines using Clickthrough Data, KDD; torch.nn.MarginRankingLoss",
    contract=InputContract(
        input="values",
        target="signs",
        input_shape="(N, *) first scores; context other=(N, *)",
        target_shape="(N, *)",
    ),
    example=score_pairs,
    reference=margin_ranking_reference,
    functional=margin_ranking_loss,
)
