"""Soft Jaccard (IoU) loss (Rahman & Wang, ISVC 2016; Berman et al., CVPR 2018)."""

from __future__ import annotations

from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import probabilities
from ._overlap import class_sums, overlap_ratio, reduce_classes
from ._params import EPS, FROM_LOGITS, IGNORE_INDEX, MODE, PER_IMAGE, SMOOTH, validated
from .reference import jaccard_reference

PARAMS = (MODE, FROM_LOGITS, SMOOTH, EPS, PER_IMAGE, IGNORE_INDEX, reduction_param())


def jaccard_loss(
    input: Tensor,
    target: Tensor,
    *,
    mode: str = "multiclass",
    from_logits: bool = True,
    smooth: float = 1e-5,
    eps: float = 1e-7,
    per_image: bool = True,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`JaccardLoss`."""
    validated("jaccard", PARAMS, dict(mode=mode, from_logits=from_logits, smooth=smooth, eps=eps,
                                      per_image=per_image, ignore_index=ignore_index, reduction=reduction))
    p, g = probabilities("jaccard", input, target, mode=mode, from_logits=from_logits, ignore_index=ignore_index)
    tp, fp, fn = class_sums(p * g, p * (1 - g), (1 - p) * g, per_image=per_image)
    loss = 1 - overlap_ratio(tp, tp + fp + fn, smooth=smooth, eps=eps)
    return reduce_classes(loss, reduction, owner="jaccard", dtype=input.dtype)


class JaccardLoss(Loss):
    r"""One minus the soft intersection over union of each class, averaged over classes (and images).

    With :math:`p_{ic}` the predicted probability of class :math:`c` at pixel :math:`i` and
    :math:`g_{ic} \in \{0, 1\}` the target, summed over one image (``per_image=True``) or the batch:

    .. math::
        \ell_c = 1 - \frac{\sum_i p_{ic} g_{ic} + s}
                          {\sum_i \left(p_{ic} + g_{ic} - p_{ic} g_{ic}\right) + s}

    the soft IoU of Rahman & Wang (intersection :math:`\sum p g`, union :math:`\sum (p + g - p g)`).
    Smoothing, ``eps``, absent classes, ignored pixels, ``per_image`` and the ``'none'`` output
    (``(N, C)`` or ``(C,)`` per-class losses) are as in :class:`~losskit_segmentation.dice.DiceLoss`.
    Equal to ``tversky`` with ``alpha = beta = 1``.

    Args:
        mode: ``'multiclass'`` | ``'binary'`` | ``'multilabel'``.
        from_logits: ``input`` holds logits (default) or probabilities.
        smooth: ``s >= 0``.   eps: denominator floor, ``> 0``.
        per_image: per-image losses (default) or sums over the (global) batch.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'`` | ``'sum'`` | ``'mean'`` of the per-class losses.

    Shape:
        as :class:`~losskit_segmentation.dice.DiceLoss`.

    Examples:
        >>> loss = JaccardLoss(per_image=False)
        >>> loss(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8)))

    Reference: Rahman, Wang. Optimizing Intersection-Over-Union in Deep Neural Networks for Image
    Segmentation. ISVC 2016. Berman, Rannen Triki, Blaschko. The Lovász-Softmax loss. CVPR 2018.
    """

    loss_name = "jaccard"
    params = PARAMS

    def __init__(
        self,
        *,
        mode: str = "multiclass",
        from_logits: bool = True,
        smooth: float = 1e-5,
        eps: float = 1e-7,
        per_image: bool = True,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(mode=mode, from_logits=from_logits, smooth=smooth, eps=eps, per_image=per_image,
                         ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return jaccard_loss(input, target, **self.hparams)


SPEC = LossSpec(
    name="jaccard",
    aliases=("iou", "soft_iou", "jaccard_loss"),
    factory=JaccardLoss,
    summary="1 - soft intersection over union per class, per image or over the batch",
    family="segmentation",
    source="Rahman & Wang, ISVC 2016 (soft IoU); Berman et al., CVPR 2018",
    contract=InputContract(
        input="logits",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *) class indices; (N, C, *) {0, 1} with mode='binary'/'multilabel'",
        output_shape="(N, C) with per_image, else (C,), with reduction='none'; else ()",
    ),
    example=class_index_masks,
    reference=jaccard_reference,
    functional=jaccard_loss,
    tags=frozenset({"batch_coupled", "ignore_index", "compile"}),
)
