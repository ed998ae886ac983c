"""Label-distribution-aware margin (LDAM) loss (Cao et al., NeurIPS 2019)."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import EXAMPLE_PARAMS
from ._inputs import check_logits_and_labels, one_per_class, per_class, validated, working
from .reference import ldam_reference

NAME = "ldam"
PARAMS = (
    Param("samples_per_class", None, "required: the number of training samples of each class, n_1..n_C",
          type=tuple, gt=0.0, check=one_per_class),
    Param("max_m", 0.5, "margin of the rarest class; the others get max_m * (n_min / n_c)^(1/4)", gt=0.0),
    Param("s", 30.0, "scale applied to the margin-adjusted logits (1 gives the paper's equation as written)", gt=0.0),
    reduction_param(),
)


def ldam_margins(samples_per_class: Tensor, max_m: float) -> Tensor:
    """``Delta_c proportional to n_c^(-1/4)``, scaled so that the largest is ``max_m``."""
    margins = samples_per_class.pow(-0.25)
    return margins * (max_m / margins.max())


def ldam_loss(
    input: Tensor,
    target: Tensor,
    *,
    samples_per_class: Sequence[float] | None = None,
    max_m: float = 0.5,
    s: float = 30.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`LDAMLoss`."""
    p = validated(
        NAME, PARAMS, {"samples_per_class": samples_per_class, "max_m": max_m, "s": s, "reduction": reduction}
    )
    check_logits_and_labels(NAME, input, target)
    x = working(input)
    counts = per_class(NAME, "samples_per_class", p["samples_per_class"], input)
    margin = ldam_margins(counts, p["max_m"]).to(x.dtype)[target]
    shifted = x - F.one_hot(target.long(), x.shape[1]).to(x.dtype) * margin.unsqueeze(1)
    loss = -(p["s"] * shifted).log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return reduce(loss.to(input.dtype), p["reduction"], weight=weight, owner=NAME)


class LDAMLoss(Loss):
    r"""Softmax cross-entropy with a larger margin for rarer classes.

    Class :math:`c` with :math:`n_c` training samples gets the margin
    :math:`\Delta_c \propto n_c^{-1/4}`, scaled so that :math:`\max_c \Delta_c` is ``max_m``;
    the true class's logit is lowered by its margin:

    .. math::
        \ell_n = -\log \frac{e^{s (x_{n,y_n} - \Delta_{y_n})}}
                            {e^{s (x_{n,y_n} - \Delta_{y_n})} + \sum_{c \ne y_n} e^{s\, x_{n,c}}}

    The paper writes the loss with :math:`s = 1`; its experiments (and code) use
    normalised features with :math:`s = 30`, the default here. The paper's
    deferred re-weighting (DRW) schedule is left to the training loop (scale the
    loss per sample with ``weight=``).

    Args:
        samples_per_class: required; :math:`(n_1, \dots, n_C)`, each :math:`> 0`.
        max_m: the largest margin, :math:`> 0` (paper: 0.5).
        s: logit scale :math:`s > 0`.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = LDAMLoss(samples_per_class=(900, 90, 10), max_m=0.5, s=30)
        >>> loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))  # doctest: +SKIP

    Reference: Cao, Wei, Gaidon, Arechiga, Ma. Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss. NeurIPS 2019.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        samples_per_class: Sequence[float] | None = None,
        max_m: float = 0.5,
        s: float = 30.0,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(samples_per_class=samples_per_class, max_m=max_m, s=s, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return ldam_loss(
            input, target, samples_per_class=self.samples_per_class, max_m=self.max_m, s=self.s, weight=weight,
            reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("ldam_loss",),
    example_params=EXAMPLE_PARAMS[NAME],
    factory=LDAMLoss,
    summary="cross-entropy with a per-class margin proportional to n_c^(-1/4)",
    family="classification",
    source="Cao et al., Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss, NeurIPS 2019",
    contract=InputContract(input="logits", target="class_indices", input_shape="(N, C)", target_shape="(N,)",
                           output_shape="(N,) with reduction='none', else ()"),
    example=class_index_logits,
    reference=ldam_reference,
    functional=ldam_loss,
    tags=frozenset({"weight", "compile"}),
    mean_denominator="batch",
)
