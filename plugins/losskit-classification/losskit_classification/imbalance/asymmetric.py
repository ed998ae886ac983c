"""Asymmetric loss for multi-label classification (Ridnik et al., ICCV 2021)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from .._examples import multilabel_logits
from ._inputs import check_multilabel, validated, working
from .reference import asymmetric_reference

NAME = "asymmetric"
PARAMS = (
    Param("gamma_pos", 0.0, "focusing parameter of the positive labels", ge=0.0),
    Param("gamma_neg", 4.0, "focusing parameter of the negative labels", ge=0.0),
    Param("clip", 0.05, "probability margin m: negatives use p_m = max(p - m, 0)", ge=0.0, lt=1.0),
    Param("eps", 1e-8, "probabilities are clamped to at least eps inside the logarithms", gt=0.0, lt=1.0),
    reduction_param(),
)


def _pow(base: Tensor, exponent: float) -> Tensor:
    """``base ** exponent`` for ``base >= 0``, with a finite gradient at ``base == 0``."""
    tiny = torch.finfo(base.dtype).tiny
    return torch.where(base > 0, base.clamp(min=tiny).pow(exponent), torch.zeros_like(base).pow(exponent))


def asymmetric_loss(
    input: Tensor,
    target: Tensor,
    *,
    gamma_pos: float = 0.0,
    gamma_neg: float = 4.0,
    clip: float = 0.05,
    eps: float = 1e-8,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`AsymmetricLoss`."""
    p = validated(
        NAME,
        PARAMS,
        {"gamma_pos": gamma_pos, "gamma_neg": gamma_neg, "clip": clip, "eps": eps, "reduction": reduction},
    )
    check_multilabel(NAME, input, target)
    x, y = working(input), working(target)
    log_eps = math.log(p["eps"])
    # Positives: (1 - p)^gamma_pos * log p, with log p = log sigmoid(x) (exact where p would underflow).
    positive = (p["gamma_pos"] * F.logsigmoid(-x)).exp() * F.logsigmoid(x).clamp(min=log_eps)
    # Negatives: p_m^gamma_neg * log(1 - p_m), p_m = max(p - m, 0), so 1 - p_m = min(sigmoid(-x) + m, 1).
    p_m = (torch.sigmoid(x) - p["clip"]).clamp(min=0)
    one_minus_p_m = (torch.sigmoid(-x) + p["clip"]).clamp(max=1)
    negative = _pow(p_m, p["gamma_neg"]) * one_minus_p_m.clamp(min=p["eps"]).log()
    loss = -(y * positive + (1 - y) * negative)
    return reduce(loss.to(input.dtype), p["reduction"], weight=weight, owner=NAME)


class AsymmetricLoss(Loss):
    r"""Multi-label focal loss with separate focusing for positives and a shifted probability for negatives.

    With :math:`p = \sigma(x_{n,c})` and the shifted probability
    :math:`p_m = \max(p - m, 0)`:

    .. math::
        \ell_{n,c} = -y_{n,c}\,(1 - p)^{\gamma_+} \log p
                     - (1 - y_{n,c})\,p_m^{\gamma_-} \log(1 - p_m).

    :math:`\gamma_- > \gamma_+` down-weights the many easy negatives; the margin
    :math:`m` discards negatives with :math:`p \le m` entirely (and, the paper
    argues, rejects possibly mislabelled negatives with very high :math:`p`).
    As in the authors' code, :math:`\log` is taken of :math:`\max(\cdot, \epsilon)`.
    :math:`\gamma_+ = \gamma_- = m = 0` gives binary cross-entropy.

    Args:
        gamma_pos: :math:`\gamma_+ \ge 0` (paper: 0).
        gamma_neg: :math:`\gamma_- \ge 0` (paper: 4).
        clip: margin :math:`m \in [0, 1)` (paper: 0.05).
        eps: :math:`\epsilon \in (0, 1)`, the smallest probability inside a logarithm.
        reduction: ``'mean'`` (over all ``N * C`` elements) | ``'sum'`` (the authors' code) | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N, C)`` floating, 0 or 1;
        output ``(N, C)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, C)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = AsymmetricLoss(gamma_neg=4, gamma_pos=0, clip=0.05)
        >>> loss(torch.randn(4, 3), torch.randint(0, 2, (4, 3)).float())  # doctest: +SKIP

    Reference: Ridnik, Ben-Baruch, Zamir, Noy, Friedman, Protter, Zelnik-Manor.
    Asymmetric Loss For Multi-Label Classification. ICCV 2021.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        gamma_pos: float = 0.0,
        gamma_neg: float = 4.0,
        clip: float = 0.05,
        eps: float = 1e-8,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip, eps=eps, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return asymmetric_loss(
            input, target, gamma_pos=self.gamma_pos, gamma_neg=self.gamma_neg, clip=self.clip, eps=self.eps,
            weight=weight, reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("asl", "asymmetric_loss"),
    factory=AsymmetricLoss,
    summary="multi-label focal loss with asymmetric focusing and a probability margin on negatives",
    family="classification",
    source="Ridnik et al., Asymmetric Loss For Multi-Label Classification, ICCV 2021",
    contract=InputContract(input="logits", target="binary", input_shape="(N, C)", target_shape="(N, C)",
                           output_shape="(N, C) with reduction='none', else ()"),
    example=multilabel_logits,
    reference=asymmetric_reference,
    functional=asymmetric_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(
        Identity({"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0}, "bce_with_logits",
                 note="asymmetric with no focusing and no margin is binary cross-entropy (up to the eps clamp)"),
    ),
    mean_denominator="elements",
)
