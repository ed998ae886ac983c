"""Softmax (multi-class) focal loss (Lin et al., Focal Loss for Dense Object Detection, ICCV 2017)."""

from __future__ import annotations

import numbers
from typing import Any

import torch
from torch import Tensor

from losskit import Identity, Loss, LossSpec, Param, ignore_index_param, param, reduction_param
from losskit.contract import DENSE_CLASS_LOGITS
from losskit.errors import LossInputError
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from .._kernels import Kernel, fast_power
from ._classes import check_class_target
from .reference import focal_reference

#: Shared with sigmoid_focal.
GAMMA = Param("gamma", 2.0, "focusing parameter: 0 gives cross-entropy, larger down-weights easy examples", ge=0.0, finite=True)


Alpha = float | tuple[float, ...] | None


def _alpha_of_target(alpha: Alpha, target: Tensor, input: Tensor) -> Tensor | float:
    if alpha is None or isinstance(alpha, numbers.Real):
        return 1.0 if alpha is None else float(alpha)
    if len(alpha) != input.shape[1]:
        raise LossInputError(
            f"focal: alpha has {len(alpha)} values but the input has {input.shape[1]} classes along dim 1. "
            "Give one value per class, or a single float."
        )
    return torch.tensor(alpha, dtype=input.dtype, device=input.device)[target]


