"""Triplet margin loss (Schroff et al., FaceNet, CVPR 2015; distance swap: Balntas et al., BMVC 2016)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from ._examples import triplets
from ._inputs import check_embeddings, check_like, validated
from .reference import triplet_reference

NAME = "triplet"
MARGIN = Param(
    "margin", 1.0, "how much farther the negative must be than the positive (> 0, torch's requirement)", gt=0.0
)
SWAP = Param("swap", False, "use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)", type=bool)
PARAMS = (
    MARGIN,
    Param("p", 2.0, "the norm degree of the pairwise distance", gt=0.0),
    Param("eps", 1e-6, "added to the difference before the norm, as torch.nn.functional.pairwise_distance", ge=0.0),
    SWAP,
    reduction_param(),
)


def check_triplet(owner: str, input: Tensor, target: Tensor, negative: Tensor) -> None:
    """Anchors, positives and negatives: floating ``(N, D)`` (or one ``(D,)`` sample) tensors of one shape."""
    check_embeddings(owner, "input", input, dims=(1, 2), shape_doc="(N, D): one anchor embedding per row, or (D,)")
    check_like(owner, "target", target, input, "input (the anchors)")
    check_like(owner, "negative", negative, input, "input (the anchors)")


def triplet_loss(
    input: Tensor,
    target: Tensor,
    *,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`TripletLoss`: ``input`` anchors, ``target`` positives, ``negative`` negatives."""
    v = validated(NAME, PARAMS, {"margin": margin, "p": p, "eps": eps, "swap": swap, "reduction": reduction})
    check_triplet(NAME, input, target, negative)
    loss = F.triplet_margin_loss(
        input, target, negative, margin=v["margin"], p=v["p"], eps=v["eps"], swap=v["swap"], reduction="none"
    )
    return reduce(loss, v["reduction"], owner=NAME)


class TripletLoss(Loss):
    r"""The anchor must be closer to the positive than to the negative by a margin.

    .. math::
        \ell_n = \max\big(0,\; d(a_n, p_n) - d(a_n, n_n) + \text{margin}\big),
        \qquad d(x, y) = \lVert x - y + \varepsilon \rVert_p

    With ``swap``, :math:`d(a_n, n_n)` is replaced by :math:`\min(d(a_n, n_n), d(p_n, n_n))`.
    The :math:`\varepsilon` inside the norm is torch's ``pairwise_distance`` convention.

    Convention: ``input`` is the anchors, ``target`` the positives (row ``n`` of
    each is a pair) and the required context ``negative=`` the negatives.

    Args:
        margin: :math:`> 0` (torch's requirement).
        p: norm degree, :math:`> 0`.
        eps: :math:`\ge 0`, added to the difference before the norm.
        swap: the distance swap of Balntas et al.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input, target and ``negative`` ``(N, D)``, or ``(D,)`` for one sample as torch;
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = TripletLoss(margin=0.2)
        >>> anchor, positive, negative = torch.randn(3, 8, 16).unbind()
        >>> value = loss(anchor, positive, negative=negative)

    Reference: Schroff, Kalenichenko, Philbin. FaceNet: A Unified Embedding for Face
    Recognition and Clustering. CVPR 2015; Balntas, Riba, Ponsa, Mikolajczyk. Learning local
    feature descriptors with triplets and shallow convolutional neural networks. BMVC 2016.
    Matches ``torch.nn.TripletMarginLoss``.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(margin=margin, p=p, eps=eps, swap=swap, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, negative: Tensor) -> Tensor:
        return triplet_loss(
            input,
            target,
            negative=negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("triplet_margin",),
    factory=TripletLoss,
    summary="max(0, d(anchor, positive) - d(anchor, negative) + margin)",
    family="metric",
    source="Schroff et al. 2015, FaceNet, CVPR; Balntas et al. 2016, BMVC (swap); torch.nn.TripletMarginLoss",
    contract=InputContract(
        input="embeddings",
        target="same_shape",
        input_shape="(N, D) anchors",
        target_shape="(N, D) positives; context negative=(N, D)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=triplets,
    reference=triplet_reference,
    functional=triplet_loss,
    tags=frozenset({"compile"}),
)
