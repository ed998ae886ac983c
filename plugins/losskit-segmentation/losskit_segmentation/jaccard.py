"""Soft Jaccard (IoU) loss (Rahman & Wang, ISVC 2016; Berman et al., CVPR 2018)."""

from __future__ import annotations

from torch import Tensor

from losskit import Loss, LossSpec, ignore_index_param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import REGION_LOGITS
from ._overlap import overlap_ratio, reduce_classes, region_sums
from ._params import EPS, FROM_LOGITS, GATHER, MODE, PER_IMAGE, SMOOTH
from .reference import jaccard_reference


class JaccardLoss(Loss, name="jaccard"):
    r"""One minus the soft intersection over union of each class, per image or over the batch.

    With :math:`p_{ic}` the predicted probability of class :math:`c` at pixel :math:`i` and
    :math:`g_{ic} \in \{0, 1\}` the target, summed over one image (``per_image=True``) or the batch:

    .. math::
        \ell_c = 1 - \frac{\sum_i p_{ic} g_{ic} + s}
                          {\sum_i \left(p_{ic} + g_{ic} - p_{ic} g_{ic}\right) + s}

    the soft IoU of Rahman & Wang (intersection :math:`\sum p g`, union :math:`\sum (p + g - p g)`),
    averaged over classes (and images).
    Smoothing, ``eps``, absent classes, ignored pixels, ``per_image`` and the ``'none'`` output
    (``(N, C)`` or ``(C,)`` per-class losses) are as in :class:`~losskit_segmentation.dice.DiceLoss`.
    Equal to ``tversky`` with ``alpha = beta = 1``.

    Args:
        mode: ``'multiclass'`` | ``'binary'`` | ``'multilabel'``.
        from_logits: ``input`` holds logits (default) or probabilities.
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
        >>> JaccardLoss(per_image=False)(logits, target)
        tensor(0.3498)

    Reference: Rahman, Wang. Optimizing Intersection-Over-Union in Deep Neural Networks for Image
    Segmentation. ISVC 2016. Berman, Rannen Triki, Blaschko. The Lovász-Softmax loss. CVPR 2018.
    """

    mode: str = MODE
    from_logits: bool = FROM_LOGITS
    smooth: float = SMOOTH
    eps: float = EPS
    per_image: bool = PER_IMAGE
    gather: bool = GATHER
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, mode: str, from_logits: bool, smooth: float, eps: float,
                per_image: bool, gather: bool, ignore_index: int, reduction: Reduction) -> Tensor:
        tp, pred, true = region_sums("jaccard", input, target, mode=mode, from_logits=from_logits,
                                     ignore_index=ignore_index, per_image=per_image, gather=gather)
        loss = 1 - overlap_ratio(tp, pred + true - tp, smooth=smooth, eps=eps)  # the union: tp + fp + fn
        return reduce_classes(loss, reduction, owner="jaccard", input=input)


jaccard_loss = JaccardLoss.functional

SPEC = LossSpec.of(
    JaccardLoss, family="segmentation", source="Rahman & Wang, ISVC 2016 (soft IoU); Berman et al., CVPR 2018",
    contract=REGION_LOGITS, example=class_index_masks, reference=jaccard_reference,
    aliases=("iou", "soft_iou", "jaccard_loss"), tags={"batch_coupled", "ignore_index", "compile"},
)
