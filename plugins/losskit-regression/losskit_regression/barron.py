"""The general robust loss of Barron, "A General and Adaptive Robust Loss Function", CVPR 2019."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_same_shape
from losskit.precision import working
from losskit.reduction import Reduction, reduce

from .reference import barron_reference


def _rho(z: Tensor, alpha: float) -> Tensor:
    """The loss as a function of ``z = (x / c)^2``, exact at the limits and stable near them."""
    if alpha == 2:
        return 0.5 * z
    if alpha == 0:
        return torch.log1p(0.5 * z)
    if alpha == -math.inf:
        return -torch.expm1(-0.5 * z)
    if alpha == math.inf:
        return torch.expm1(0.5 * z)
    # |a-2|/a ((z/|a-2| + 1)^(a/2) - 1) written with expm1/log1p, which tends smoothly to the
    # a=0 and a=2 limits. |a-2| and |a| are kept >= machine epsilon (as the authors' code does)
    # so that an alpha within rounding of a limit does not divide by zero.
    eps = torch.finfo(z.dtype).eps
    b = max(abs(alpha - 2), eps)
    a = math.copysign(max(abs(alpha), eps), alpha)
    return (b / a) * torch.expm1(0.5 * a * torch.log1p(z / b))


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
        check_same_shape("barron", input, target, floating=True)
        r = input - target
        # pow/log1p/expm1 in 16-bit floats lose several percent at large residuals: compute in float32.
        z = working(r).div(scale).square()
        return reduce(_rho(z, alpha).to(r.dtype), reduction, weight=weight, owner="barron")


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
