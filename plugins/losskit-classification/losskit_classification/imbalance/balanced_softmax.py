"""Balanced softmax cross-entropy for long-tailed labels (Ren et al., NeurIPS 2020)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import EXAMPLE_PARAMS
from ._inputs import check_logits_and_labels, one_per_class, per_class, validated, working
from .reference import balanced_softmax_reference

NAME = "balanced_softmax"
PARAMS = (
    Param("samples_per_class", None, "required: the number of training samples of each class, n_1..n_C",
          type=tuple, gt=0.0, check=one_per_class),
    reduction_param(),
)


def balanced_softmax_loss(
    input: Tensor,
    target: Tensor,
    *,
    samples_per_class: Sequence[float] | None = None,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`BalancedSoftmaxLoss`."""
    p = validated(NAME, PARAMS, {"samples_per_class": samples_per_class, "reduction": reduction})
    check_logits_and_labels(NAME, input, target)
    x = working(input)
    log_counts = per_class(NAME, "samples_per_class", p["samples_per_class"], input).log().to(x.dtype)
    loss = -(x + log_counts).log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return reduce(loss.to(input.dtype), p["reduction"], weight=weight, owner=NAME)


class BalancedSoftmaxLoss(Loss):
    r"""Cross-entropy of the softmax re-weighted by the training class counts.

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
        >>> loss = BalancedSoftmaxLoss(samples_per_class=(900, 90, 10))
        >>> loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))  # doctest: +SKIP

    Reference: Ren, Yu, Sheng, Ma, Zhao, Yi, Li.
    Balanced Meta-Softmax for Long-Tailed Visual Recognition. NeurIPS 2020.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(self, *, samples_per_class: Sequence[float] | None = None, reduction: Reduction = "mean") -> None:
        super().__init__(samples_per_class=samples_per_class, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return balanced_softmax_loss(
            input, target, samples_per_class=self.samples_per_class, weight=weight, reduction=self.reduction
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("balanced_softmax_cross_entropy", "bsce"),
    example_params=EXAMPLE_PARAMS[NAME],
    factory=BalancedSoftmaxLoss,
    summary="cross-entropy of a softmax weighted by the training class counts",
    family="classification",
    source="Ren et al., Balanced Meta-Softmax for Long-Tailed Visual Recognition, NeurIPS 2020",
    contract=InputContract(input="logits", target="class_indices", input_shape="(N, C)", target_shape="(N,)",
                           output_shape="(N,) with reduction='none', else ()"),
    example=class_index_logits,
    reference=balanced_softmax_reference,
    functional=balanced_softmax_loss,
    tags=frozenset({"weight", "compile"}),
    mean_denominator="batch",
)
