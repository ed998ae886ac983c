"""Margin ranking loss for ordered pairs of scores (torch.nn.MarginRankingLoss; Joachims, KDD 2002)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, param, reduction_param
from losskit.inputs import check_floating
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import score_pairs
from ._inputs import check_like, check_signs
from .reference import margin_ranking_reference

NAME = "margin_ranking"


class MarginRankingLoss(
    Loss, name=NAME, inputs={"input1": "input", "input2": "other", "target": "target"}, positional=("margin",)
):
    r"""Margin ranking loss: max(0, -y (x1 - x2) + margin) for a pair of scores, y = 1 when x1 should rank higher.

    .. math::
        \ell_n = \max\big(0,\; -y_n (x_n - x'_n) + \text{margin}\big)

    A hinge on the score difference of each pair, in the direction the label says.
    Called as torch's: ``loss(input1, input2, target)`` with the scores :math:`x`, :math:`x'` and
    :math:`y \in \{1, -1\}` (1: :math:`x_n` should rank higher than :math:`x'_n`). In losskit's protocol
    (composites, the conformance kit) ``input`` is :math:`x`, ``target`` :math:`y` and the context
    ``other=`` :math:`x'`: ``loss(x1, y, other=x2)`` is the same call.

    Args:
        margin: any real number (torch's default 0).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input1, input2 (``input`` and ``other=``) and target ``(N, *)``, one shape; output of that shape with ``reduction='none'``,
        else a scalar.

    Examples:
        >>> loss = MarginRankingLoss(margin=0.5, reduction="none")
        >>> loss(torch.tensor([2.0, 2.0]), torch.tensor([1.0, 1.0]), torch.tensor([1.0, -1.0]))
        tensor([0.0000, 1.5000])

    Reference: Joachims. Optimizing Search Engines using Clickthrough Data. KDD 2002 (the pairwise
    ranking hinge). Matches ``torch.nn.MarginRankingLoss``.
    """

    margin: float = param(0.0, "how much higher the preferred score must be", finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, margin: float, reduction: Reduction, other: Tensor) -> Tensor:
        check_floating(NAME, "input", input)
        check_like(NAME, "other", other, input)
        target = check_signs(NAME, target, input.shape, "pair of scores (element of input)")
        x = working(input)  # every tensor in the working precision: a float64 target does not promote the loss
        loss = F.margin_ranking_loss(x, other.to(x.dtype), target.to(x.dtype), margin=margin, reduction="none")
        return reduce(output(loss, input), reduction, owner=NAME)


margin_ranking_loss = MarginRankingLoss.functional

SPEC = LossSpec.of(
    MarginRankingLoss, family="metric", source="Joachims 2002, Optimizing Search Engines using Clickthrough Data, "
    "KDD; torch.nn.MarginRankingLoss", contract=InputContract(
        "values", "signs", input_shape="(N, *) first scores; context other=(N, *)", target_shape="(N, *)"
    ), example=score_pairs, reference=margin_ranking_reference, aliases=("ranking_hinge",),
    tags={"compile"},
)
