"""Triplet margin loss with a named distance (torch.nn.TripletMarginWithDistanceLoss; Schroff et al., CVPR 2015)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import triplets
from ._inputs import validated
from .reference import triplet_with_distance_reference
from .triplet import MARGIN, SWAP, check_triplet

NAME = "triplet_with_distance"
DISTANCES = ("euclidean", "cosine")
PARAMS = (
    Param(
        "distance",
        "euclidean",
        "'euclidean': pairwise_distance (p=2, eps=1e-6); 'cosine': 1 - cosine similarity",
        type=str,
        choices=DISTANCES,
    ),
    Param("margin", 1.0, MARGIN.doc, gt=0.0),
    SWAP,
    reduction_param(),
)


def _distance(name: str, x: Tensor, y: Tensor) -> Tensor:
    if name == "cosine":
        return 1 - F.cosine_similarity(x, y, dim=-1)
    return F.pairwise_distance(x, y)


def triplet_with_distance_loss(
    input: Tensor,
    target: Tensor,
    *,
    negative: Tensor,
    distance: str = "euclidean",
    margin: float = 1.0,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`TripletWithDistanceLoss`: ``input`` anchors, ``target`` positives."""
    v = validated(NAME, PARAMS, {"distance": distance, "margin": margin, "swap": swap, "reduction": reduction})
    check_triplet(NAME, input, target, negative)
    loss = F.triplet_margin_with_distance_loss(
        input,
        target,
        negative,
        distance_function=lambda x, y: _distance(v["distance"], x, y),
        margin=v["margin"],
        swap=v["swap"],
        reduction="none",
    )
    return reduce(loss, v["reduction"], owner=NAME)


class TripletWithDistanceLoss(Loss):
    r"""Triplet margin loss under a chosen distance.

    .. math::
        \ell_n = \max\big(0,\; d(a_n, p_n) - d(a_n, n_n) + \text{margin}\big)

    with, for ``'euclidean'`` (torch's ``pairwise_distance``) and ``'cosine'``,

    .. math::
        d(x, y) = \lVert x - y + 10^{-6} \rVert_2, \qquad
        d(x, y) = 1 - \frac{x \cdot y}{\max(\lVert x \rVert, 10^{-8}) \max(\lVert y \rVert, 10^{-8})}

    With ``swap``, :math:`d(a_n, n_n)` becomes :math:`\min(d(a_n, n_n), d(p_n, n_n))`.
    The distance is named by a string rather than passed as a callable so that the loss stays config data.

    Convention: ``input`` is the anchors, ``target`` the positives, the required context ``negative=`` the negatives.

    Args:
        distance: ``'euclidean'`` | ``'cosine'``.
        margin: :math:`> 0` (torch's requirement).
        swap: the distance swap of Balntas et al. 2016.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input, target and ``negative`` ``(N, D)``, or ``(D,)`` for one sample as torch;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = TripletWithDistanceLoss(distance="cosine", margin=0.3)
        >>> anchor, positive, negative = torch.randn(3, 8, 16).unbind()
        >>> value = loss(anchor, positive, negative=negative)

    Reference: Schroff, Kalenichenko, Philbin. FaceNet. CVPR 2015.
    Matches ``torch.nn.TripletMarginWithDistanceLoss`` with the same distance function.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self, *, distance: str = "euclidean", margin: float = 1.0, swap: bool = False, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(distance=distance, margin=margin, swap=swap, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, negative: Tensor) -> Tensor:
        return triplet_with_distance_loss(
            input,
            target,
            negative=negative,
            distance=self.distance,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("triplet_margin_with_distance",),
    factory=TripletWithDistanceLoss,
    summary="triplet margin loss with a euclidean or cosine distance",
    family="metric",
    source="Schroff et al. 2015, FaceNet, CVPR; torch.nn.TripletMarginWithDistanceLoss",
    contract=InputContract(
        input="embeddings",
        target="same_shape",
        input_shape="(N, D) anchors",
        target_shape="(N, D) positives; context negative=(N, D)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=triplets,
    reference=triplet_with_distance_reference,
    functional=triplet_with_distance_loss,
)
