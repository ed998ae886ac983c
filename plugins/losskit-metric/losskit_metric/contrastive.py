"""Contrastive loss for pairs (Hadsell, Chopra & LeCun, CVPR 2006)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import embedding_pairs
from ._inputs import EMBEDDING_PAIRS, check_embeddings, check_like, check_signs
from .reference import contrastive_reference

NAME = "contrastive"


class ContrastiveLoss(Loss, name=NAME):
    r"""Contrastive loss: D^2 / 2 for a similar pair, max(0, margin - D)^2 / 2 for a dissimilar one, D their distance.

    With :math:`D_n = \lVert x_n - x'_n \rVert_2`,

    .. math::
        \ell_n = \begin{cases}
            \tfrac12 D_n^2 & y_n = 1 \ \text{(similar)} \\
            \tfrac12 \max(0, m - D_n)^2 & y_n = -1 \ \text{(dissimilar)}
        \end{cases}

    It pulls similar pairs together and pushes dissimilar ones apart up to the margin.
    This is eq. 4 of the paper, whose label :math:`Y = 0` (similar) / :math:`1` (dissimilar)
    is written here as :math:`y = 1 / -1`, the convention of ``cosine_embedding`` and
    ``hinge_embedding``. Pairs are given explicitly, so the loss is per pair, not batch-coupled.

    Convention: ``input`` is the first member of each pair, ``target`` the ±1 label,
    the required context ``other=`` the second member.

    Args:
        margin: :math:`m > 0`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and ``other`` ``(N, D)``; target ``(N,)`` of ±1; output ``(N,)`` with ``reduction='none'``,
        else a scalar.

    Examples:
        >>> loss = ContrastiveLoss(margin=2.0, reduction="none")
        >>> first, second = torch.zeros(2, 2), torch.tensor([[3.0, 4.0], [1.0, 0.0]])  # distances 5 and 1
        >>> loss(first, torch.tensor([1, -1]), other=second)
        tensor([12.5000,  0.5000])

    Reference: Hadsell, Chopra, LeCun. Dimensionality Reduction by Learning an Invariant Mapping. CVPR 2006.
    """

    margin: float = param(1.0, "dissimilar pairs cost only closer than this distance", gt=0.0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, margin: float, reduction: Reduction, other: Tensor) -> Tensor:
        check_embeddings(NAME, "input", input, shape_doc="(N, D): the first member of each pair")
        check_like(NAME, "other", other, input)
        check_signs(NAME, target, input.shape[:1], "pair (row of input)")
        squared = (working(input) - working(other)).square().sum(dim=1)
        # sqrt has no derivative at 0: a dissimilar pair at distance exactly 0 gets a zero gradient instead of NaN.
        # (Tested as == 0, not > 0, so that a NaN distance stays NaN rather than 0.)
        zero = squared == 0
        distance = torch.where(zero, 0, torch.where(zero, 1, squared).sqrt())
        similar = target.to(squared.dtype) == 1
        loss = torch.where(similar, squared, (margin - distance).clamp_min(0).square()) / 2
        return reduce(output(loss, input), reduction, owner=NAME)


contrastive_loss = ContrastiveLoss.functional

SPEC = LossSpec.of(
    ContrastiveLoss, family="metric", source="Hadsell, Chopra, LeCun 2006, Dimensionality Reduction by Learning an "
    "Invariant Mapping, CVPR", contract=EMBEDDING_PAIRS, example=embedding_pairs, reference=contrastive_reference,
    aliases=("pair_contrastive",), tags={"compile"},
)
