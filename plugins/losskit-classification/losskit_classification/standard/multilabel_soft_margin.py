"""Multi-label one-versus-all logistic loss, averaged over classes (torch.nn.MultiLabelSoftMarginLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import BINARY_LOGITS
from losskit.inputs import check_ndim, check_value_target, check_values_in
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import multilabel_logits
from ._classes import CLASS_WEIGHTS, class_weight_tensor
from .reference import multilabel_soft_margin_reference


class MultiLabelSoftMarginLoss(Loss, name="multilabel_soft_margin", positional=("class_weights",)):
    r"""Per-class logistic loss of multi-hot targets, averaged over the classes of each sample.

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
        >>> loss(torch.tensor([[2.0, -1.0, 0.0], [0.0, 1.0, -3.0]]), torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
        tensor(0.3647)

    Reference: Cox, The regression analysis of binary sequences, JRSS B 1958 (one logistic model per class).
    Matches ``torch.nn.MultiLabelSoftMarginLoss``.
    """

    class_weights: tuple[float, ...] | None = CLASS_WEIGHTS
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor, target: Tensor, *, class_weights: tuple[float, ...] | None, reduction: Reduction
    ) -> Tensor:
        owner = "multilabel_soft_margin"
        target = check_value_target(owner, input, target)
        check_ndim(owner, "input", input, (2,), "(N, C)")
        check_values_in(owner, "target", target, 0.0, 1.0, "Targets are multi-hot {0, 1} per class.")
        x = working(input)
        loss = F.multilabel_soft_margin_loss(x, target, weight=class_weight_tensor(owner, class_weights, x), reduction="none")
        return reduce(output(loss, input), reduction, owner=owner)


multilabel_soft_margin_loss = MultiLabelSoftMarginLoss.functional

SPEC = LossSpec.of(
    MultiLabelSoftMarginLoss,
    family="classification",
    source="Cox 1958 (logistic regression); torch.nn.MultiLabelSoftMarginLoss",
    contract=BINARY_LOGITS.with_shapes(input="(N, C)", target="(N, C)", output="(N,) with reduction='none', else ()"),
    example=multilabel_logits,
    reference=multilabel_soft_margin_reference,
    aliases=("multilabel_soft_margin_loss",),
    tags={"compile"},
)
