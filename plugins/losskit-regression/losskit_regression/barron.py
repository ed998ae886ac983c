"""The general robust loss of Barron, "A General and Adaptive Robust Loss Function", CVPR 2019."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .reference import barron_reference


def _log1p_square(t: Tensor) -> Tensor:
    """``log(1 + t^2)``, forming ``t^2`` only where ``|t| <= 1``: ``2 log|t| + log1p(t^-2)`` beyond, which cannot
    overflow (``t^2`` does past ``|t| ~ 1.8e19`` in float32, and gave an infinite loss with a NaN gradient)."""
    big = t.abs() > 1
    small = torch.log1p(torch.where(big, 0, t).square())
    large = torch.where(big, t.abs(), 1)  # 1 where unused, so that neither branch's gradient is 0 * inf
    return torch.where(big, 2 * large.log() + large.reciprocal().square().log1p(), small)


def _rho(s: Tensor, alpha: float) -> Tensor:
    """The loss as a function of ``s = x / c``, exact at the limits and stable near them.

    ``s^2`` is formed only where the loss grows as fast (``alpha >= 2``) or saturates (Welsch); elsewhere
    ``log1p(s^2 / |a-2|)`` comes from :func:`_log1p_square`, so no finite loss overflows.
    """
    if alpha == 2:
        return 0.5 * s.square()
    if alpha == 0:
        return _log1p_square(s / math.sqrt(2))
    if alpha == -math.inf:
        return -torch.expm1(-0.5 * s.square())
    if alpha == math.inf:
        return torch.expm1(0.5 * s.square())
    # |a-2|/a ((z/|a-2| + 1)^(a/2) - 1), z = s^2, written with expm1/log1p, which tends smoothly to the
    # a=0 and a=2 limits. |a-2| and |a| are kept >= machine epsilon (as the authors' code does)
    # so that an alpha within rounding of a limit does not divide by zero.
    eps = torch.finfo(s.dtype).eps
    b = max(abs(alpha - 2), eps)
    a = math.copysign(max(abs(alpha), eps), alpha)
    return (b / a) * torch.expm1(0.5 * a * _log1p_square(s / math.sqrt(b)))


class BarronLoss(Loss, name="barron"):
    r"""Barron's general robust loss: one shape parameter ``alpha`` spans L2, pseudo-Huber, Cauchy, Geman-McClure
    and Welsch.

    .. math::
        \rho(r, \alpha, c) = \frac{|\alpha - 2|}{\alpha}
            \left( \left( \frac{(r/c)^2}{|\alpha - 2|} + 1 \right)^{\alpha/2} - 1 \right),
        \quad r = x_n - y_n

    with its limits: :math:`\tfrac12 (r/c)^2` at :math:`\alpha = 2` (L2),
    :math:`\log(\tfrac12 (r/c)^2 + 1)` at :math:`\alpha = 0` (Cauchy / Lorentzian),
    :math:`1 - \exp(-\tfrac12 (r/c)^2)` at :math:`\alpha = -\infty` (Welsch / Leclerc) and
    :math:`\exp(\tfrac12 (r/c)^2) - 1` at :math:`\alpha = +\infty`. ``alpha=1`` is pseudo-Huber /
    Charbonnier :math:`\sqrt{(r/c)^2 + 1} - 1`, ``alpha=-2`` is Geman-McClure
    :math:`2 (r/c)^2 / ((r/c)^2 + 4)`. Lower ``alpha`` is more robust: the gradient is bounded
    for ``alpha <= 1`` and redescends for ``alpha < 1``. ``alpha`` is a fixed hyper-parameter here (the paper's
    adaptive variant, which learns it through a likelihood, is not this loss). For ``alpha > 2``
    the loss grows faster than ``r^2`` and overflows at large residuals.

    Args:
        alpha: shape, any real number or ``±inf``; ``0``, ``2`` and ``±inf`` use the exact limits.
        scale: the residual scale ``c`` of the quadratic bowl near 0, ``> 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = BarronLoss(alpha=0.0, scale=1.0, reduction="none")
        >>> loss(torch.zeros(2), torch.tensor([0.0, 2.0]))
        tensor([0.0000, 1.0986])

    Reference: Barron, A General and Adaptive Robust Loss Function, CVPR 2019 (eq. 1 and its
    limit cases); the authors' implementation is ``google-research/robust_loss_pytorch``.
    """

    alpha: float = param(1.0, "shape: 2 is L2, 1 pseudo-Huber, 0 Cauchy, -2 Geman-McClure, -inf Welsch")
    scale: float = param(1.0, "residual scale c of the quadratic bowl around 0", gt=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        alpha: float,
        scale: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_value_target("barron", input, target)
        # pow/log1p/expm1 in 16-bit floats lose several percent at large residuals: compute in float32.
        s = (working(input) - target).div(scale)
        return reduce(output(_rho(s, alpha), input), reduction, weight=weight, owner="barron")


barron_loss = BarronLoss.functional

SPEC = LossSpec.of(
    BarronLoss, family="regression", source="Barron, A General and Adaptive Robust Loss Function, CVPR 2019",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=barron_reference,
    aliases=("general_robust", "robust"), tags={"weight", "compile"},
    identities=(
        Identity(
            {"alpha": 1.0, "scale": 1.0},
            "pseudo_huber",
            {"delta": 1.0},
            note="alpha=1 is pseudo-Huber/Charbonnier; with scale=delta=1 the two agree exactly",
        ),
    ),
)
