"""Balanced softmax cross-entropy for long-tailed labels (Ren et al., NeurIPS 2020)."""

from __future__ import annotations

from torch import Tensor

from losskit import Loss, LossSpec, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import COUNTS_EXAMPLE_PARAMS
from ._inputs import SAMPLES_PER_CLASS, check_logits_and_labels, per_class
from .reference import balanced_softmax_reference

NAME = "balanced_softmax"


class BalancedSoftmaxLoss(Loss, name=NAME):
    r"""Cross-entropy of the softmax re-weighted by the training class counts, for a balanced test distribution.

    The training label distribution is long-tailed, the test one balanced; the
    balanced softmax models the shift by weighting each class's exponential by
    its count :math:`n_c`:

    .. math::
        \ell_n = -\log \frac{n_{y_n}\, e^{x_{n,y_n}}}{\sum_c n_c\, e^{x_{n,c}}}

    (cross-entropy of :math:`x_n + \log n`). At test time use :math:`\operatorname{softmax}(x_n)`.
    It equals ``logit_adjusted`` with ``tau=1`` and the same counts.

    Args:
        samples_per_class: required; :math:`(n_1, \dots, n_C)`, each :math:`> 0`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = BalancedSoftmaxLoss(samples_per_class=(900, 90, 10), reduction="none")
        >>> loss(torch.zeros(3, 3), torch.tensor([0, 1, 2]))
        tensor([0.1054, 2.4079, 4.6052])

    Reference: Ren, Yu, Sheng, Ma, Zhao, Yi, Li.
    Balanced Meta-Softmax for Long-Tailed Visual Recognition. NeurIPS 2020.
    """

    samples_per_class: tuple[float, ...] = SAMPLES_PER_CLASS
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        samples_per_class: tuple[float, ...],
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        x = working(input)
        log_counts = per_class(NAME, "samples_per_class", samples_per_class, input).log().to(x.dtype)
        loss = -(x + log_counts).log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


balanced_softmax_loss = BalancedSoftmaxLoss.functional

SPEC = LossSpec.of(
    BalancedSoftmaxLoss,
    aliases=("balanced_softmax_cross_entropy", "bsce"),
    example_params=COUNTS_EXAMPLE_PARAMS,
    family="classification",
    source="Ren et al., Balanced Meta-Softmax for Long-Tailed Visual Recognition, NeurIPS 2020",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=balanced_softmax_reference,
    tags={"weight", "compile"},
    mean_denominator="batch",
)
