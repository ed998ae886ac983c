"""Focal Tversky loss (Abraham & Khan, ISBI 2019)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._overlap import reduce_classes
from ._params import EPS, FROM_LOGITS, IGNORE_INDEX, MODE, PER_IMAGE, SMOOTH, finite, validated
from .reference import focal_tversky_reference
from .tversky import ALPHA, BETA, tversky_index

GAMMA = Param(
    "gamma",
    4 / 3,
    "focal parameter: the loss is (1 - TI)^(1/gamma); the paper uses gamma in [1, 3] (4/3 in its experiments), "
    "gamma = 1 is the Tversky loss",
    gt=0.0,
    check=finite,
)
PARAMS = (MODE, FROM_LOGITS, ALPHA, BETA, GAMMA, SMOOTH, EPS, PER_IMAGE, IGNORE_INDEX, reduction_param())


def focal_tversky_loss(
    input: Tensor,
    target: Tensor,
    *,
    mode: str = "multiclass",
    from_logits: bool = True,
    alpha: float = 0.3,
    beta: float = 0.7,
    gamma: float = 4 / 3,
    smooth: float = 1e-5,
    eps: float = 1e-7,
    per_image: bool = True,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`FocalTverskyLoss`."""
    validated("focal_tversky", PARAMS, dict(
        mode=mode, from_logits=from_logits, alpha=alpha, beta=beta, gamma=gamma, smooth=smooth, eps=eps,
        per_image=per_image, ignore_index=ignore_index, reduction=reduction))
    distance = 1 - tversky_index(input, target, owner="focal_tversky", mode=mode, from_logits=from_logits,
                                 alpha=alpha, beta=beta, smooth=smooth, eps=eps, per_image=per_image,
                                 ignore_index=ignore_index)
    # d^(1/gamma) has an infinite slope at d = 0 when gamma > 1: below eps the value is exact, the gradient 0.
    loss = torch.where(
        distance > eps, distance.clamp_min(eps).pow(1 / gamma), distance.detach().clamp_min(0).pow(1 / gamma)
    )
    return reduce_classes(loss, reduction, owner="focal_tversky", dtype=input.dtype)


class FocalTverskyLoss(Loss):
    r"""The Tversky loss of each class raised to the power :math:`1/\gamma`.

    With :math:`TI_c` the soft Tversky index of :class:`~losskit_segmentation.tversky.TverskyLoss`
    (``alpha`` weighing the false positives, ``beta`` the false negatives):

    .. math::
        \ell_c = \left(1 - TI_c\right)^{1/\gamma}

    exactly as in Abraham & Khan, eq. (4), with :math:`\gamma` in :math:`[1, 3]` (they train with
    :math:`\gamma = 4/3`). For :math:`\gamma > 1` the exponent is below 1: :math:`\ell_c \ge 1 - TI_c`, and
    the slope :math:`\tfrac{1}{\gamma}(1 - TI_c)^{1/\gamma - 1}` grows as :math:`TI_c \to 1`.
    Implementations that write :math:`(1 - TI)^{\gamma}` with :math:`\gamma = 0.75` compute the same loss
    as ours with ``gamma=4/3``. :math:`\gamma = 1` is the Tversky loss. The paper sums over classes; here
    ``'mean'`` averages, like every loss of this family (``'sum'`` gives the paper's sum for one image).

    **Letters.** Abraham & Khan's :math:`\alpha` weighs the false *negatives* and their :math:`\beta` the
    false positives, the opposite of Salehi et al.; we keep Salehi's: ``alpha`` (FP) and ``beta`` (FN),
    so their :math:`\alpha = 0.7, \beta = 0.3` is our default ``alpha=0.3, beta=0.7``.

    Below ``eps`` the distance :math:`1 - TI_c` keeps its exact value but passes no gradient (the slope of
    :math:`d^{1/\gamma}` is infinite at 0 when :math:`\gamma > 1`). Smoothing, absent classes, ignored
    pixels, ``per_image`` and the ``'none'`` output are as in :class:`~losskit_segmentation.dice.DiceLoss`.

    Args:
        mode: ``'multiclass'`` | ``'binary'`` | ``'multilabel'``.
        from_logits: ``input`` holds logits (default) or probabilities.
        alpha: false-positive weight, ``>= 0``.   beta: false-negative weight, ``>= 0``.
        gamma: ``> 0``; the exponent is ``1 / gamma``.
        smooth: ``s >= 0``.   eps: denominator floor, ``> 0``.
        per_image: per-image losses (default) or sums over the (global) batch.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'`` | ``'sum'`` | ``'mean'`` of the per-class losses.

    Shape:
        as :class:`~losskit_segmentation.dice.DiceLoss`.

    Examples:
        >>> loss = FocalTverskyLoss(gamma=4 / 3)
        >>> loss(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8)))

    Reference: Abraham, Khan. A Novel Focal Tversky Loss Function with Improved Attention U-Net for Lesion
    Segmentation. ISBI 2019, eqs. (3)-(4).
    """

    loss_name = "focal_tversky"
    params = PARAMS

    def __init__(
        self,
        *,
        mode: str = "multiclass",
        from_logits: bool = True,
        alpha: float = 0.3,
        beta: float = 0.7,
        gamma: float = 4 / 3,
        smooth: float = 1e-5,
        eps: float = 1e-7,
        per_image: bool = True,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(mode=mode, from_logits=from_logits, alpha=alpha, beta=beta, gamma=gamma, smooth=smooth,
                         eps=eps, per_image=per_image, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return focal_tversky_loss(input, target, **self.hparams)


SPEC = LossSpec(
    name="focal_tversky",
    aliases=("focal_tversky_loss",),
    factory=FocalTverskyLoss,
    summary="(1 - Tversky index)^(1/gamma) per class",
    family="segmentation",
    source="Abraham & Khan, ISBI 2019",
    contract=InputContract(
        input="logits",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *) class indices; (N, C, *) {0, 1} with mode='binary'/'multilabel'",
        output_shape="(N, C) with per_image, else (C,), with reduction='none'; else ()",
    ),
    example=class_index_masks,
    reference=focal_tversky_reference,
    functional=focal_tversky_loss,
    tags=frozenset({"batch_coupled", "ignore_index", "compile"}),
    identities=(Identity({"gamma": 1.0}, "tversky", note="focal Tversky with gamma = 1 is Tversky"),),
)
