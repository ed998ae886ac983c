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
from .._kernels import COMPILED, Kernel, fast_power
from .focal import GAMMA
from .reference import sigmoid_focal_reference


class _SigmoidFocalKernel(Kernel):
    r"""The elementwise loss :math:`\alpha_t q^\gamma b`, :math:`q = 1 - p_t`, :math:`b` the binary cross-entropy.

    Its derivative, with :math:`s = \sigma(x)`, :math:`t = \sigma(-x)`, :math:`q = y t + (1 - y) s`
    (so :math:`\partial q / \partial x = (1 - 2y)\, s t`) and :math:`\partial b / \partial x = s - y`:

    .. math::
        \frac{\partial \ell}{\partial x} = \alpha_t q^\gamma
        \Big[(s - y) + \gamma\, b\, \frac{(1 - 2y)\, s t}{q}\Big],

    where :math:`st/q \le 1` stays finite as :math:`q \to 0`, unlike the :math:`q^{\gamma - 1}` of the
    chain rule (infinite at :math:`q = 0` for :math:`\gamma < 1`); :math:`q` is clamped to the smallest
    normal number there, where :math:`st = 0` too.
    """

    name = "sigmoid_focal"

    def value(self, x: Tensor, y: Tensor, alpha: float | None, gamma: float) -> Tensor:
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
        return loss

    def fused(self, x: Tensor, y: Tensor, alpha: float | None, gamma: float) -> tuple[Tensor, tuple[Tensor, ...]]:
        log_s = F.logsigmoid(x)
        log_t = log_s - x  # log sigmoid(-x)
        minus_bce = torch.addcmul(log_t, x, y)  # y log s + (1 - y) log t
        s, t = log_s.exp_(), log_t.exp_()
        derivative = s - y
        scale = None
        if gamma > 0:
            q = torch.lerp(s, t, y)  # exact at y = 0 and y = 1
            ratio = torch.mul(s, t).mul_(y.mul(-2).add_(1)).div_(q.clamp_min(torch.finfo(q.dtype).tiny))
            derivative.sub_(ratio.mul_(minus_bce), alpha=gamma)
            scale = fast_power(q, gamma)
        if alpha is not None:
            weight = y.mul(2 * alpha - 1).add_(1 - alpha)
            scale = weight if scale is None else scale.mul_(weight)
        if scale is not None:
            derivative.mul_(scale)
            minus_bce.mul_(scale)
        return minus_bce.neg_(), (derivative,)

    def backward(
        self, x: Tensor, y: Tensor, saved: tuple[Tensor, ...], grad: Tensor, alpha: float | None, gamma: float
    ) -> Tensor:
        return grad * saved[0]


_KERNEL = _SigmoidFocalKernel()


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

    The loss and its derivative are computed together in one pass (a fused kernel), which keeps only the
    logits, the target and the derivative for the backward; a double backward differentiates the plain
    formula, so second derivatives are exact.

    Args:
        alpha: weight of the positives in ``[0, 1]``, or ``None``.
        gamma: focusing parameter, ``>= 0``.
        compiled: compute through ``torch.compile`` on inputs of at least ``2**16`` elements (opt-in; see
            ``losskit_classification._kernels``): several times faster on CPU once compiled.
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
    compiled: bool = COMPILED
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        alpha: float | None,
        gamma: float,
        compiled: bool,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        owner = "sigmoid_focal"
        y = check_value_target(owner, input, target)  # in the working precision, as x
        check_values_in(owner, "target", y, 0.0, 1.0, "Targets are {0, 1} labels (or probabilities).")
        loss = _KERNEL(working(input), y, alpha, gamma, compiled=compiled)
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
