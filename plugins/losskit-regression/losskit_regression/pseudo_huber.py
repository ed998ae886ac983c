"""Pseudo-Huber (Charbonnier) loss: a smooth Huber (Charbonnier et al. 1994; Hartley & Zisserman)."""

from __future__ import annotations

import torch
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .reference import pseudo_huber_reference


class PseudoHuberLoss(Loss, name="pseudo_huber"):
    r"""Pseudo-Huber (Charbonnier) loss ``delta^2 (sqrt(1 + (r / delta)^2) - 1)``: a smooth Huber loss.

    .. math::
        \ell_n = \delta^2 \left(\sqrt{1 + \left(\frac{x_n - y_n}{\delta}\right)^2} - 1\right)

    Quadratic near zero, slope ``delta`` far away. This is Charbonnier's ``sqrt(r^2 + delta^2)``
    scaled by ``delta`` and shifted to 0 at ``r = 0``; it equals the general robust loss
    (``barron``) with ``alpha=1``, ``scale=delta``, times ``delta^2``.

    Args:
        delta: the residual scale at which the loss turns from quadratic to linear, ``> 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = PseudoHuberLoss(delta=1.0, reduction="none")
        >>> loss(torch.zeros(2), torch.tensor([0.0, 3.0]))
        tensor([0.0000, 2.1623])

    Reference: Charbonnier, Blanc-Féraud, Aubert, Barlaud, Two Deterministic Half-Quadratic
    Regularization Algorithms for Computed Imaging, ICIP 1994; Hartley, Zisserman, Multiple View
    Geometry in Computer Vision, 2nd ed., 2004, appendix 6 (robust cost functions).
    """

    delta: float = param(
        1.0, "residual scale at which the loss turns from quadratic to linear", gt=0, finite=True
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, delta: float, reduction: Reduction, weight: Tensor | None = None
    ) -> Tensor:
        target = check_value_target("pseudo_huber", input, target)
        r = working(input) - target
        # delta^2 (sqrt(1 + u^2) - 1) = r^2 / (sqrt(1 + u^2) + 1), u = r / delta: no cancellation near 0;
        # = delta * r * (r / (hypot(r, delta) + delta)), where |r / (hypot + delta)| < 1: nothing squares r,
        # so nothing overflows unless the loss itself does (r^2 overflows float32 past |r| ~ 1.8e19).
        loss = delta * (r * (r / (torch.hypot(r, torch.full_like(r, delta)) + delta)))
        return reduce(output(loss, input), reduction, weight=weight, owner="pseudo_huber")


pseudo_huber_loss = PseudoHuberLoss.functional

SPEC = LossSpec.of(
    PseudoHuberLoss, family="regression",
    source="Charbonnier et al., ICIP 1994; Hartley & Zisserman, Multiple View Geometry, 2004",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=pseudo_huber_reference,
    aliases=("charbonnier",), tags={"weight", "compile"},
)
