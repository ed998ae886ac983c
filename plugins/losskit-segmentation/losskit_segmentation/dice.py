"""Soft Dice loss (Milletari, Navab & Ahmadi, V-Net, 3DV 2016)."""

from __future__ import annotations

from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import probabilities
from ._overlap import class_sums, overlap_ratio, reduce_classes
from ._params import EPS, FROM_LOGITS, IGNORE_INDEX, MODE, PER_IMAGE, SMOOTH, validated
from .reference import dice_reference

SQUARED = Param(
    "squared", False, "square the denominator's terms, sum p^2 + sum g^2, as in V-Net (Milletari et al. 2016)",
    type=bool,
)
PARAMS = (MODE, FROM_LOGITS, SQUARED, SMOOTH, EPS, PER_IMAGE, IGNORE_INDEX, reduction_param())


def dice_loss(
    input: Tensor,
    target: Tensor,
    *,
    mode: str = "multiclass",
    from_logits: bool = True,
    squared: bool = False,
    smooth: float = 1e-5,
    eps: float = 1e-7,
    per_image: bool = True,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`DiceLoss`."""
    validated("dice", PARAMS, dict(mode=mode, from_logits=from_logits, squared=squared, smooth=smooth, eps=eps,
                                   per_image=per_image, ignore_index=ignore_index, reduction=reduction))
    p, g = probabilities("dice", input, target, mode=mode, from_logits=from_logits, ignore_index=ignore_index)
    intersection, pred, true = class_sums(p * g, p * p if squared else p, g, per_image=per_image)
    loss = 1 - overlap_ratio(2 * intersection, pred + true, smooth=smooth, eps=eps)
    return reduce_classes(loss, reduction, owner="dice", dtype=input.dtype)


class DiceLoss(Loss):
    r"""One minus the soft Dice coefficient of each class, averaged over classes (and images).

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
    is not. Pixels whose target is ``ignore_index`` are left out of every sum.

    Args:
        mode: ``'multiclass'`` (softmax, class indices) | ``'binary'`` | ``'multilabel'`` (sigmoid, ``{0, 1}``
            targets); see :mod:`losskit_segmentation._inputs`.
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        squared: squared terms in the denominator (V-Net).
        smooth: ``s >= 0`` added to numerator and denominator.
        eps: floor of the denominator, ``> 0``.
        per_image: one loss per image and class (default), or sums over the batch (batch-coupled; under
            ``torch.distributed`` the sums are all-reduced, giving the global-batch value on every rank).
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'``: the per-class losses, ``(N, C)`` with ``per_image`` else ``(C,)``;
            ``'sum'``: their sum; ``'mean'``: their mean (over classes, and images).

    Shape:
        input ``(N, C, *)``; target ``(N, *)`` class indices (multiclass), ``(N, 1, *)`` or ``(N, *)``
        (binary), ``(N, C, *)`` (multilabel); output ``(N, C)`` or ``(C,)`` with ``reduction='none'``,
        else a scalar. Half and bfloat16 inputs are computed in float32.

    Examples:
        >>> loss = DiceLoss()
        >>> loss(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8)))

    Reference: Milletari, Navab, Ahmadi. V-Net: Fully Convolutional Neural Networks for Volumetric
    Medical Image Segmentation. 3DV 2016, eq. (1) (the squared form).
    """

    loss_name = "dice"
    params = PARAMS

    def __init__(
        self,
        *,
        mode: str = "multiclass",
        from_logits: bool = True,
        squared: bool = False,
        smooth: float = 1e-5,
        eps: float = 1e-7,
        per_image: bool = True,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(mode=mode, from_logits=from_logits, squared=squared, smooth=smooth, eps=eps,
                         per_image=per_image, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return dice_loss(input, target, **self.hparams)


SPEC = LossSpec(
    name="dice",
    aliases=("dice_loss", "soft_dice"),
    factory=DiceLoss,
    summary="1 - soft Dice coefficient per class (V-Net), per image or over the batch",
    family="segmentation",
    source="Milletari, Navab & Ahmadi, V-Net, 3DV 2016",
    contract=InputContract(
        input="logits",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *) class indices; (N, C, *) {0, 1} with mode='binary'/'multilabel'",
        output_shape="(N, C) with per_image, else (C,), with reduction='none'; else ()",
    ),
    example=class_index_masks,
    reference=dice_reference,
    functional=dice_loss,
    tags=frozenset({"batch_coupled", "ignore_index", "compile"}),
    identities=(
        Identity({"smooth": 0.0}, "tversky", {"alpha": 0.5, "beta": 0.5, "smooth": 0.0},
                 note="Tversky with alpha = beta = 1/2 is Dice"),
    ),
)
