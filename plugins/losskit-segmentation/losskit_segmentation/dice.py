"""Soft Dice loss (Milletari, Navab & Ahmadi, V-Net, 3DV 2016)."""

from __future__ import annotations

from torch import Tensor

from losskit import Identity, Loss, LossSpec, ignore_index_param, param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import REGION_LOGITS
from ._overlap import overlap_ratio, reduce_classes, region_sums
from ._params import EPS, FROM_LOGITS, GATHER, MODE, PER_IMAGE, SMOOTH
from .reference import dice_reference


class DiceLoss(Loss, name="dice"):
    r"""One minus the soft Dice coefficient of each class (V-Net), per image or over the batch.

    With :math:`p_{ic}` the predicted probability of class :math:`c` at pixel :math:`i` (softmax over
    classes, or a sigmoid per channel) and :math:`g_{ic} \in \{0, 1\}` the target, summed over the
    pixels of one image (``per_image=True``) or of the whole batch (``per_image=False``, "batch Dice"):

    .. math::
        \ell_c = 1 - \frac{2 \sum_i p_{ic} g_{ic} + s}{\sum_i p_{ic} + \sum_i g_{ic} + s}
        \quad\text{or, with } \texttt{squared}\text{,}\quad
        \ell_c = 1 - \frac{2 \sum_i p_{ic} g_{ic} + s}{\sum_i p_{ic}^2 + \sum_i g_{ic}^2 + s}

    where :math:`s` is ``smooth``; the denominator is floored at ``eps`` and a zero denominator counts as a
    perfect score (loss 0). A perfect prediction gives 0, a prediction disjoint from the target 1 (up to
    ``smooth``). **Absent classes** (no target pixel in the image, or in the batch) are counted: their loss
    is :math:`1 - s / (\sum_i p_{ic} + s)`, close to 1 when the class is predicted anywhere and 0 when it
    is not. Pixels whose target is ``ignore_index`` are left out of every sum. The losses are averaged
    over classes (and images).

    Args:
        mode: ``'multiclass'`` (softmax, class indices) | ``'binary'`` | ``'multilabel'`` (sigmoid, ``{0, 1}``
            targets); see :mod:`losskit_segmentation._inputs`.
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        squared: squared terms in the denominator (V-Net).
        smooth: ``s >= 0`` added to numerator and denominator.
        eps: floor of the denominator, ``> 0``.
        per_image: one loss per image and class (default), or sums over the batch (batch-coupled; under
            ``torch.distributed`` the sums are all-reduced, giving the global-batch value on every rank).
        gather: with ``per_image=False``, under ``torch.distributed``: every rank's batch (default), else this rank's.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the per-class losses, ``(N, C)`` with ``per_image`` else ``(C,)``;
            ``'sum'``: their sum; ``'mean'``: their mean (over classes, and images).

    Shape:
        input ``(N, C, *)``; target ``(N, *)`` class indices (multiclass), ``(N, 1, *)`` or ``(N, *)``
        (binary), ``(N, C, *)`` (multilabel); output ``(N, C)`` or ``(C,)`` with ``reduction='none'``,
        else a scalar. Half and bfloat16 inputs are computed in float32.

    Examples:
        >>> logits = torch.tensor([[[[2.0, -1.0], [0.5, -2.0]], [[-2.0, 1.0], [0.0, 2.0]]]])  # (1, 2, 2, 2)
        >>> target = torch.tensor([[[0, 1], [1, 1]]])  # class indices (1, 2, 2)
        >>> DiceLoss(reduction="none")(logits, target)
        tensor([[0.2836, 0.1479]])
        >>> probabilities = torch.tensor([[[0.5, 0.5, 1.0, 0.0]]])  # one channel (1, 1, 4)
        >>> DiceLoss(mode="binary", from_logits=False, smooth=0.0)(probabilities, torch.tensor([[1, 0, 1, 1]]))
        tensor(0.4000)

    Reference: Milletari, Navab, Ahmadi. V-Net: Fully Convolutional Neural Networks for Volumetric
    Medical Image Segmentation. 3DV 2016, eq. (1) (the squared form).
    """

    mode: str = MODE
    from_logits: bool = FROM_LOGITS
    squared: bool = param(
        False, "square the denominator's terms, sum p^2 + sum g^2, as in V-Net (Milletari et al. 2016)"
    )
    smooth: float = SMOOTH
    eps: float = EPS
    per_image: bool = PER_IMAGE
    gather: bool = GATHER
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, mode: str, from_logits: bool, squared: bool, smooth: float,
                eps: float, per_image: bool, gather: bool, ignore_index: int, reduction: Reduction) -> Tensor:
        intersection, pred, true = region_sums("dice", input, target, mode=mode, from_logits=from_logits,
                                               squared=squared, ignore_index=ignore_index, per_image=per_image,
                                               gather=gather)
        loss = 1 - overlap_ratio(2 * intersection, pred + true, smooth=smooth, eps=eps)
        return reduce_classes(loss, reduction, owner="dice", input=input)


dice_loss = DiceLoss.functional

SPEC = LossSpec.of(
    DiceLoss, family="segmentation", source="Milletari, Navab & Ahmadi, V-Net, 3DV 2016", contract=REGION_LOGITS,
    example=class_index_masks, reference=dice_reference, aliases=("dice_loss", "soft_dice"),
    tags={"batch_coupled", "ignore_index", "compile"},
    identities=(
        Identity({"smooth": 0.0}, "tversky", {"alpha": 0.5, "beta": 0.5, "smooth": 0.0},
                 note="Tversky with alpha = beta = 1/2 is Dice"),
    ),
)
