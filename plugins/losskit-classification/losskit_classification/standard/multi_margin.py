"""Multi-class hinge loss of Weston and Watkins / Crammer-Singer style (torch.nn.MultiMarginLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.inputs import check_ndim
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import class_index_logits
from ._classes import CLASS_WEIGHTS, check_class_target, class_weight_tensor, nan_rows
from ._kernel_checks import KERNEL_ERRORS, eager_cpu, holds_nan
from .reference import multi_margin_reference


class MultiMarginLoss(Loss, name="multi_margin", positional=("p", "margin", "class_weights")):
    r"""Multi-class hinge on the margin between the target score and every other score.

    .. math::
        \ell_n = \frac{1}{C} \sum_{c \ne y_n} w_{y_n} \max(0,\ \text{margin} - x_{n,y_n} + x_{n,c})^p

    ``'mean'`` divides by ``N`` (not by the class weights).

    Args:
        p: 1 or 2.
        margin: the margin, ``>= 0``.
        class_weights: one weight per class (applied through the target class), or ``None``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` scores; target ``(N)`` class indices; output ``(N)`` with ``reduction='none'``,
        else a scalar.

    Examples:
        >>> loss = MultiMarginLoss(p=2)
        >>> loss(torch.tensor([[1.0, 0.5, 0.0], [0.0, 0.0, 2.0]]), torch.tensor([0, 2]))
        tensor(0.0417)

    Reference: Weston and Watkins, Support vector machines for multi-class pattern recognition, ESANN 1999.
    Matches ``torch.nn.MultiMarginLoss``.
    """

    p: int = param(1, "exponent of the hinge: 1 or 2", choices=(1, 2))
    margin: float = param(1.0, "required gap between the target score and the others", ge=0.0, finite=True)
    class_weights: tuple[float, ...] | None = CLASS_WEIGHTS
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        p: int,
        margin: float,
        class_weights: tuple[float, ...] | None,
        reduction: Reduction,
    ) -> Tensor:
        trusted = eager_cpu(input)  # torch's kernel refuses a class index out of range
        target = check_class_target("multi_margin", input, target, values=not trusted)
        check_ndim("multi_margin", "input", input, (2,), "(N, C)")
        work = working(input)  # torch has no half-precision CPU kernel
        weights = class_weight_tensor("multi_margin", class_weights, work)
        # torch's own reduction where no row holds a nan (which its kernel would score as a finite number); its
        # 'sum' of an empty batch is not 0
        fused = trusted and input.numel() > 0 and torch_reduces(input, reduction, None) and not holds_nan(input)
        try:
            loss = F.multi_margin_loss(
                work, target, p=p, margin=margin, weight=weights, reduction=reduction if fused else "none"
            )
        except KERNEL_ERRORS:
            check_class_target("multi_margin", input, target)  # the clear error
            raise
        return loss if fused else reduce(output(nan_rows(loss, work), input), reduction, owner="multi_margin")


multi_margin_loss = MultiMarginLoss.functional

SPEC = LossSpec.of(
    MultiMarginLoss,
    family="classification",
    source="Weston and Watkins 1999; torch.nn.MultiMarginLoss",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=multi_margin_reference,
    aliases=("multi_margin_loss", "multiclass_hinge"),
    tags={"no_gradcheck", "compile"},
)
