"""Cosine embedding loss for similar / dissimilar pairs (torch.nn.CosineEmbeddingLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import embedding_pairs
from ._inputs import EMBEDDING_PAIRS, check_embeddings, check_like, check_signs
from .reference import cosine_embedding_reference

NAME = "cosine_embedding"


class CosineEmbeddingLoss(
    Loss, name=NAME, inputs={"input1": "input", "input2": "other", "target": "target"}, positional=("margin",)
):
    r"""Cosine embedding loss: 1 - cos for a similar pair, max(0, cos - margin) for a dissimilar one.

    .. math::
        \ell_n = \begin{cases}
            1 - \cos(x_n, x'_n) & y_n = 1 \\
            \max(0, \cos(x_n, x'_n) - \text{margin}) & y_n = -1
        \end{cases}

    It pulls similar pairs to cosine similarity 1 and pushes dissimilar ones below the margin.
    Called as torch's: ``loss(input1, input2, target)`` with the pairs' members :math:`x_n`, :math:`x'_n`
    and the label :math:`y_n \in \{1, -1\}` (1 = similar). In losskit's protocol (composites, the
    conformance kit) ``input`` is :math:`x`, ``target`` :math:`y` and the context ``other=`` :math:`x'`:
    ``loss(x1, y, other=x2)`` is the same call.

    Args:
        margin: in :math:`[-1, 1]`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input1 and input2 (``input`` and ``other=``) ``(N, D)``; target ``(N,)`` of ±1 (integer or floating);
        output ``(N,)`` with ``reduction='none'``, else a scalar. One ``(D,)`` pair takes a 0-d target, as torch.

    Examples:
        >>> loss = CosineEmbeddingLoss(margin=0.2, reduction="none")
        >>> first, second = torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([[0.0, 3.0], [2.0, 2.0]])
        >>> loss(first, second, torch.tensor([1, -1]))  # cosines 0 and 1
        tensor([1.0000, 0.8000])

    Reference: torch.nn.CosineEmbeddingLoss (Paszke et al., PyTorch, NeurIPS 2019), after Torch7's
    CosineEmbeddingCriterion (Collobert, Kavukcuoglu, Farabet 2011). Matches ``torch.nn.CosineEmbeddingLoss``.
    """

    margin: float = param(
        0.0, "a dissimilar pair costs only above this cosine similarity (torch suggests [0, 0.5])", ge=-1.0, le=1.0
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, margin: float, reduction: Reduction, other: Tensor) -> Tensor:
        check_embeddings(NAME, "input", input, dims=(1, 2), shape_doc="(N, D): the first member of each pair, or (D,)")
        check_like(NAME, "other", other, input)
        check_signs(NAME, target, input.shape[:-1], "pair (row of input)")
        loss = F.cosine_embedding_loss(input, other, target, margin=margin, reduction="none")
        return reduce(loss, reduction, owner=NAME)


cosine_embedding_loss = CosineEmbeddingLoss.functional

SPEC = LossSpec.of(
    CosineEmbeddingLoss, family="metric", source="torch.nn.CosineEmbeddingLoss (Paszke et al. 2019); Torch7 "
    "CosineEmbeddingCriterion (Collobert et al. 2011)", contract=EMBEDDING_PAIRS, example=embedding_pairs,
    reference=cosine_embedding_reference, aliases=("cosine_embedding_loss",),
    tags={"compile"},
)
