"""Log-cosh loss: the logarithm of the hyperbolic cosine of the residual."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import SAME_SHAPE_VALUES
from losskit.examples import paired_values
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .reference import log_cosh_reference

# Below this |residual| the small-residual form is used; above it the two forms agree to rounding.
_SMALL = 1.0


class LogCoshLoss(Loss, name="log_cosh"):
    r"""Logarithm of the hyperbolic cosine of the residual: about ``r^2 / 2`` near 0, ``|r| - log 2`` far.

    .. math::
        \ell_n = \log\cosh(x_n - y_n) = |r_n| + \operatorname{softplus}(-2|r_n|) - \log 2,
        \quad r_n = x_n - y_n

    Computed without overflow at any residual, and without cancellation near 0.

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape (no broadcasting);
        output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = LogCoshLoss(reduction="sum")
        >>> loss(torch.zeros(2), torch.tensor([0.0, 100.0]))
        tensor(99.3069)

    Reference: Neuneier, Zimmermann, How to Train Neural Networks, in Neural Networks: Tricks of
    the Trade, LNCS 1524, 1998; Saleh, Saleh, Statistical Properties of the log-cosh Loss Function
    Used in Machine Learning, arXiv:2208.04564, 2022.
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("log_cosh", input, target)
        r = working(input) - target
        a = r.abs()
        # cosh overflows for |r| > ~89 in float32, so large residuals use |r| + softplus(-2|r|) - log 2.
        large = a + F.softplus(-2 * a) - math.log(2)
        # That form cancels for small |r| (log cosh r ~ r^2 / 2); there log1p(2 sinh^2(r/2)) is exact.
        # The clamp keeps sinh finite where this branch is not selected, so its gradient stays 0, not nan.
        small = torch.log1p(2 * torch.sinh(r.clamp(-_SMALL, _SMALL) / 2).square())
        return reduce(output(torch.where(a < _SMALL, small, large), input), reduction, weight=weight, owner="log_cosh")


log_cosh_loss = LogCoshLoss.functional

SPEC = LossSpec.of(
    LogCoshLoss, family="regression",
    source="Neuneier & Zimmermann, Neural Networks: Tricks of the Trade 1998; Saleh & Saleh, arXiv:2208.04564",
    contract=SAME_SHAPE_VALUES, example=paired_values(), reference=log_cosh_reference,
    aliases=("logcosh",), tags={"weight", "compile"},
)
