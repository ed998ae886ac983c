"""Lovász-Softmax loss (Berman, Rannen Triki & Blaschko, CVPR 2018)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from losskit import Loss, LossSpec, ignore_index_param, param, reduction_param
from losskit.reduction import Reduction, mean_over

from ._examples import class_index_masks
from ._inputs import CLASS_INDEX_LOGITS, class_indices, to_probabilities
from ._lovasz import lovasz_extension, units
from ._overlap import reduce_classes
from ._params import FROM_LOGITS, GATHER, PER_IMAGE
from .reference import lovasz_softmax_reference


class LovaszSoftmaxLoss(Loss, name="lovasz_softmax"):
    r"""The Lovász extension of each class's Jaccard loss on the softmax errors, a convex surrogate of 1 - IoU.

    The surrogate is tight on hard predictions.

    With :math:`p_{ic}` the softmax probability of class :math:`c` at pixel :math:`i` and
    :math:`g_{ic} = [y_i = c]`, the class errors are :math:`m_i(c) = |g_{ic} - p_{ic}|` and

    .. math::
        \ell_c = \overline{\Delta_{J_c}}\big(m(c)\big), \qquad
        \Delta_{J_c}(M) = \frac{|M|}{|\{y = c\} \cup M|}

    with :math:`\overline{\Delta}` the Lovász extension (:mod:`losskit_segmentation._lovasz`), over the
    pixels of one image (``per_image=True``) or of the whole batch (``per_image=False``, the paper's
    default; under ``torch.distributed`` the errors of every rank are gathered, so each rank gets the
    global-batch value). Pixels whose target is ``ignore_index`` are left out.

    ``classes='present'`` (default, as the paper's code) counts only the classes with at least one target
    pixel in the image (or batch); ``'all'`` counts every class (an absent class then costs its largest
    probability).

    Args:
        from_logits: ``input`` holds logits (default) or probabilities that sum to 1 over dim 1.
        classes: ``'present'`` | ``'all'``.
        per_image: per-image losses (default) or one loss over the batch (batch-coupled).
        gather: with ``per_image=False``, under ``torch.distributed``: every rank's batch (default), else this rank's.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the per-class losses, ``(N, C)`` with ``per_image`` else ``(C,)``, 0 for a
            class not counted; ``'sum'``: their sum; ``'mean'``: the paper's mean, over the counted classes
            of each image, then over the images (an image with no counted class gives 0).

    Shape:
        input ``(N, C, *)``; target ``(N, *)`` class indices; output as ``reduction`` says.

    Examples:
        >>> logits = torch.tensor([[[[2.0, -1.0], [0.5, -2.0]], [[-2.0, 1.0], [0.0, 2.0]]]])  # (1, 2, 2, 2)
        >>> target = torch.tensor([[[0, 1], [1, 1]]])  # class indices (1, 2, 2)
        >>> LovaszSoftmaxLoss(per_image=False)(logits, target)
        tensor(0.2952)

    Reference: Berman, Rannen Triki, Blaschko. The Lovász-Softmax loss: A tractable surrogate for the
    optimization of the intersection-over-union measure in neural networks. CVPR 2018, eqs. (8)-(12).
    """

    from_logits: bool = FROM_LOGITS
    classes: Literal["present", "all"] = param(
        "present",
        "'present': average over the classes present in the target of each image (or of the batch), as the "
        "paper's code does by default; 'all': over every class",
    )
    per_image: bool = PER_IMAGE
    gather: bool = GATHER
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, from_logits: bool, classes: str, per_image: bool, gather: bool,
                ignore_index: int, reduction: Reduction) -> Tensor:
        x, index, valid = class_indices("lovasz_softmax", input, target, ignore_index=ignore_index)
        p = to_probabilities("lovasz_softmax", input, x, mode="multiclass", from_logits=from_logits)
        # The Lovász extension sorts each class's errors with its targets: a bool (N, C, P) indicator, no floats.
        fg = index == torch.arange(p.shape[1], device=index.device).view(1, -1, 1)
        if valid is not None:
            fg &= valid != 0
        errors = torch.where(fg, 1 - p, p)  # |g - p|
        if valid is not None:
            errors = errors * valid
        errors, fg = units(errors, fg, per_image=per_image, gather=gather, owner="lovasz_softmax")
        losses = lovasz_extension(errors, fg)  # (U, C)
        counted = fg.any(-1) if classes == "present" else None
        if counted is not None:
            losses = losses * counted
        if reduction == "mean":  # the paper's: over the counted classes of each unit, then over the units
            losses = mean_over(losses.sum(-1), counted.sum(-1) if counted is not None else losses.shape[-1])
        elif not per_image:
            losses = losses[0]
        return reduce_classes(losses, reduction, owner="lovasz_softmax", input=input)


lovasz_softmax_loss = LovaszSoftmaxLoss.functional

SPEC = LossSpec.of(
    LovaszSoftmaxLoss, family="segmentation",
    source="Berman, Rannen Triki & Blaschko, The Lovász-Softmax loss, CVPR 2018", contract=CLASS_INDEX_LOGITS,
    example=class_index_masks, reference=lovasz_softmax_reference, aliases=("lovasz",),
    tags={"batch_coupled", "ignore_index", "compile"}, mean_denominator="custom",
)
