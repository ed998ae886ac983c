"""Multi-label one-versus-all logistic loss, averaged over classes (torch.nn.MultiLabelSoftMarginLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.inputs import check_floating, check_ndim, check_same_shape, check_values_in
from losskit.reduction import Reduction, reduce

from .._examples import multilabel_logits
from ._classes import CLASS_WEIGHTS, class_weight_tensor
from .reference import multilabel_soft_margin_reference


def multilabel_soft_margin_loss(
    input: Tensor, target: Tensor, *, class_weights: tuple[float, ...] | None = None, reduction: Reduction = "mean"
) -> Tensor:
    """Functional form of :class:`MultiLabelSoftMarginLoss`."""
    owner = "multilabel_soft_margin"
    check_same_shape(owner, input, target)
    check_floating(owner, "input", input)
    check_floating(owner, "target", target)
    check_ndim(owner, "input", input, (2,), "(N, C)")
    check_values_in(owner, "target", target, 0.0, 1.0, "Targets are multi-hot {0, 1} per class.")
    weights = class_weight_tensor(owner, class_weights, input)
    loss = F.multilabel_soft_margin_loss(input, target, weight=weights, reduction="none")
    return reduce(loss, reduction, owner=owner)


class MultiLabelSoftMarginLoss(Loss):
    r"""Per-class logistic loss, averaged over the classes of each sample.

    .. math::
        \ell_n = -\frac{1}{C} \sum_c w_c \big(y_{n,c} \log \sigma(x_{n,c}) + (1 - y_{n,c}) \log \sigma(-x_{n,c})\big)

    ``'mean'`` divides by ``N``. Equal to ``bce_with_logits`` averaged over the class dim.

    Args:
        class_weights: one weight per class, or ``None``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N, C)`` in ``{0, 1}``; output ``(N)`` with ``reduction='none'``,
        else a scalar.

    Examples:
        >>> loss = MultiLabelSoftMarginLoss()
        >>> loss(torch.randn(4, 3), torch.randint(0, 2, (4, 3)).float())

    Reference: Cox, The regression analysis of binary sequences, JRSS B 1958 (one logistic model per class).
    Matches ``torch.nn.MultiLabelSoftMarginLoss``.
    """

    loss_name = "multilabel_soft_margin"
    params = (CLASS_WEIGHTS, reduction_param())

    def __init__(self, *, class_weights: tuple[float, ...] | None = None, reduction: Reduction = "mean") -> None:
        super().__init__(class_weights=class_weights, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return multilabel_soft_margin_loss(input, target, class_weights=self.class_weights, reduction=self.reduction)


SPEC = LossSpec(
    name="multilabel_soft_margin",
    aliases=("multilabel_soft_margin_loss",),
    factory=MultiLabelSoftMarginLoss,
    summary="per-class logistic loss averaged over classes (multi-hot targets)",
    family="classification",
    source="Cox 1958 (logistic regression); torch.nn.MultiLabelSoftMarginLoss",
    contract=InputContract(
        input="logits",
        target="binary",
        input_shape="(N, C)",
        target_shape="(N, C)",
        output_shape="(N,) with reduction='none', else ()",
    ),
    example=multilabel_logits,
    reference=multilabel_soft_margin_reference,
    functional=multilabel_soft_margin_loss,
)