class _SoftmaxFocalKernel(Kernel):
    r"""The loss :math:`-(1 - p_y)^\gamma \log p_y` of every position (no alpha, no ignore_index), its derivative
    a multiple of cross-entropy's:

    .. math::
        \frac{\partial \ell}{\partial x_c} = A\,(p_c - [c = y]),\qquad
        A = u^\gamma \Big(1 - \gamma \frac{p_y \log p_y}{u}\Big),\quad u = 1 - p_y,

    (with :math:`\log(1 - p_y)` differentiated as :math:`\log \sum_{c \ne y} e^{x_c} - \log \sum_c e^{x_c}`).
    :math:`u = \sum_{c \ne y} p_c` is summed from the other classes, exact where :math:`1 - p_y` rounds to 0, and
    :math:`\log p_y` is :math:`\log(1 - u)` where :math:`u < 1/2`, so :math:`-\log(p_y)/u \to 1` stays accurate
    as :math:`u \to 0` (:math:`u` is clamped to the smallest normal number there, where :math:`\log p_y = 0`).
    The fused forward saves one log-normaliser and one :math:`A` per position besides the logits and targets;
    the backward recomputes the softmax from them.
    """

    name = "focal"

    def value(self, x: Tensor, target: Tensor, gamma: float, alpha: Alpha, ignore_index: int) -> Tensor:
        kept = target != ignore_index
        index = torch.where(kept, target, 0)
        log_norm = x.logsumexp(dim=1)
        loss = log_norm - x.gather(1, index.unsqueeze(1)).squeeze(1)
        if gamma > 0 and x.shape[1] > 1:
            # log(1 - p_y) = logsumexp of the other logits - logsumexp of all: finite for finite logits, even
            # where p_y rounds to 1, so (1 - p_y)^gamma = exp(gamma * log(1 - p_y)) has a finite gradient for
            # every gamma (the naive (1 - p)**gamma gives 0 * inf = nan there when gamma < 1).
            is_target = torch.zeros_like(x, dtype=torch.bool).scatter_(1, index.unsqueeze(1), True)
            log_rest = x.masked_fill(is_target, float("-inf")).logsumexp(dim=1) - log_norm
            loss = loss * torch.exp(gamma * log_rest)
        return torch.where(kept, loss * _alpha_of_target(alpha, index, x), 0)

    def fused(
        self, x: Tensor, target: Tensor, gamma: float, alpha: Alpha, ignore_index: int
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        kept = (target != ignore_index).unsqueeze(1)
        at = target.unsqueeze(1).masked_fill(~kept, 0)
        # The weight of each position: alpha_y, 0 where ignored (a NaN logit there stays out of the loss).
        weight = kept.to(x.dtype)
        if alpha is not None:
            weight.mul_(_alpha_of_target(alpha, at, x))
        log_p_all = torch.log_softmax(x, dim=1)
        log_p = log_p_all.gather(1, at)
        log_norm = x[:, :1] - log_p_all[:, :1]
        if gamma == 0:
            return torch.where(kept, log_p.mul_(weight), 0).neg_().squeeze(1), (at, log_norm, weight)
        u = log_p_all.exp_().scatter_(1, at, 0).sum(dim=1, keepdim=True)  # 1 - p_y from the other classes
        log_p = torch.where(u < 0.5, u.neg().log1p_(), log_p)
        scale = fast_power(u, gamma).mul_(weight)
        # A = alpha_y u^gamma (1 + gamma r), r = -log(p_y) p_y / u
        r = log_p.exp().mul_(log_p).div_(u.clamp_min(torch.finfo(u.dtype).tiny))
        a = r.mul_(-gamma).add_(1).mul_(scale)
        return torch.where(kept, log_p.mul_(scale).neg_(), 0).squeeze(1), (at, log_norm, a)

    def backward(
        self, x: Tensor, target: Tensor, saved: tuple[Tensor, ...], grad: Tensor, *params: Any
    ) -> Tensor:
        at, log_norm, a = saved
        g = grad.unsqueeze(1) * a
        return torch.sub(x, log_norm).exp_().mul_(g).scatter_add_(1, at, g.neg_())


_KERNEL = _SoftmaxFocalKernel()


class FocalLoss(Loss, name="focal"):
    r"""Softmax focal loss: cross-entropy scaled by :math:`(1 - p)^\gamma`, which down-weights
    well-classified examples, with a per-class ``alpha``.

    .. math::
        \ell_n = -\alpha_{y_n} (1 - p_{n,y_n})^{\gamma} \log p_{n,y_n},
        \qquad p_n = \operatorname{softmax}(x_n)

    :math:`\alpha_{y_n}` is ``alpha[y_n]`` for a per-class tuple, ``alpha`` for a float, 1 for ``None``.
    ``'mean'`` divides by the number of targets that are not ``ignore_index`` (not by the alphas, and
    not by the number of classes: the one-hot "mean over N*C" of some implementations is C times smaller).
    With ``gamma=0`` and ``alpha=None`` it is :class:`CrossEntropyLoss`.

    :math:`(1-p)^\gamma` is computed from :math:`1 - p` summed over the other classes (a logsumexp over them in
    the plain formula), never as a difference with 1, so values and gradients stay finite at saturated logits for every
    :math:`\gamma \ge 0`, including :math:`0 < \gamma < 1`. Half precision is computed in float32.
    The loss and its gradient factor are computed in one fused pass; the backward keeps the logits, the targets
    and two numbers per position (no full-size intermediate), and a double backward differentiates the plain
    formula.

    Args:
        gamma: focusing parameter, ``>= 0``.
        alpha: a float, one value per class, or ``None``.
        ignore_index: target value that is skipped.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` or ``(N, C, d1, ...)`` logits; target ``(N)`` / ``(N, d1, ...)`` class indices;
        output the target's shape with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = FocalLoss(gamma=2.0, alpha=(0.25, 0.75))
        >>> loss(torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), torch.tensor([0, 1, 1]))
        tensor(0.1813)

    Reference: Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017, eq. (5),
    with the softmax generalisation of its appendix.
    """

    gamma: float = GAMMA
    alpha: float | tuple[float, ...] | None = param(
        None, "class balancing weight: one float for every class, one per class (length C), or None", ge=0.0, finite=True
    )
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        gamma: float,
        alpha: float | tuple[float, ...] | None,
        ignore_index: int,
        reduction: Reduction,
    ) -> Tensor:
        target = check_class_target("focal", input, target, ignore_index=ignore_index)
        loss = _KERNEL(working(input), target, gamma, alpha, ignore_index)
        return output(reduce(loss, reduction, denominator=(target != ignore_index).sum(), owner="focal"), input)


focal_loss = FocalLoss.functional

SPEC = LossSpec.of(
    FocalLoss,
    family="classification",
    source="Lin et al. 2017, Focal Loss for Dense Object Detection, ICCV",
    contract=DENSE_CLASS_LOGITS,
    example=class_index_logits,
    reference=focal_reference,
    aliases=("focal_loss", "softmax_focal"),
    tags={"ignore_index", "compile"},
    identities=(Identity({"gamma": 0.0}, "cross_entropy", note="focal with gamma=0 and no alpha is cross-entropy"),),
    mean_denominator="non_ignored",
)
