"""Sigmoid (binary / multi-label) focal loss (Lin et al., ICCV 2017), as torchvision.ops.sigmoid_focal_loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import BINARY_LOGITS
from losskit.inputs import check_value_target, check_values_in
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import multilabel_logits
from .focal import GAMMA
from .reference import sigmoid_focal_reference


class SigmoidFocalLoss(Loss, name="sigmoid_focal"):
    r"""Sigmoid focal loss for binary and multi-label targets: binary cross-entropy on logits,
    down-weighted on well-classified elements.

    .. math::
        \ell_n = -\alpha_t (1 - p_t)^{\gamma} \log p_t,\qquad
        p_t = y_n \sigma(x_n) + (1 - y_n)(1 - \sigma(x_n)),\quad
        \alpha_t = \alpha y_n + (1 - \alpha)(1 - y_n)

    Elementwise, like ``torchvision.ops.sigmoid_focal_loss``: ``'none'`` keeps the input's shape and
    ``'mean'`` divides by the number of elements (RetinaNet's normalisation by the number of positive
    anchors is ``reduction='sum'`` divided by that count). ``alpha=None`` disables the balancing
    (torchvision's ``alpha=-1``); with ``gamma=0`` and ``alpha=None`` it is :class:`BCEWithLogitsLoss`.
    Values and gradients stay finite at saturated logits for every :math:`\gamma \ge 0`.

    Args:
        alpha: weight of the positives in ``[0, 1]``, or ``None``.
        gamma: focusing parameter, ``>= 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = SigmoidFocalLoss(alpha=0.25, gamma=2.0)
        >>> loss(torch.tensor([[2.0, -1.0], [0.0, 3.0]]), torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
        tensor(0.5339)

    Reference: Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017, eq. (5).
    """

    alpha: float | None = param(0.25, "weight of the positives (negatives get 1 - alpha), or None", ge=0, le=1)
    gamma: float = GAMMA
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        alpha: float | None,
        gamma: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        owner = "sigmoid_focal"
        y = check_value_target(owner, input, target)  # in the working precision, as x
        check_values_in(owner, "target", y, 0.0, 1.0, "Targets are {0, 1} labels (or probabilities).")
        x = working(input)
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        if gamma > 0:
            # 1 - p_t as a sum of two non-negative terms: exact in both tails, where 1 - sigmoid(x) is not.
            q = y * torch.sigmoid(-x) + (1 - y) * torch.sigmoid(x)
            # q**gamma has an infinite derivative at q = 0 when gamma < 1; where q underflows to 0, its limit
            # (value 0, gradient 0) is used instead of 0 * inf = nan.
            factor = torch.where(q > 0, q.clamp_min(torch.finfo(q.dtype).tiny).pow(gamma), 0)
            loss = loss * factor
        if alpha is not None:
            loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
        return reduce(output(loss, input), reduction, weight=weight, owner=owner)


sigmoid_focal_loss = SigmoidFocalLoss.functional

SPEC = LossSpec.of(
    SigmoidFocalLoss,
    family="classification",
    source="Lin et al. 2017, Focal Loss for Dense Object Detection, ICCV; torchvision.ops.sigmoid_focal_loss",
    contract=BINARY_LOGITS,
    example=multilabel_logits,
    reference=sigmoid_focal_reference,
    aliases=("binary_focal", "sigmoid_focal_loss"),
    tags={"weight", "compile"},
    identities=(
        Identity({"gamma": 0.0, "alpha": None}, "bce_with_logits", note="with gamma=0 and alpha=None it is BCE"),
    ),
)
