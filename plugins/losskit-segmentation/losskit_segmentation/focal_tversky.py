"""Focal Tversky loss (Abraham & Khan, ISBI 2019)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Identity, Loss, LossSpec, ignore_index_param, param, reduction_param
from losskit.reduction import Reduction

from ._examples import class_index_masks
from ._inputs import REGION_LOGITS
from ._overlap import reduce_classes
from ._params import ALPHA, BETA, EPS, FROM_LOGITS, GATHER, MODE, PER_IMAGE, SMOOTH
from .reference import focal_tversky_reference
from .tversky import tversky_index


class FocalTverskyLoss(Loss, name="focal_tversky"):
    r"""Focal Tversky loss: the Tversky loss of each class raised to the power ``1 / gamma``.

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
        gather: with ``per_image=False``, under ``torch.distributed``: every rank's batch (default), else this rank's.
        ignore_index: target value of pixels to leave out.
        reduction: ``'none'`` | ``'sum'`` | ``'mean'`` of the per-class losses.

    Shape:
        as :class:`~losskit_segmentation.dice.DiceLoss`.

    Examples:
        >>> logits = torch.tensor([[[[2.0, -1.0], [0.5, -2.0]], [[-2.0, 1.0], [0.0, 2.0]]]])  # (1, 2, 2, 2)
        >>> target = torch.tensor([[[0, 1], [1, 1]]])  # class indices (1, 2, 2)
        >>> FocalTverskyLoss(gamma=4 / 3)(logits, target)
        tensor(0.2935)

    Reference: Abraham, Khan. A Novel Focal Tversky Loss Function with Improved Attention U-Net for Lesion
    Segmentation. ISBI 2019, eqs. (3)-(4).
    """

    mode: str = MODE
    from_logits: bool = FROM_LOGITS
    alpha: float = ALPHA
    beta: float = BETA
    gamma: float = param(
        4 / 3,
        "focal parameter: the loss is (1 - TI)^(1/gamma); the paper uses gamma in [1, 3] (4/3 in its experiments), "
        "gamma = 1 is the Tversky loss",
        gt=0.0,
        finite=True,
    )
    smooth: float = SMOOTH
    eps: float = EPS
    per_image: bool = PER_IMAGE
    gather: bool = GATHER
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, mode: str, from_logits: bool, alpha: float, beta: float, gamma: float,
                smooth: float, eps: float, per_image: bool, gather: bool, ignore_index: int,
                reduction: Reduction) -> Tensor:
        distance = 1 - tversky_index(input, target, owner="focal_tversky", mode=mode, from_logits=from_logits,
                                     alpha=alpha, beta=beta, smooth=smooth, eps=eps, per_image=per_image, gather=gather,
                                     ignore_index=ignore_index)
        # d^(1/gamma) has an infinite slope at d = 0 when gamma > 1: below eps the value is exact, the gradient 0.
        loss = torch.where(
            distance > eps, distance.clamp_min(eps).pow(1 / gamma), distance.detach().clamp_min(0).pow(1 / gamma)
        )
        return reduce_classes(loss, reduction, owner="focal_tversky", input=input)


focal_tversky_loss = FocalTverskyLoss.functional

SPEC = LossSpec.of(
    FocalTverskyLoss, family="segmentation", source="Abraham & Khan, ISBI 2019", contract=REGION_LOGITS,
    example=class_index_masks, reference=focal_tversky_reference, aliases=("focal_tversky_loss",),
    tags={"batch_coupled", "ignore_index", "compile"},
    identities=(Identity({"gamma": 1.0}, "tversky", note="focal Tversky with gamma = 1 is Tversky"),),
)
