"""Logistic loss on ±1 targets (torch.nn.SoftMarginLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.inputs import check_floating, check_same_shape
from losskit.reduction import Reduction, reduce

from .._examples import sign_targets
from ._classes import check_signs
from .reference import soft_margin_reference


def soft_margin_loss(
    input: Tensor, target: Tensor, *, weight: Tensor | None = None, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`SoftMarginLoss`."""
    check_same_shape("soft_margin", input, target)
    check_floating("soft_margin", "input", input)
    check_signs("soft_margin", target)
    # softplus(-y x) = log(1 + exp(-y x)) without the overflow of torch's soft_margin_loss at |x| > 88 (float32)
    return reduce(F.softplus(-target * input), reduction, weight=weight, owner="soft_margin")


class SoftMarginLoss(Loss):
    r"""Logistic loss of a score against a ±1 label: a smooth hinge.

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

    Reference: Cox, The regression analysis of binary sequences, JRSS B 1958. Matches ``torch.nn.SoftMarginLoss``
    where that is finite; torch overflows to ``inf`` for ``-y x`` above ~88 in float32, this stays exact.
    """

    loss_name = "soft_margin"
    params = (reduction_param(),)

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return soft_margin_loss(input, target, weight=weight, reduction=self.reduction)


SPEC = LossSpec(
    name="soft_margin",
    aliases=("soft_margin_loss", "logistic"),
    factory=SoftMarginLoss,
    summary="logistic loss log(1 + exp(-y x)) on ±1 targets",
    family="classification",
    source="Cox 1958 (logistic regression); torch.nn.SoftMarginLoss",
    contract=InputContract(input="logits", target="signs"),
    example=sign_targets,
    reference=soft_margin_reference,
    functional=soft_margin_loss,
    tags=frozenset({"weight"}),
)
