"""Logistic loss on ±1 targets (torch.nn.SoftMarginLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import SIGN_LOGITS
from losskit.inputs import check_value_target
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import sign_targets
from ._classes import check_signs
from ._kernel_checks import eager_cpu, finite
from .reference import soft_margin_reference


class SoftMarginLoss(Loss, name="soft_margin"):
    r"""Logistic loss :math:`\log(1 + e^{-y x})` of a score against a ±1 label: a smooth hinge.

    .. math::
        \ell_n = \log\big(1 + \exp(-y_n x_n)\big)

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape, target in ``{-1, +1}``; output ``(N, *)`` with
        ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights.

    Examples:
        >>> loss = SoftMarginLoss()
        >>> loss(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 1.0]))
        tensor(0.7201)

    Reference: Cox, The regression analysis of binary sequences, JRSS B 1958. Matches ``torch.nn.SoftMarginLoss``
    where that is finite; torch overflows to ``inf`` for ``-y x`` above ~88 in float32, this stays exact.
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("soft_margin", input, target)
        check_signs("soft_margin", target)
        if reduction != "none" and eager_cpu(input) and torch_reduces(input, reduction, weight):
            loss = F.soft_margin_loss(input, target, reduction=reduction)  # one kernel, one autograd node
            if finite(loss):  # else it overflowed (or met an inf or nan), and softplus below is exact
                return loss
        # softplus(-y x) = log(1 + exp(-y x)) without the overflow of torch's soft_margin_loss at |x| > 88 (float32)
        return reduce(output(F.softplus(-target * working(input)), input), reduction, weight=weight, owner="soft_margin")


soft_margin_loss = SoftMarginLoss.functional

SPEC = LossSpec.of(
    SoftMarginLoss,
    family="classification",
    source="Cox 1958 (logistic regression); torch.nn.SoftMarginLoss",
    contract=SIGN_LOGITS,
    example=sign_targets,
    reference=soft_margin_reference,
    aliases=("soft_margin_loss", "logistic"),
    tags={"weight", "compile"},
)
