"""Sigmoid (binary / multi-label) focal loss (Lin et al., ICCV 2017), as torchvision.ops.sigmoid_focal_loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.inputs import check_floating, check_same_shape, check_values_in
from losskit.params import validate_params
from losskit.reduction import Reduction, reduce

from .._examples import multilabel_logits
from .focal import GAMMA
from .reference import sigmoid_focal_reference


def sigmoid_focal_loss(
    input: Tensor,
    target: Tensor,
    *,
    alpha: float | None = 0.25,
    gamma: float = 2.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`SigmoidFocalLoss`."""
    owner = "sigmoid_focal"
    if not torch.compiler.is_compiling():  # the Module validated them on construction
        validate_params(owner, SigmoidFocalLoss.params, {"alpha": alpha, "gamma": gamma, "reduction": reduction})
    check_same_shape(owner, input, target)
    check_floating(owner, "input", input)
    check_floating(owner, "target", target)
    check_values_in(owner, "target", target, 0.0, 1.0, "Targets are {0, 1} labels (or probabilities).")
    half = input.dtype in (torch.float16, torch.bfloat16)
    x, y = (input.float(), target.float()) if half else (input, target)
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
    return reduce(loss.to(input.dtype), reduction, weight=weight, owner=owner)


class SigmoidFocalLoss(Loss):
    r"""Binary cross-entropy on logits, down-weighted on well-classified elements.

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
        >>> loss(torch.randn(4, 3), torch.randint(0, 2, (4, 3)).float())

    Reference: Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017, eq. (5).
    """

    loss_name = "sigmoid_focal"
    params = (
        Param("alpha", 0.25, "weight of the positives (negatives get 1 - alpha), or None", ge=0, le=1, nullable=True),
        GAMMA,
        reduction_param(),
    )

    def __init__(self, *, alpha: float | None = 0.25, gamma: float = 2.0, reduction: Reduction = "mean") -> None:
        super().__init__(alpha=alpha, gamma=gamma, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return sigmoid_focal_loss(
            input, target, alpha=self.alpha, gamma=self.gamma, weight=weight, reduction=self.reduction
        )


SPEC = LossSpec(
    name="sigmoid_focal",
    aliases=("binary_focal", "sigmoid_focal_loss"),
    factory=SigmoidFocalLoss,
    summary="sigmoid focal loss for binary / multi-label targets (torchvision's sigmoid_focal_loss)",
    family="classification",
    source="Lin et al. 2017, Focal Loss for Dense Object Detection, ICCV; torchvision.ops.sigmoid_focal_loss",
    contract=InputContract(input="logits", target="binary"),
    example=multilabel_logits,
    reference=sigmoid_focal_reference,
    functional=sigmoid_focal_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(
        Identity({"gamma": 0.0, "alpha": None}, "bce_with_logits", note="with gamma=0 and alpha=None it is BCE"),
    ),
)
