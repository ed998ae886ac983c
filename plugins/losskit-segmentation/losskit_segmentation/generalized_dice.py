"""Generalised Dice loss (Sudre, Li, Vercauteren, Ourselin & Cardoso, DLMIA 2017)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, LossSpec, ignore_index_param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import REGION_LOGITS
from ._overlap import overlap_ratio, reduce_classes, region_sums
from ._params import EPS, FROM_LOGITS, GATHER, MODE, PER_IMAGE, SMOOTH
from .reference import generalized_dice_reference


def _class_weights(true: Tensor) -> Tensor:
    """Sudre's ``1 / (sum_i g_ic)^2``; an absent class takes the largest present weight; normalised over C."""
    present = true > 0
    weight = torch.where(present, torch.where(present, true, 1).square().reciprocal(), 0)
    weight = torch.where(present, weight, weight.amax(-1, keepdim=True))
    return weight / weight.sum(-1, keepdim=True).clamp_min(torch.finfo(weight.dtype).tiny)


class GeneralizedDiceLoss(Loss, name="generalized_dice"):
    r"""One minus a Dice coefficient pooled over classes, each weighted by its inverse squared volume.

    With :math:`p_{ic}` the predicted probability of class :math:`c` at pixel :math:`i` and
    :math:`g_{ic} \in \{0, 1\}` the target, summed over one image (``per_image=True``) or the batch:

    .. math::
        \ell = 1 - \frac{2 \sum_c w_c \sum_i p_{ic} g_{ic} + s}{\sum_c w_c \sum_i (p_{ic} + g_{ic}) + s},
        \qquad w_c \propto \frac{1}{\left(\sum_i g_{ic}\right)^2}

    so that small structures weigh as much as large ones. The weights are normalised to sum to 1 over the
    classes: with ``smooth=0`` this is exactly Sudre et al.'s ratio (invariant to the weights' scale) and
    it keeps ``smooth`` and ``eps`` meaningful whatever the image size. A class absent from the target has
    an infinite weight in the paper; here it takes the largest weight among the present classes (as MONAI
    does), so predicting it is still penalised. With no class present (every pixel ignored, or an empty mask
    in ``'binary'``/``'multilabel'`` mode) the loss is 0, whatever is predicted. In ``'binary'`` mode the one
    channel is the only class, so this is the foreground Dice loss; Sudre et al.'s two-class form (background
    and foreground, each weighted) is ``mode='multiclass'`` with two logits per pixel.

    Args:
        mode: ``'multiclass'`` | ``'binary'`` | ``'multilabel'``.
        from_logits: ``input`` holds logits (default) or probabilities.
        smooth: ``s >= 0``.   eps: denominator floor, ``> 0``.
        per_image: one loss per image (default), or one for the (global) batch (batch-coupled).
        gather: with ``per_image=False``, under ``torch.distributed``: every rank's batch (default), else this rank's.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the ``(N,)`` per-image losses, or the batch loss (shape ``()``) when
            ``per_image=False``; ``'sum'``; ``'mean'`` over images.

    Shape:
        input and target as :class:`~losskit_segmentation.dice.DiceLoss`; output ``(N,)`` (or ``()``)
        with ``reduction='none'``, else a scalar.

    Examples:
        >>> logits = torch.tensor([[[[2.0, -1.0], [0.5, -2.0]], [[-2.0, 1.0], [0.0, 2.0]]]])  # (1, 2, 2, 2)
        >>> target = torch.tensor([[[0, 1], [1, 1]]])  # class indices (1, 2, 2)
        >>> GeneralizedDiceLoss(reduction="none")(logits, target)
        tensor([0.2598])

    Reference: Sudre, Li, Vercauteren, Ourselin, Cardoso. Generalised Dice overlap as a deep learning loss
    function for highly unbalanced segmentations. DLMIA 2017, eq. (2).
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
        intersection, pred, true = region_sums("generalized_dice", input, target, mode=mode,
                                               from_logits=from_logits, ignore_index=ignore_index,
                                               per_image=per_image, gather=gather)
        weight = _class_weights(true)
        num, den = 2 * (weight * intersection).sum(-1), (weight * (pred + true)).sum(-1)
        loss = 1 - overlap_ratio(num, den, smooth=smooth, eps=eps)
        return reduce_classes(loss, reduction, owner="generalized_dice", input=input)


generalized_dice_loss = GeneralizedDiceLoss.functional

SPEC = LossSpec.of(
    GeneralizedDiceLoss, family="segmentation", source="Sudre et al., Generalised Dice overlap, DLMIA 2017",
    contract=REGION_LOGITS.with_shapes(output="(N,) with per_image, else (), with reduction='none'; else ()"),
    example=class_index_masks, reference=generalized_dice_reference, aliases=("generalised_dice", "gdl"),
    tags={"batch_coupled", "ignore_index", "compile"},
)
