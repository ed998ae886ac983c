"""Contrastive loss for pairs (Hadsell, Chopra & LeCun, CVPR 2006)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import embedding_pairs
from ._inputs import check_embeddings, check_like, check_signs, validated, working
from .reference import contrastive_reference

NAME = "contrastive"
PARAMS = (Param("margin", 1.0, "dissimilar pairs cost only closer than this distance", gt=0.0), reduction_param())


def contrastive_loss(
    input: Tensor, target: Tensor, *, other: Tensor, margin: float = 1.0, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`ContrastiveLoss`: pairs ``(input[n], other[n])`` labelled ``target[n]``."""
    v = validated(NAME, PARAMS, {"margin": margin, "reduction": reduction})
    check_embeddings(NAME, "input", input, shape_doc="(N, D): the first member of each pair")
    check_like(NAME, "other", other, input)
    check_signs(NAME, target, input.shape[:1], "pair (row of input)")
    squared = (working(input) - working(other)).square().sum(dim=1)
    # sqrt has no derivative at 0: a dissimilar pair at distance exactly 0 gets a zero gradient instead of NaN.
    positive = squared > 0
    distance = torch.where(positive, torch.where(positive, squared, 1).sqrt(), 0)
    similar = target.to(squared.dtype) == 1
    loss = torch.where(similar, squared, (v["margin"] - distance).clamp_min(0).square()) / 2
    return reduce(loss.to(input.dtype), v["reduction"], owner=NAME)


class ContrastiveLoss(Loss):
    r"""Pulls similar pairs together, pushes dissimilar ones apart up to a margin.

    With :math:`D_n = \lVert x_n - x'_n \rVert_2`,

    .. math::
        \ell_n = \begin{cases}
            \tfrac12 D_n^2 & y_n = 1 \ \text{(similar)} \\
            \tfrac12 \max(0, m - D_n)^2 & y_n = -1 \ \text{(dissimilar)}
        \end{cases}

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
        >>> loss = ContrastiveLoss(margin=2.0)
        >>> value = loss(torch.randn(4, 16), torch.tensor([1, -1, 1, -1]), other=torch.randn(4, 16))

    Reference: Hadsell, Chopra, LeCun. Dimensionality Reduction by Learning an Invariant Mapping. CVPR 2006.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(self, *, margin: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(margin=margin, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, other: Tensor) -> Tensor:
        return contrastive_loss(input, target, other=other, margin=self.margin, reduction=self.reduction)


SPEC = LossSpec(
    name=NAME,
    aliases=("pair_contrastive",),
    factory=ContrastiveLoss,
    summary="D^2 / 2 for similar pairs, max(0, margin - D)^2 / 2 for dissimilar ones",
    family="metric",
    source="Hadsell, Chopra, LeCun 2006, Dimensionality Reduction by Learning an Invariant Mapping, CVPR",
    contract=InputContract(
        input="embeddings",
        target="signs",
        input_shape="(N, D) first members; context other=(N, D)",
        target_shape="(N,)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=embedding_pairs,
    reference=contrastive_reference,
    functional=contrastive_loss,
    tags=frozenset({"compile"}),
)
