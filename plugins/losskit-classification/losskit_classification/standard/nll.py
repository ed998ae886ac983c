"""Negative log-likelihood of log-probabilities against class indices (torch.nn.NLLLoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.reduction import Reduction

from .._examples import class_index_log_probabilities
from ._classes import CLASS_WEIGHTS, IGNORE_INDEX, check_class_target, class_weight_tensor, kept_weights, reduce_over
from .reference import nll_reference


def nll_loss(
    input: Tensor,
    target: Tensor,
    *,
    class_weights: tuple[float, ...] | None = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`NLLLoss`."""
    check_class_target("nll", input, target, ignore_index=ignore_index)
    weights = class_weight_tensor("nll", class_weights, input)
    loss = F.nll_loss(input, target.long(), weight=weights, ignore_index=ignore_index, reduction="none")
    return reduce_over("nll", loss, reduction, kept_weights(target, ignore_index, weights, input.dtype).sum())


class NLLLoss(Loss):
    r"""Negative log-probability of the target class, weighted per class.

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
        >>> loss = NLLLoss()
        >>> loss(torch.randn(4, 3).log_softmax(1), torch.tensor([0, 2, 1, 2]))

    Reference: Fisher, On the mathematical foundations of theoretical statistics, 1922 (maximum likelihood).
    Matches ``torch.nn.NLLLoss``.
    """

    loss_name = "nll"
    params = (CLASS_WEIGHTS, IGNORE_INDEX, reduction_param())

    def __init__(
        self, *, class_weights: tuple[float, ...] | None = None, ignore_index: int = -100, reduction: Reduction = "mean"
    ) -> None:
        super().__init__(class_weights=class_weights, ignore_index=ignore_index, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(
            input, target, class_weights=self.class_weights, ignore_index=self.ignore_index, reduction=self.reduction
        )


SPEC = LossSpec(
    name="nll",
    aliases=("nll_loss", "negative_log_likelihood"),
    factory=NLLLoss,
    summary="negative log-likelihood of log-probabilities; class weights, ignore_index",
    family="classification",
    source="Fisher 1922 (maximum likelihood); torch.nn.NLLLoss",
    contract=InputContract(
        input="log_probabilities",
        target="class_indices",
        input_shape="(N, C, *)",
        target_shape="(N, *)",
        output_shape="(N, *) with reduction='none', else ()",
    ),
    example=class_index_log_probabilities,
    reference=nll_reference,
    functional=nll_loss,
    tags=frozenset({"ignore_index"}),
    mean_denominator="weights",
)
