"""Label-distribution-aware margin (LDAM) loss (Cao et al., NeurIPS 2019)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from losskit import Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import COUNTS_EXAMPLE_PARAMS
from ._inputs import SAMPLES_PER_CLASS, check_logits_and_labels, per_class
from .reference import ldam_reference

NAME = "ldam"


def ldam_margins(samples_per_class: Tensor, max_m: float) -> Tensor:
    """``Delta_c proportional to n_c^(-1/4)``, scaled so that the largest is ``max_m``."""
    margins = samples_per_class.pow(-0.25)
    return margins * (max_m / margins.max())


class LDAMLoss(Loss, name=NAME):
    r"""Softmax cross-entropy with a margin on the true-class logit, larger for rarer classes.

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
        >>> loss = LDAMLoss(samples_per_class=(900, 90, 10), max_m=0.5, s=1.0, reduction="none")
        >>> loss(torch.zeros(3, 3), torch.tensor([0, 1, 2]))
        tensor([1.2097, 1.3000, 1.4580])

    Reference: Cao, Wei, Gaidon, Arechiga, Ma. Learning Imbalanced Datasets with
    Label-Distribution-Aware Margin Loss. NeurIPS 2019.
    """

    samples_per_class: tuple[float, ...] = SAMPLES_PER_CLASS
    max_m: float = param(0.5, "margin of the rarest class; the others get max_m * (n_min / n_c)^(1/4)", gt=0.0, finite=True)
    s: float = param(
        30.0, "scale applied to the margin-adjusted logits (1 gives the paper's equation as written)", gt=0.0, finite=True
    )
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        samples_per_class: tuple[float, ...],
        max_m: float,
        s: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        x = working(input)
        counts = per_class(NAME, "samples_per_class", samples_per_class, input)
        margin = ldam_margins(counts, max_m).to(x.dtype)[target]
        shifted = x - F.one_hot(target.long(), x.shape[1]).to(x.dtype) * margin.unsqueeze(1)
        loss = -(s * shifted).log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


ldam_loss = LDAMLoss.functional

SPEC = LossSpec.of(
    LDAMLoss,
    aliases=("ldam_loss",),
    example_params=COUNTS_EXAMPLE_PARAMS,
    family="classification",
    source="Cao et al., Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss, NeurIPS 2019",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=ldam_reference,
    tags={"weight", "compile"},
    mean_denominator="batch",
)
