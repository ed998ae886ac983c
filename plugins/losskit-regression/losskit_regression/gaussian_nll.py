"""Gaussian negative log-likelihood with a predicted variance (as torch.nn.GaussianNLLLoss)."""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.errors import LossInputError
from losskit.inputs import check_floating, check_value_target, check_values_in
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from ._examples import values_with_variance
from .reference import gaussian_nll_reference


def _variance_like(input: Tensor, var: Tensor | float) -> Tensor:
    """``var`` as a tensor that broadcasts against ``input`` under torch's shape rules."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        var = torch.full_like(input, float(var))
    check_floating("gaussian_nll", "var", var)
    if var.shape == input.shape:
        return var
    if var.shape == input.shape[:-1]:  # one variance per row of the last dimension
        return var.unsqueeze(-1)
    mismatched = [v for i, v in zip(input.shape, var.shape) if i != v]
    if var.dim() == input.dim() and mismatched == [1]:  # shared along exactly one dimension
        return var
    raise LossInputError(
        f"gaussian_nll: var must have the input shape {tuple(input.shape)}, that shape without its last "
        f"dimension, or that shape with one dimension of size 1, got {tuple(var.shape)}. Reshape var, "
        "or pass a float for one variance shared by every element."
    )


class GaussianNLLLoss(Loss, name="gaussian_nll", inputs=("input", "target", "var")):
    r"""Negative log-likelihood of the target under a Gaussian with the predicted mean and variance.

    .. math::
        \ell_n = \tfrac12 \left(\log \max(\sigma_n^2, \varepsilon)
                 + \frac{(x_n - y_n)^2}{\max(\sigma_n^2, \varepsilon)}\right)
                 + \mathbb{1}[\text{full}]\, \tfrac12 \log 2\pi

    Args:
        full: add the constant ``log(2 pi) / 2``.
        eps: lower clamp of the variance (value only; the gradient passes unchanged, as in torch), ``> 0``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input (mean) and target ``(N, *)``, the same shape (no broadcasting); output
        ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``var`` (required; third by position, as torch's ``loss(input, target, var)``): variances ``>= 0``,
        of the input shape, of that shape without its last dimension, of that shape with one dimension
        of size 1, or a float.
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = GaussianNLLLoss()
        >>> loss(torch.zeros(2), torch.tensor([1.0, -1.0]), torch.ones(2))  # torch's order; or var=...
        tensor(0.5000)

    Reference: Nix, Weigend, Estimating the Mean and Variance of the Target Probability
    Distribution, ICNN 1994. Matches ``torch.nn.GaussianNLLLoss``, except that target must
    have the input's shape and an invalid var raises ``LossInputError``.
    """

    full: bool = param(False, "add the constant log(2 pi) / 2")
    eps: float = param(1e-6, "lower clamp of the variance, for stability", gt=0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        full: bool,
        eps: float,
        reduction: Reduction,
        var: Tensor | float,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_value_target("gaussian_nll", input, target)
        var = _variance_like(input, var)
        check_values_in("gaussian_nll", "var", var, 0.0, math.inf, "Variances cannot be negative.")
        # Clamped to eps in value only, as torch does: the gradient reaches var unchanged.
        var = var + (var.clamp(min=eps) - var).detach()
        loss = 0.5 * (torch.log(working(var)) + (working(input) - target).square() / working(var))
        if full:
            loss = loss + 0.5 * math.log(2 * math.pi)
        return reduce(output(loss, input), reduction, weight=weight, owner="gaussian_nll")


gaussian_nll_loss = GaussianNLLLoss.functional

SPEC = LossSpec.of(
    GaussianNLLLoss, family="regression", source="Nix & Weigend, ICNN 1994; torch.nn.GaussianNLLLoss",
    contract=SAME_SHAPE_VALUES, example=values_with_variance, reference=gaussian_nll_reference,
    aliases=("gaussian",), tags={"weight", "compile"},
)
