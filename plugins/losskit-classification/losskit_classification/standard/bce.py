"""Binary cross-entropy of probabilities against {0, 1} or soft targets (torch.nn.BCELoss)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, reduction_param
from losskit.inputs import check_value_target, check_values_in
from losskit.precision import no_autocast, output, working
from losskit.reduction import Reduction, reduce

from .._examples import binary_probabilities
from .reference import bce_reference


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
        check_values_in("bce", "input", input, 0.0, 1.0, "bce takes probabilities; for logits use bce_with_logits.")
        check_values_in("bce", "target", target, 0.0, 1.0)
        with no_autocast(input):  # in float32 already; CUDA autocast refuses binary_cross_entropy
            loss = F.binary_cross_entropy(working(input), target, reduction="none")
        return reduce(output(loss, input), reduction, weight=weight, owner="bce")


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
