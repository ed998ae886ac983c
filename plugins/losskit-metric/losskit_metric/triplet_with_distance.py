"""Triplet margin loss with a named distance (torch.nn.TripletMarginWithDistanceLoss; Schroff et al., CVPR 2015)."""

from __future__ import annotations

from typing import Literal

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import triplets
from ._inputs import TRIPLETS
from .reference import triplet_with_distance_reference
from .triplet import MARGIN, SWAP, check_triplet

NAME = "triplet_with_distance"


def _distance(name: str, x: Tensor, y: Tensor) -> Tensor:
    if name == "cosine":
        return 1 - F.cosine_similarity(x, y, dim=-1)
    return F.pairwise_distance(x, y)


class TripletWithDistanceLoss(Loss, name=NAME, inputs=("anchor", "positive", "negative")):
    r"""Triplet margin loss with a euclidean or cosine distance.

    .. math::
        \ell_n = \max\big(0,\; d(a_n, p_n) - d(a_n, n_n) + \text{margin}\big)

    with, for ``'euclidean'`` (torch's ``pairwise_distance``) and ``'cosine'``,

    .. math::
        d(x, y) = \lVert x - y + 10^{-6} \rVert_2, \qquad
        d(x, y) = 1 - \frac{x \cdot y}{\max(\lVert x \rVert, 10^{-8}) \max(\lVert y \rVert, 10^{-8})}

    With ``swap``, :math:`d(a_n, n_n)` becomes :math:`\min(d(a_n, n_n), d(p_n, n_n))`.
    The distance is named by a string rather than passed as a callable so that the loss stays config data.

    Called as torch's: ``loss(anchor, positive, negative)``; in losskit's protocol ``input`` is the anchors,
    ``target`` the positives and the context ``negative=`` the negatives. torch's ``distance_function=``
    (a callable) is ``distance=`` here, by name, so that the loss stays config data.

    Args:
        distance: ``'euclidean'`` | ``'cosine'``.
        margin: :math:`> 0` (torch's requirement).
        swap: the distance swap of Balntas et al. 2016.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input, target and ``negative`` ``(N, D)``, or ``(D,)`` for one sample as torch;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = TripletWithDistanceLoss(distance="cosine", margin=0.5)
        >>> anchor = torch.tensor([[1.0, 0.0]])
        >>> loss(anchor, torch.tensor([[0.0, 2.0]]), torch.tensor([[3.0, 0.0]]))  # 1 - 0 + 0.5
        tensor(1.5000)

    Reference: Schroff, Kalenichenko, Philbin. FaceNet. CVPR 2015.
    Matches ``torch.nn.TripletMarginWithDistanceLoss`` with the same distance function.
    """

    distance: Literal["euclidean", "cosine"] = param(
        "euclidean", "'euclidean': pairwise_distance (p=2, eps=1e-6); 'cosine': 1 - cosine similarity"
    )
    margin: float = MARGIN
    swap: bool = SWAP
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, distance: str, margin: float, swap: bool, reduction: Reduction,
        negative: Tensor,
    ) -> Tensor:
        check_triplet(NAME, input, target, negative)
        x = working(input)  # every tensor in the working precision: a float64 positive does not promote the loss
        loss = F.triplet_margin_with_distance_loss(
            x,
            target.to(x.dtype),
            negative.to(x.dtype),
            distance_function=lambda x, y: _distance(distance, x, y),
            margin=margin,
            swap=swap,
            reduction="none",
        )
        return reduce(output(loss, input), reduction, owner=NAME)


triplet_with_distance_loss = TripletWithDistanceLoss.functional

SPEC = LossSpec.of(
    TripletWithDistanceLoss, family="metric", source="Schroff et al. 2015, FaceNet, CVPR; "
    "torch.nn.TripletMarginWithDistanceLoss", contract=TRIPLETS, example=triplets,
    reference=triplet_with_distance_reference, aliases=("triplet_margin_with_distance",),
    tags={"compile"},
)
