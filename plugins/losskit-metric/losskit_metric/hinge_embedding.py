"""Hinge embedding loss on distances of similar / dissimilar pairs (torch.nn.HingeEmbeddingLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, param, reduction_param
from losskit.inputs import check_floating
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import distances_and_signs
from ._inputs import check_signs
from .reference import hinge_embedding_reference

NAME = "hinge_embedding"


class HingeEmbeddingLoss(Loss, name=NAME, positional=("margin",)):
    r"""Hinge embedding loss: the distance x for a similar pair, max(0, margin - x) for a dissimilar one.

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
        >>> loss = HingeEmbeddingLoss(margin=2.0, reduction="none")
        >>> loss(torch.tensor([0.5, 0.5, 3.0]), torch.tensor([1, -1, -1]))
        tensor([0.5000, 1.5000, 0.0000])

    Reference: Torch7's HingeEmbeddingCriterion (Collobert, Kavukcuoglu, Farabet. Torch7: A Matlab-like
    Environment for Machine Learning. BigLearn, NIPS Workshop 2011). Matches ``torch.nn.HingeEmbeddingLoss``.
    """

    margin: float = param(1.0, "dissimilar pairs cost only below this distance", finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, margin: float, reduction: Reduction) -> Tensor:
        check_floating(NAME, "input", input)
        target = check_signs(NAME, target, input.shape, "distance (element of input)")
        x = working(input)  # every tensor in the working precision: a float64 target does not promote the loss
        loss = F.hinge_embedding_loss(x, target.to(x.dtype), margin=margin, reduction="none")
        return reduce(output(loss, input), reduction, owner=NAME)


hinge_embedding_loss = HingeEmbeddingLoss.functional

SPEC = LossSpec.of(
    HingeEmbeddingLoss, family="metric", source="Collobert et al. 2011, Torch7 HingeEmbeddingCriterion; "
    "torch.nn.HingeEmbeddingLoss", contract=InputContract("values", "signs"), example=distances_and_signs,
    reference=hinge_embedding_reference, aliases=("hinge_embedding_loss",),
    tags={"compile"},
)
