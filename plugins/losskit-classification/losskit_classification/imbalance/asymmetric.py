"""Asymmetric loss for multi-label classification (Ridnik et al., ICCV 2021)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import multilabel_logits
from .._kernels import COMPILED, Kernel, fast_power
from ._inputs import MULTILABEL_LOGITS, check_multilabel, power
from .reference import asymmetric_reference

NAME = "asymmetric"


class _AsymmetricKernel(Kernel):
    r"""The elementwise loss :math:`-(y P + (1 - y) Q)` of :class:`AsymmetricLoss`, for ``{0, 1}`` targets.

    With :math:`s = \sigma(x)`, :math:`t = \sigma(-x)`, :math:`\lambda = \max(\log s, \log\epsilon)`,
    :math:`p_m = \max(s - m, 0)` and :math:`w = \min(t + m, 1)` (that is, :math:`1 - p_m`):

    .. math::
        P = t^{\gamma_+} \lambda, \qquad
        P' = t^{\gamma_+}\big(t\,[\log s > \log\epsilon] - \gamma_+ s \lambda\big),

        Q = p_m^{\gamma_-} \log\max(w, \epsilon), \qquad
        Q' = [p_m > 0]\, s t \Big(\gamma_- p_m^{\gamma_- - 1} \log\max(w, \epsilon)
             - \frac{p_m^{\gamma_-}}{w} [w > \epsilon]\Big),

    :math:`p_m^{\gamma_- - 1}` taken at :math:`\max(p_m, \text{tiny})` (finite for :math:`\gamma_- < 1`;
    the bracket is 0 where :math:`p_m = 0`).
    """

    name = NAME

    def value(self, x: Tensor, y: Tensor, gamma_pos: float, gamma_neg: float, clip: float, eps: float) -> Tensor:
        # Positives: (1 - p)^gamma_pos * log p, with log p = log sigmoid(x) (exact where p would underflow).
        positive = (gamma_pos * F.logsigmoid(-x)).exp() * F.logsigmoid(x).clamp(min=math.log(eps))
        # Negatives: p_m^gamma_neg * log(1 - p_m), p_m = max(p - m, 0), so 1 - p_m = min(sigmoid(-x) + m, 1).
        p_m = (torch.sigmoid(x) - clip).clamp(min=0)
        one_minus_p_m = (torch.sigmoid(-x) + clip).clamp(max=1)
        negative = power(p_m, gamma_neg) * one_minus_p_m.clamp(min=eps).log()
        return -(y * positive + (1 - y) * negative)

    def fused(
        self, x: Tensor, y: Tensor, gamma_pos: float, gamma_neg: float, clip: float, eps: float
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        log_s = F.logsigmoid(x)
        log_t = log_s - x  # log sigmoid(-x)
        log_eps = math.log(eps)
        clamped = log_s <= log_eps
        lam = log_s.clamp(min=log_eps)
        s, t = log_s.exp_(), log_t.exp()
        # Positives.
        positive_grad = t.masked_fill(clamped, 0)
        if gamma_pos > 0:
            focus = log_t.mul_(gamma_pos).exp_()
            positive_grad.sub_(s * lam, alpha=gamma_pos).mul_(focus)
            positive = lam.mul_(focus)
        else:
            positive = lam
        # Negatives.
        p_m = (s - clip).clamp_(min=0)
        w = (t + clip).clamp_(max=1)
        log_w = w.clamp(min=eps).log_()
        scale = fast_power(p_m, gamma_neg) if gamma_neg > 0 else None
        negative_grad = (s * t).masked_fill_(p_m <= 0, 0)
        inner = (scale / w).neg_() if scale is not None else w.reciprocal().neg_()
        if clip < eps:
            inner.masked_fill_(w <= eps, 0)
        if gamma_neg > 0:
            inner.addcmul_(p_m.clamp(min=torch.finfo(p_m.dtype).tiny).pow_(gamma_neg - 1), log_w, value=gamma_neg)
        negative_grad.mul_(inner)
        negative = log_w.mul_(scale) if scale is not None else log_w
        # y is 0 or 1: -(y P + (1 - y) Q) = -lerp(Q, P, y), the same for the derivatives.
        return torch.lerp(negative, positive, y).neg_(), (torch.lerp(negative_grad, positive_grad, y).neg_(),)

    def backward(self, x: Tensor, y: Tensor, saved: tuple[Tensor, ...], grad: Tensor, *params: float) -> Tensor:
        return grad * saved[0]


_KERNEL = _AsymmetricKernel()


class AsymmetricLoss(Loss, name=NAME):
    r"""Multi-label focal loss with separate focusing for positives and negatives
    and a probability margin on negatives.

    With :math:`p = \sigma(x_{n,c})` and the shifted probability
    :math:`p_m = \max(p - m, 0)`:

    .. math::
        \ell_{n,c} = -y_{n,c}\,(1 - p)^{\gamma_+} \log p
                     - (1 - y_{n,c})\,p_m^{\gamma_-} \log(1 - p_m).

    :math:`\gamma_- > \gamma_+` down-weights the many easy negatives; the margin
    :math:`m` discards negatives with :math:`p \le m` entirely (and, the paper
    argues, rejects possibly mislabelled negatives with very high :math:`p`).
    As in the authors' code, :math:`\log` is taken of :math:`\max(\cdot, \epsilon)`.
    :math:`\gamma_+ = \gamma_- = m = 0` gives binary cross-entropy. The loss and its derivative are computed
    in one fused pass that keeps only the logits, the target and the derivative for the backward.

    Args:
        gamma_pos: :math:`\gamma_+ \ge 0` (paper: 0).
        gamma_neg: :math:`\gamma_- \ge 0` (paper: 4).
        clip: margin :math:`m \in [0, 1)` (paper: 0.05).
        eps: :math:`\epsilon \in (0, 1)`, the smallest probability inside a logarithm.
        compiled: compute through ``torch.compile`` on inputs of at least ``2**16`` elements (opt-in; see
            ``losskit_classification._kernels``): faster on CPU once compiled.
        reduction: ``'mean'`` (over all ``N * C`` elements) | ``'sum'`` (the authors' code) | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N, C)`` floating, 0 or 1;
        output ``(N, C)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, C)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = AsymmetricLoss(gamma_neg=4, gamma_pos=0, clip=0.05, reduction="none")
        >>> loss(torch.tensor([[2.0, -1.0, 0.0]]), torch.tensor([[1.0, 0.0, 0.0]]))
        tensor([[0.1269, 0.0006, 0.0245]])

    Reference: Ridnik, Ben-Baruch, Zamir, Noy, Friedman, Protter, Zelnik-Manor.
    Asymmetric Loss For Multi-Label Classification. ICCV 2021.
    """

    gamma_pos: float = param(0.0, "focusing parameter of the positive labels", ge=0.0, finite=True)
    gamma_neg: float = param(4.0, "focusing parameter of the negative labels", ge=0.0, finite=True)
    clip: float = param(0.05, "probability margin m: negatives use p_m = max(p - m, 0)", ge=0.0, lt=1.0)
    eps: float = param(1e-8, "probabilities are clamped to at least eps inside the logarithms", gt=0.0, lt=1.0)
    compiled: bool = COMPILED
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        gamma_pos: float,
        gamma_neg: float,
        clip: float,
        eps: float,
        compiled: bool,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_multilabel(NAME, input, target)
        loss = _KERNEL(working(input), working(target), gamma_pos, gamma_neg, clip, eps, compiled=compiled)
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


asymmetric_loss = AsymmetricLoss.functional

SPEC = LossSpec.of(
    AsymmetricLoss,
    aliases=("asl", "asymmetric_loss"),
    family="classification",
    source="Ridnik et al., Asymmetric Loss For Multi-Label Classification, ICCV 2021",
    contract=MULTILABEL_LOGITS,
    example=multilabel_logits,
    reference=asymmetric_reference,
    tags={"weight", "compile"},
    identities=(
        Identity({"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0}, "bce_with_logits",
                 note="asymmetric with no focusing and no margin is binary cross-entropy (up to the eps clamp)"),
    ),
    mean_denominator="elements",
)
