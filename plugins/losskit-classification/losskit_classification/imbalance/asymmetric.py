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
from ._inputs import MULTILABEL_LOGITS, check_multilabel, power
from .reference import asymmetric_reference

NAME = "asymmetric"


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
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_multilabel(NAME, input, target)
        x, y = working(input), working(target)
        # Positives: (1 - p)^gamma_pos * log p, with log p = log sigmoid(x) (exact where p would underflow).
        positive = (gamma_pos * F.logsigmoid(-x)).exp() * F.logsigmoid(x).clamp(min=math.log(eps))
        # Negatives: p_m^gamma_neg * log(1 - p_m), p_m = max(p - m, 0), so 1 - p_m = min(sigmoid(-x) + m, 1).
        p_m = (torch.sigmoid(x) - clip).clamp(min=0)
        one_minus_p_m = (torch.sigmoid(-x) + clip).clamp(max=1)
        negative = power(p_m, gamma_neg) * one_minus_p_m.clamp(min=eps).log()
        loss = -(y * positive + (1 - y) * negative)
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
