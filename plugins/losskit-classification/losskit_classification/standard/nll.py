"""Negative log-likelihood of log-probabilities against class indices (torch.nn.NLLLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, ignore_index_param, reduction_param
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import class_index_log_probabilities
from ._classes import CLASS_WEIGHTS, check_class_target, class_weight_tensor, kept_weights
from ._kernel_checks import KERNEL_ERRORS, eager_cpu, finite
from .reference import nll_reference


class NLLLoss(Loss, name="nll", positional=("class_weights",)):
    r"""Negative log-likelihood of log-probabilities against class indices, with class weights and ``ignore_index``.

    .. math::
        \ell_n = -w_{y_n} x_{n, y_n}

    where :math:`x` holds log-probabilities (e.g. a ``log_softmax``). ``'mean'`` divides the sum by
    :math:`\sum_n w_{y_n}` over the targets that are not ``ignore_index``; it is 0 when all are ignored
    (torch gives nan).

    Args:
        class_weights: one weight per class, or ``None``.
        ignore_index: target value that is skipped.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` or ``(N, C, d1, ...)``; target ``(N)`` / ``(N, d1, ...)`` of ``torch.long``;
        output the target's shape with ``reduction='none'``, else a scalar.

    Examples:
        >>> loss = NLLLoss(class_weights=(1.0, 2.0))
        >>> loss(torch.tensor([[-0.5, -1.0], [-2.0, -0.25]]), torch.tensor([0, 1]))
        tensor(0.3333)

    Reference: Fisher, On the mathematical foundations of theoretical statistics, 1922 (maximum likelihood).
    Matches ``torch.nn.NLLLoss``.
    """

    class_weights: tuple[float, ...] | None = CLASS_WEIGHTS
    ignore_index: int = ignore_index_param()
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        class_weights: tuple[float, ...] | None,
        ignore_index: int,
        reduction: Reduction,
    ) -> Tensor:
        trusted = eager_cpu(input)  # torch's kernel refuses a class index out of range
        target = check_class_target("nll", input, target, ignore_index=ignore_index, values=not trusted)
        weights = class_weight_tensor("nll", class_weights, input)
        fused = trusted and reduction != "none" and torch_reduces(input, reduction, None)
        try:
            loss = F.nll_loss(input, target, weight=weights, ignore_index=ignore_index, reduction=reduction if fused else "none")
        except KERNEL_ERRORS:
            check_class_target("nll", input, target, ignore_index=ignore_index)  # the clear error
            raise
        if fused:
            if finite(loss):  # else a nan or inf input, or nothing kept (torch's 0 / 0, losskit's 0)
                return loss
            loss = F.nll_loss(input, target, weight=weights, ignore_index=ignore_index, reduction="none")
        denominator = kept_weights(target, ignore_index, weights, input.dtype).sum()
        return reduce(loss, reduction, denominator=denominator, owner="nll")


nll_loss = NLLLoss.functional

SPEC = LossSpec.of(
    NLLLoss,
    family="classification",
    source="Fisher 1922 (maximum likelihood); torch.nn.NLLLoss",
    contract=InputContract("log_probabilities", "class_indices", "(N, C, *)", "(N, *)"),
    example=class_index_log_probabilities,
    reference=nll_reference,
    aliases=("nll_loss", "negative_log_likelihood", "nll_loss2d"),  # nll_loss2d: torch's deprecated NLLLoss2d
    tags={"ignore_index", "compile"},
    mean_denominator="weights",
)
