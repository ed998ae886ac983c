"""Triplet margin loss (Schroff et al., FaceNet, CVPR 2015; distance swap: Balntas et al., BMVC 2016)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import triplets
from ._inputs import TRIPLETS, check_embeddings, check_like
from .reference import triplet_reference

NAME = "triplet"
#: The parameters triplet and triplet_with_distance share.
MARGIN = param(1.0, "how much farther the negative must be than the positive (> 0, torch's requirement)", gt=0.0, finite=True)
SWAP = param(False, "use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)")


def check_triplet(owner: str, input: Tensor, target: Tensor, negative: Tensor) -> None:
    """Anchors, positives and negatives: floating ``(N, D)`` (or one ``(D,)`` sample) tensors of one shape."""
    check_embeddings(owner, "input", input, dims=(1, 2), shape_doc="(N, D): one anchor embedding per row, or (D,)")
    check_like(owner, "target", target, input, "input (the anchors)")
    check_like(owner, "negative", negative, input, "input (the anchors)")


class TripletLoss(Loss, name=NAME):
    r"""Triplet margin loss: max(0, d(anchor, positive) - d(anchor, negative) + margin) with d a p-norm distance.

    .. math::
        \ell_n = \max\big(0,\; d(a_n, p_n) - d(a_n, n_n) + \text{margin}\big),
        \qquad d(x, y) = \lVert x - y + \varepsilon \rVert_p

    The anchor must be closer to the positive than to the negative by the margin.
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
        >>> loss = TripletLoss(margin=1.0, eps=0.0)
        >>> anchor = torch.zeros(1, 2)
        >>> loss(anchor, torch.tensor([[3.0, 4.0]]), negative=torch.tensor([[0.0, 2.0]]))  # 5 - 2 + 1
        tensor(4.)

    Reference: Schroff, Kalenichenko, Philbin. FaceNet: A Unified Embedding for Face
    Recognition and Clustering. CVPR 2015; Balntas, Riba, Ponsa, Mikolajczyk. Learning local
    feature descriptors with triplets and shallow convolutional neural networks. BMVC 2016.
    Matches ``torch.nn.TripletMarginLoss``.
    """

    margin: float = MARGIN
    p: float = param(2.0, "the norm degree of the pairwise distance", gt=0.0)
    eps: float = param(
        1e-6, "added to the difference before the norm, as torch.nn.functional.pairwise_distance", ge=0.0, finite=True
    )
    swap: bool = SWAP
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, margin: float, p: float, eps: float, swap: bool, reduction: Reduction,
        negative: Tensor,
    ) -> Tensor:
        check_triplet(NAME, input, target, negative)
        x = working(input)  # every tensor in the working precision: a float64 positive does not promote the loss
        loss = F.triplet_margin_loss(
            x, target.to(x.dtype), negative.to(x.dtype), margin=margin, p=p, eps=eps, swap=swap, reduction="none"
        )
        return reduce(output(loss, input), reduction, owner=NAME)


triplet_loss = TripletLoss.functional

SPEC = LossSpec.of(
    TripletLoss, family="metric", source="Schroff et al. 2015, FaceNet, CVPR; Balntas et al. 2016, BMVC (swap); "
    "torch.nn.TripletMarginLoss", contract=TRIPLETS, example=triplets, reference=triplet_reference,
    aliases=("triplet_margin",), tags={"compile"},
)
