"""Binary cross-entropy on logits, with a per-class positive weight (torch.nn.BCEWithLogitsLoss)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import BINARY_LOGITS
from losskit.errors import LossInputError
from losskit.inputs import check_value_target, check_values_in
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import multilabel_logits
from .reference import bce_with_logits_reference


def _pos_weight_tensor(pos_weight: tuple[float, ...] | None, input: Tensor) -> Tensor | None:
    if pos_weight is None:
        return None
    classes = input.shape[-1] if input.dim() else 1
    if len(pos_weight) not in (1, classes):
        raise LossInputError(
            f"bce_with_logits: pos_weight has {len(pos_weight)} values but the input's last dim has {classes} "
            "classes. Give one value per class, or a single value."
        )
    return torch.tensor(pos_weight, dtype=input.dtype, device=input.device)


class BCEWithLogitsLoss(Loss, name="bce_with_logits"):
    r"""Binary cross-entropy of ``sigmoid(x)``, computed stably from the logits, with a positive weight per class.

    .. math::
        \ell_n = -\big(p_c\, y_n \log \sigma(x_n) + (1 - y_n) \log \sigma(-x_n)\big)

    where :math:`p_c` is ``pos_weight`` of the class :math:`c` (the last dim) of element :math:`n`.

    Args:
        pos_weight: one weight per class (last input dim), a single value, or ``None``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights (the mean divides by the number of
        elements).

    Examples:
        >>> loss = BCEWithLogitsLoss(pos_weight=(2.0, 1.0))
        >>> loss(torch.tensor([[1.0, -1.0], [0.0, 2.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        tensor(0.4400)

    Reference: Cox, The regression analysis of binary sequences, JRSS B 1958.
    Matches ``torch.nn.BCEWithLogitsLoss``.
    """

    pos_weight: tuple[float, ...] | None = param(
        None, "weight of the positive term per class (length of the last input dim, or 1), or None", ge=0, finite=True
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        pos_weight: tuple[float, ...] | None,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        owner = "bce_with_logits"
        target = check_value_target(owner, input, target)
        check_values_in(owner, "target", target, 0.0, 1.0)
        x = working(input)
        fused = torch_reduces(input, reduction, weight)  # torch's own reduction: one autograd node
        loss = F.binary_cross_entropy_with_logits(
            x, target, pos_weight=_pos_weight_tensor(pos_weight, x), reduction=reduction if fused else "none"
        )
        return loss if fused else reduce(output(loss, input), reduction, weight=weight, owner=owner)


bce_with_logits_loss = BCEWithLogitsLoss.functional

SPEC = LossSpec.of(
    BCEWithLogitsLoss,
    family="classification",
    source="Cox 1958 (logistic regression); torch.nn.BCEWithLogitsLoss",
    contract=BINARY_LOGITS,
    example=multilabel_logits,
    reference=bce_with_logits_reference,
    aliases=("binary_cross_entropy_with_logits", "sigmoid_cross_entropy"),
    tags={"weight", "compile"},
)
