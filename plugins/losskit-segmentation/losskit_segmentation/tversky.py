"""Tversky loss (Salehi, Erdogmus & Gholipour, MLMI 2017)."""

from __future__ import annotations

from torch import Tensor

from losskit import Identity, Loss, LossSpec, ignore_index_param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import REGION_LOGITS
from ._overlap import overlap_ratio, reduce_classes, region_sums
from ._params import ALPHA, BETA, EPS, FROM_LOGITS, GATHER, MODE, PER_IMAGE, SMOOTH
from .reference import tversky_reference


def tversky_index(
    input: Tensor, target: Tensor, *, owner: str, mode: str, from_logits: bool, alpha: float, beta: float,
    smooth: float, eps: float, per_image: bool, gather: bool, ignore_index: int,
) -> Tensor:
    """The per-class soft Tversky index, ``(N, C)`` or ``(C,)``."""
    tp, pred, true = region_sums(owner, input, target, mode=mode, from_logits=from_logits,
                                 ignore_index=ignore_index, per_image=per_image, gather=gather)
    fp, fn = pred - tp, true - tp  # sum p (1 - g) and sum (1 - p) g, from the sums
    return overlap_ratio(tp, tp + alpha * fp + beta * fn, smooth=smooth, eps=eps)


class TverskyLoss(Loss, name="tversky"):
    r"""One minus the soft Tversky index of each class: Dice with ``alpha``-weighted FP and ``beta``-weighted FN.

    With :math:`p_{ic}` the predicted probability of class :math:`c` at pixel :math:`i` and
    :math:`g_{ic} \in \{0, 1\}` the target, summed over one image (``per_image=True``) or the batch:

    .. math::
        TI_c = \frac{\sum_i p_{ic} g_{ic} + s}
                    {\sum_i p_{ic} g_{ic} + \alpha \sum_i p_{ic} (1 - g_{ic})
                     + \beta \sum_i (1 - p_{ic}) g_{ic} + s},
        \qquad \ell_c = 1 - TI_c

    ``alpha`` weighs the false positives and ``beta`` the false negatives, as in Salehi et al. (their
    best trade-off, and our default, is :math:`\alpha = 0.3, \beta = 0.7`: missing lesion pixels costs
    more). :math:`\alpha = \beta = 1/2` gives Dice, :math:`\alpha = \beta = 1` Jaccard. Note that
    Abraham & Khan (focal Tversky) swap the letters: their :math:`\alpha` weighs the false negatives.
    Smoothing, ``eps``, absent classes, ignored pixels, ``per_image`` and the ``'none'`` output are as in
    :class:`~losskit_segmentation.dice.DiceLoss`.

    Args:
        mode: ``'multiclass'`` | ``'binary'`` | ``'multilabel'``.
        from_logits: ``input`` holds logits (default) or probabilities.
        alpha: false-positive weight, ``>= 0``.   beta: false-negative weight, ``>= 0``.
        smooth: ``s >= 0``.   eps: denominator floor, ``> 0``.
        per_image: per-image losses (default) or sums over the (global) batch.
        gather: with ``per_image=False``, under ``torch.distributed``: every rank's batch (default), else this rank's.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'`` | ``'sum'`` | ``'mean'`` of the per-class losses.

    Shape:
        as :class:`~losskit_segmentation.dice.DiceLoss`.

    Examples:
        >>> logits = torch.tensor([[[[2.0, -1.0], [0.5, -2.0]], [[-2.0, 1.0], [0.0, 2.0]]]])  # (1, 2, 2, 2)
        >>> target = torch.tensor([[[0, 1], [1, 1]]])  # class indices (1, 2, 2)
        >>> TverskyLoss(alpha=0.3, beta=0.7)(logits, target)
        tensor(0.1951)

    Reference: Salehi, Erdogmus, Gholipour. Tversky loss function for image segmentation using 3D fully
    convolutional deep networks. MLMI 2017, eq. (3).
    """

    mode: str = MODE
    from_logits: bool = FROM_LOGITS
    alpha: float = ALPHA
    beta: float = BETA
    smooth: float = SMOOTH
    eps: float = EPS
    per_image: bool = PER_IMAGE
    gather: bool = GATHER
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, mode: str, from_logits: bool, alpha: float, beta: float,
                smooth: float, eps: float, per_image: bool, gather: bool, ignore_index: int,
                reduction: Reduction) -> Tensor:
        loss = 1 - tversky_index(input, target, owner="tversky", mode=mode, from_logits=from_logits, alpha=alpha,
                                 beta=beta, smooth=smooth, eps=eps, per_image=per_image, gather=gather,
                                 ignore_index=ignore_index)
        return reduce_classes(loss, reduction, owner="tversky", input=input)


tversky_loss = TverskyLoss.functional

SPEC = LossSpec.of(
    TverskyLoss, family="segmentation", source="Salehi, Erdogmus & Gholipour, MLMI 2017", contract=REGION_LOGITS,
    example=class_index_masks, reference=tversky_reference, aliases=("tversky_loss",),
    tags={"batch_coupled", "ignore_index", "compile"},
    identities=(
        Identity({"alpha": 1.0, "beta": 1.0}, "jaccard", note="Tversky with alpha = beta = 1 is Jaccard"),
    ),
)
