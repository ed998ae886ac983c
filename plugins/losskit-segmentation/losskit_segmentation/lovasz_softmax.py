"""Lovász-Softmax loss (Berman, Rannen Triki & Blaschko, CVPR 2018)."""

from __future__ import annotations

from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import probabilities
from ._lovasz import lovasz_extension, units
from ._params import FROM_LOGITS, IGNORE_INDEX, PER_IMAGE, validated
from .reference import lovasz_softmax_reference

CLASSES = Param(
    "classes",
    "present",
    "'present': average over the classes present in the target of each image (or of the batch), as the "
    "paper's code does by default; 'all': over every class",
    type=str,
    choices=("present", "all"),
)
PARAMS = (FROM_LOGITS, CLASSES, PER_IMAGE, IGNORE_INDEX, reduction_param())


def lovasz_softmax_loss(
    input: Tensor,
    target: Tensor,
    *,
    from_logits: bool = True,
    classes: str = "present",
    per_image: bool = True,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`LovaszSoftmaxLoss`."""
    validated("lovasz_softmax", PARAMS, dict(from_logits=from_logits, classes=classes, per_image=per_image,
                                             ignore_index=ignore_index, reduction=reduction))
    p, g = probabilities("lovasz_softmax", input, target, mode="multiclass", from_logits=from_logits,
                         ignore_index=ignore_index)
    errors, fg = units((g - p).abs(), g, per_image=per_image)
    losses = lovasz_extension(errors, fg)  # (U, C)
    counted = fg.sum(-1) > 0 if classes == "present" else None
    if counted is not None:
        losses = losses * counted
    if reduction == "none":
        return (losses if per_image else losses[0]).to(input.dtype)
    if reduction == "sum":
        return losses.sum().to(input.dtype)
    per_unit = losses.sum(-1) / (counted.sum(-1).clamp_min(1) if counted is not None else losses.shape[-1])
    return (per_unit.sum() / max(per_unit.shape[0], 1)).to(input.dtype)


class LovaszSoftmaxLoss(Loss):
    r"""The Lovász extension of each class's Jaccard loss, on the softmax errors: a convex surrogate of
    1 - IoU that is tight on hard predictions.

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
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the per-class losses, ``(N, C)`` with ``per_image`` else ``(C,)``, 0 for a
            class not counted; ``'sum'``: their sum; ``'mean'``: the paper's mean, over the counted classes
            of each image, then over the images (an image with no counted class gives 0).

    Shape:
        input ``(N, C, *)``; target ``(N, *)`` class indices; output as ``reduction`` says.

    Examples:
        >>> loss = LovaszSoftmaxLoss(per_image=False)
        >>> loss(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8)))

    Reference: Berman, Rannen Triki, Blaschko. The Lovász-Softmax loss: A tractable surrogate for the
    optimization of the intersection-over-union measure in neural networks. CVPR 2018, eqs. (8)-(12).
    """

    loss_name = "lovasz_softmax"
    params = PARAMS

    def __init__(
        self,
        *,
        from_logits: bool = True,
        classes: str = "present",
        per_image: bool = True,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(from_logits=from_logits, classes=classes, per_image=per_image, ignore_index=ignore_index,
                         reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return lovasz_softmax_loss(input, target, **self.hparams)


SPEC = LossSpec(
    name="lovasz_softmax",
    aliases=("lovasz",),
    factory=LovaszSoftmaxLoss,
    summary="Lovász extension of the per-class Jaccard loss on softmax errors",
    family="segmentation",
    source="Berman, Rannen Triki & Blaschko, The Lovász-Softmax loss, CVPR 2018",
    contract=InputContract(
        input="logits",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *)",
        output_shape="(N, C) with per_image, else (C,), with reduction='none'; else ()",
    ),
    example=class_index_masks,
    reference=lovasz_softmax_reference,
    functional=lovasz_softmax_loss,
    tags=frozenset({"batch_coupled", "ignore_index", "compile"}),
    mean_denominator="custom",
)
