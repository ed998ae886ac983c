"""Hinge embedding loss on distances of similar / dissimilar pairs (torch.nn.HingeEmbeddingLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating
from losskit.reduction import Reduction, reduce

from ._examples import distances_and_signs
from ._inputs import check_signs, validated
from .reference import hinge_embedding_reference

NAME = "hinge_embedding"
PARAMS = (Param("margin", 1.0, "dissimilar pairs cost only below this distance"), reduction_param())


def hinge_embedding_loss(
    input: Tensor, target: Tensor, *, margin: float = 1.0, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`HingeEmbeddingLoss`."""
    v = validated(NAME, PARAMS, {"margin": margin, "reduction": reduction})
    check_floating(NAME, "input", input)
    check_signs(NAME, target, input.shape, "distance (element of input)")
    loss = F.hinge_embedding_loss(input, target, margin=v["margin"], reduction="none")
    return reduce(loss, v["reduction"], owner=NAME)


class HingeEmbeddingLoss(Loss):
    r"""The distance itself for similar pairs, a hinge below the margin for dissimilar ones.

    .. math::
        \ell_n = \begin{cases} x_n & y_n = 1 \\ \max(0, \text{margin} - x_n) & y_n = -1 \end{cases}

    ``input`` holds distances :math:`x_n` (e.g. the L1 distance of a pair of
    embeddings, usually :math:`\ge 0`), ``target`` :math:`y_n \in \{1, -1\}` (1 = similar).

    Args:
        margin: any real number (torch's default 1).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, one shape; output of that shape with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = HingeEmbeddingLoss(margin=2.0)
        >>> value = loss(torch.rand(4), torch.tensor([1, -1, -1, 1]))

    Reference: Torch7's HingeEmbeddingCriterion (Collobert, Kavukcuoglu, Farabet. Torch7: A Matlab-like
    Environment for Machine Learning. BigLearn, NIPS Workshop 2011). Matches ``torch.nn.HingeEmbeddingLoss``.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(self, *, margin: float = 1.0, reduction: Reduction = "mean") -> None:
        super().__init__(margin=margin, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


SPEC = LossSpec(
    name=NAME,
    aliases=("hinge_embedding_loss",),
    factory=HingeEmbeddingLoss,
    summary="x for similar pairs, max(0, margin - x) for dissimilar ones (x a distance)",
    family="metric",
    source="Collobert et al. 2011, Torch7 HingeEmbeddingCriterion; torch.nn.HingeEmbeddingLoss",
    contract=InputContract(input="values", target="signs"),
    example=distances_and_signs,
    reference=hinge_embedding_reference,
    functional=hinge_embedding_loss,
)
