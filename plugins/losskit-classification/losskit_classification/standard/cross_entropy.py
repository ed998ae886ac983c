"""Cross-entropy of softmax logits against class indices or class probabilities (torch.nn.CrossEntropyLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, Param, ignore_index_param, reduction_param
from losskit.contract import DENSE_CLASS_LOGITS
from losskit.errors import LossInputError
from losskit.inputs import check_tensor, check_value_target, check_values_in
from losskit.precision import output
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import class_index_logits
from ._classes import CLASS_WEIGHTS, check_class_input, check_class_target, class_weight_tensor, kept_weights
from ._kernel_checks import KERNEL_ERRORS, eager_cpu, finite
from .reference import cross_entropy_reference

#: Shared with linear_cross_entropy.
LABEL_SMOOTHING = Param("label_smoothing", 0.0, "mass moved from the target to a uniform distribution", ge=0.0, le=1.0)


class CrossEntropyLoss(Loss, name="cross_entropy", positional=("class_weights",)):
    r"""Softmax cross-entropy of logits against class indices or class probabilities,
    with class weights, ``ignore_index`` and label smoothing.

    For class indices :math:`y_n` with class weights :math:`w` and smoothing :math:`\varepsilon`, the
    negative log-likelihood of the target class under a softmax over the logits:

    .. math::
        \ell_n = (1-\varepsilon)\, w_{y_n} (-\log p_{n,y_n})
                 + \frac{\varepsilon}{C} \sum_c w_c (-\log p_{n,c}),
        \qquad p_{n,c} = \operatorname{softmax}(x_n)_c

    ``'mean'`` divides the sum by :math:`\sum_n w_{y_n}` over the targets that are not
    ``ignore_index`` (the number of kept targets without class weights). For probability
    targets :math:`q`, :math:`\ell_n = -\sum_c w_c q'_{n,c} \log p_{n,c}` with
    :math:`q' = (1-\varepsilon) q + \varepsilon / C`, and ``'mean'`` divides by the number of samples.

    Args:
        class_weights: one weight per class, or ``None``.
        ignore_index: target value that is skipped (class-index targets only).
        label_smoothing: in ``[0, 1]``.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` or ``(N, C, d1, ...)`` logits; target ``(N)`` / ``(N, d1, ...)`` class indices
        (``torch.long``) or probabilities of the input's shape; output ``(N)`` / ``(N, d1, ...)`` with
        ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), torch.tensor([0, 2]))
        tensor(0.4955)

    Deviation from torch: when every target is ignored, ``'mean'`` gives 0 (torch gives nan).

    Reference: Szegedy et al., Rethinking the Inception Architecture for Computer Vision, CVPR 2016
    (label smoothing). Matches ``torch.nn.CrossEntropyLoss``.
    """

    class_weights: tuple[float, ...] | None = CLASS_WEIGHTS
    ignore_index: int = ignore_index_param()
    label_smoothing: float = LABEL_SMOOTHING
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        class_weights: tuple[float, ...] | None,
        ignore_index: int,
        label_smoothing: float,
        reduction: Reduction,
    ) -> Tensor:
        owner = "cross_entropy"
        check_class_input(owner, input)
        check_tensor(owner, "target", target)
        weights = class_weight_tensor(owner, class_weights, input)
        if target.is_floating_point():
            if target.shape != input.shape:
                raise LossInputError(
                    f"{owner}: a floating target is read as class probabilities and must have the input's shape "
                    f"{tuple(input.shape)}, got {tuple(target.shape)}. For class indices pass target.long()."
                )
            target = check_value_target(owner, input, target)  # any real dtype, in the working precision
            check_values_in(owner, "probability targets", target, 0.0, 1.0, "Each row should be a distribution.")
            fused = torch_reduces(input, reduction, None)  # torch's mean is over the samples too
            loss = F.cross_entropy(
                input, target, weight=weights, ignore_index=ignore_index, label_smoothing=label_smoothing,
                reduction=reduction if fused else "none",
            )
            return loss if fused else output(reduce(loss, reduction, owner=owner), input)
        trusted = eager_cpu(input)  # torch's nll_loss refuses a class index out of range
        # any integer dtype, as int64
        target = check_class_target(owner, input, target, ignore_index=ignore_index, values=not trusted)
        fused = trusted and reduction != "none" and torch_reduces(input, reduction, None)
        try:
            loss = F.cross_entropy(
                input, target, weight=weights, ignore_index=ignore_index, label_smoothing=label_smoothing,
                reduction=reduction if fused else "none",
            )
        except KERNEL_ERRORS:
            check_class_target(owner, input, target, ignore_index=ignore_index)  # the clear error
            raise
        if fused:
            if finite(loss):  # else a nan or inf input, or nothing kept (torch's 0 / 0, losskit's 0)
                return loss
            loss = F.cross_entropy(
                input, target, weight=weights, ignore_index=ignore_index, label_smoothing=label_smoothing,
                reduction="none",
            )
        denominator = kept_weights(target, ignore_index, weights, input.dtype).sum()
        return output(reduce(loss, reduction, denominator=denominator, owner=owner), input)


cross_entropy_loss = CrossEntropyLoss.functional

SPEC = LossSpec.of(
    CrossEntropyLoss,
    family="classification",
    source="Szegedy et al. 2016 (label smoothing); torch.nn.CrossEntropyLoss",
    contract=DENSE_CLASS_LOGITS.with_shapes(target="(N, *) class indices, or (N, C, *) probabilities"),
    example=class_index_logits,
    reference=cross_entropy_reference,
    aliases=("ce",),
    tags={"ignore_index", "compile"},
    mean_denominator="weights",
)
