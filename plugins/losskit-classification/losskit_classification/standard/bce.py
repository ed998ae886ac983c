"""Binary cross-entropy of probabilities against {0, 1} or soft targets (torch.nn.BCELoss)."""

from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.inputs import check_value_target, check_values_in
from losskit.precision import no_autocast, output, working
from losskit.reduction import Reduction, reduce, torch_reduces

from .._examples import binary_probabilities
from ._kernel_checks import KERNEL_ERRORS, eager_cpu
from .reference import bce_reference


def _check_probabilities(input: Tensor) -> None:
    check_values_in("bce", "input", input, 0.0, 1.0, "bce takes probabilities; for logits use bce_with_logits.")


class BCELoss(Loss, name="bce"):
    r"""Binary cross-entropy between probabilities and targets in ``[0, 1]``.

    .. math::
        \ell_n = -\big(y_n \log x_n + (1 - y_n) \log(1 - x_n)\big)

    with each log clamped to ``>= -100`` as in torch, so that ``x = 0`` or ``1`` stays finite.
    Prefer :class:`BCEWithLogitsLoss` on logits: it is exact where this one clamps.

    Args:
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input and target ``(N, *)``, the same shape; output ``(N, *)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-element ``(N, *)`` or per-sample ``(N,)`` weights (the mean still divides by the
        number of elements, as torch's ``BCELoss(weight=...)``).

    Examples:
        >>> loss = BCELoss()
        >>> loss(torch.tensor([0.9, 0.2]), torch.tensor([1.0, 0.0]))
        tensor(0.1643)

    Reference: Cox, The regression analysis of binary sequences, JRSS B 1958. Matches ``torch.nn.BCELoss``.
    """

    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(input: Tensor, target: Tensor, *, reduction: Reduction, weight: Tensor | None = None) -> Tensor:
        target = check_value_target("bce", input, target)
        trusted = eager_cpu(input)  # torch's kernel refuses an input outside [0, 1]
        if not trusted:
            _check_probabilities(input)
        check_values_in("bce", "target", target, 0.0, 1.0)
        fused = torch_reduces(input, reduction, weight)  # torch's own reduction: one autograd node
        try:
            # in float32 already; CUDA autocast refuses binary_cross_entropy (entering a context costs a few µs)
            with no_autocast(input) if torch.is_autocast_enabled(input.device.type) else nullcontext():
                loss = F.binary_cross_entropy(working(input), target, reduction=reduction if fused else "none")
        except KERNEL_ERRORS:
            if trusted:
                _check_probabilities(input)  # the clear error
            raise
        return loss if fused else reduce(output(loss, input), reduction, weight=weight, owner="bce")


bce_loss = BCELoss.functional

SPEC = LossSpec.of(
    BCELoss,
    family="classification",
    source="Cox 1958 (logistic regression); torch.nn.BCELoss",
    contract=InputContract("probabilities", "binary"),
    example=binary_probabilities,
    reference=bce_reference,
    aliases=("binary_cross_entropy",),
    tags={"weight", "compile"},
)
