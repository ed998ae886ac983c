"""Multi-label hinge loss between every label's score and every non-label's (torch.nn.MultiLabelMarginLoss)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.errors import LossInputError
from losskit.inputs import check_ndim, check_same_shape
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import padded_label_lists
from ._classes import nan_rows
from ._kernel_checks import KERNEL_ERRORS, eager_cpu, holds_nan
from .reference import multilabel_margin_reference


def _check_label_lists(input: Tensor, target: Tensor, *, values: bool = True) -> Tensor:
    """Label lists of any integer dtype, returned as int64 (torch's kernel takes nothing else);
    ``values=False``: not the values, which torch's CPU kernel range-checks itself."""
    owner = "multilabel_margin"
    check_same_shape(owner, input, target, floating=True)
    check_ndim(owner, "input", input, (2,), "(N, C)")
    if target.is_floating_point() or target.dtype == torch.bool or target.is_complex():
        raise LossInputError(
            f"{owner}: target must hold integer label indices padded with -1 (e.g. [3, 0, -1, -1]), "
            f"got {target.dtype}. For a {{0, 1}} multi-hot target use multilabel_soft_margin or bce_with_logits."
        )
    target = target.long()
    if values and target.numel() and not bool(((target >= -1) & (target < input.shape[1])).all()):
        bad = target[(target < -1) | (target >= input.shape[1])][0].item()
        raise LossInputError(
            f"{owner}: target values must be label indices in [0, {input.shape[1]}) or -1 (padding), got {bad}."
        )
    return target


class MultiLabelMarginLoss(Loss, name="multilabel_margin"):
    r"""Multi-label hinge between the scores of a sample's labels and those of its non-labels
    (targets: ``-1``-padded label lists).

    .. math::
        \ell_n = \frac{1}{C} \sum_{j \in Y_n} \sum_{i \notin Y_n} \max(0,\ 1 - (x_{n,j} - x_{n,i}))

    where :math:`Y_n` is the set of labels of sample :math:`n`: the entries of ``target[n]`` before its
    first ``-1``. ``'mean'`` divides by ``N``. Not tagged ``compile``: under ``torch.compile`` (torch 2.13,
    aot_eager) the decomposition of ``F.multilabel_margin_loss`` does not stop at the first ``-1`` and gives
    another value than the eager kernel.

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` scores; target ``(N, C)`` ``torch.long`` label indices padded with ``-1``;
        output ``(N)`` with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = MultiLabelMarginLoss()
        >>> loss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]]))  # labels {3, 0}
        tensor(0.8500)

    Reference: Zhang and Zhou, Multilabel neural networks with applications to functional genomics and text
    categorization (BP-MLL), IEEE TKDE 2006. Matches ``torch.nn.MultiLabelMarginLoss``.
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction) -> Tensor:
        trusted = eager_cpu(input)  # torch's kernel refuses a label index out of range
        target = _check_label_lists(input, target, values=not trusted)
        work = working(input)  # torch has no half-precision CPU kernel
        # torch's own reduction where no row holds a nan (which its kernel would score as a finite number); its
        # 'sum' of an empty batch is not 0
        fused = trusted and input.numel() > 0 and torch_reduces(input, reduction, None) and not holds_nan(input)
        try:
            loss = F.multilabel_margin_loss(work, target, reduction=reduction if fused else "none")
        except KERNEL_ERRORS:
            _check_label_lists(input, target)  # the clear error
            raise
        return loss if fused else reduce(output(nan_rows(loss, work), input), reduction, owner="multilabel_margin")


multilabel_margin_loss = MultiLabelMarginLoss.functional

SPEC = LossSpec.of(
    MultiLabelMarginLoss,
    family="classification",
    source="Zhang and Zhou 2006 (BP-MLL); torch.nn.MultiLabelMarginLoss",
    contract=CLASS_LOGITS.with_shapes(target="(N, C) label indices, -1 padded"),
    example=padded_label_lists,
    reference=multilabel_margin_reference,
    aliases=("multilabel_margin_loss",),
    tags={"no_gradcheck"},
)
