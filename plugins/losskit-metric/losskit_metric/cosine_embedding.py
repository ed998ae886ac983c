"""Cosine embedding loss for similar / dissimilar pairs (torch.nn.CosineEmbeddingLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import embedding_pairs
from ._inputs import check_embeddings, check_like, check_signs, validated
from .reference import cosine_embedding_reference

NAME = "cosine_embedding"
PARAMS = (
    Param(
        "margin",
        0.0,
        "a dissimilar pair costs only above this cosine similarity (torch suggests [0, 0.5])",
        ge=-1.0,
        le=1.0,
    ),
    reduction_param(),
)


def cosine_embedding_loss(
    input: Tensor, target: Tensor, *, other: Tensor, margin: float = 0.0, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`CosineEmbeddingLoss`: pairs ``(input[n], other[n])`` labelled ``target[n]``."""
    v = validated(NAME, PARAMS, {"margin": margin, "reduction": reduction})
    check_embeddings(NAME, "input", input, dims=(1, 2), shape_doc="(N, D): the first member of each pair, or (D,)")
    check_like(NAME, "other", other, input)
    check_signs(NAME, target, input.shape[:-1], "pair (row of input)")
    loss = F.cosine_embedding_loss(input, other, target, margin=v["margin"], reduction="none")
    return reduce(loss, v["reduction"], owner=NAME)


class CosineEmbeddingLoss(Loss):
    r"""Pulls similar pairs to cosine similarity 1, pushes dissimilar ones below a margin.

    .. math::
        \ell_n = \begin{cases}
            1 - \cos(x_n, x'_n) & y_n = 1 \\
            \max(0, \cos(x_n, x'_n) - \text{margin}) & y_n = -1
        \end{cases}

    Convention: ``input`` is the first member of each pair :math:`x_n`, ``target``
    the pair label :math:`y_n \in \{1, -1\}` (1 = similar), and the required
    context ``other=`` the second member :math:`x'_n` (torch's ``(x1, x2, y)``
    is ``loss(x1, y, other=x2)``).

    Args:
        margin: in :math:`[-1, 1]`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and ``other`` ``(N, D)``; target ``(N,)`` of ±1 (integer or floating);
        output ``(N,)`` with ``reduction='none'``, else a scalar. One ``(D,)`` pair takes a 0-d target, as torch.

    Examples:
        >>> loss = CosineEmbeddingLoss(margin=0.2)
        >>> value = loss(torch.randn(4, 16), torch.tensor([1, -1, 1, -1]), other=torch.randn(4, 16))

    Reference: torch.nn.CosineEmbeddingLoss (Paszke et al., PyTorch, NeurIPS 2019), after Torch7's
    CosineEmbeddingCriterion (Collobert, Kavukcuoglu, Farabet 2011). Matches ``torch.nn.CosineEmbeddingLoss``.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(self, *, margin: float = 0.0, reduction: Reduction = "mean") -> None:
        super().__init__(margin=margin, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, other: Tensor) -> Tensor:
        return cosine_embedding_loss(input, target, other=other, margin=self.margin, reduction=self.reduction)


SPEC = LossSpec(
    name=NAME,
    aliases=("cosine_embedding_loss",),
    factory=CosineEmbeddingLoss,
    summary="1 - cos for similar pairs, max(0, cos - margin) for dissimilar ones",
    family="metric",
    source="torch.nn.CosineEmbeddingLoss (Paszke et al. 2019); Torch7 CosineEmbeddingCriterion (Collobert et al. 2011)",
    contract=InputContract(
        input="embeddings",
        target="signs",
        input_shape="(N, D) first members; context other=(N, D)",
        target_shape="(N,)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=embedding_pairs,
    reference=cosine_embedding_reference,
    functional=cosine_embedding_loss,
)
