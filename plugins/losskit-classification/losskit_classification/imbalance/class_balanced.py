"""Class-balanced loss from the effective number of samples (Cui et al., CVPR 2019)."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import COUNTS_EXAMPLE_PARAMS, EXAMPLE_SAMPLES_PER_CLASS
from ._inputs import SAMPLES_PER_CLASS, check_logits_and_labels, per_class, power
from .reference import class_balanced_reference

NAME = "class_balanced"


def class_balanced_weights(samples_per_class: Tensor, beta: float) -> Tensor:
    """``(1 - beta) / (1 - beta^n_c)``, normalised to sum to the number of classes."""
    weights = (1 - beta) / (1 - beta**samples_per_class)
    return weights * (weights.numel() / weights.sum())


class ClassBalancedLoss(Loss, name=NAME):
    r"""Softmax, sigmoid or focal loss re-weighted per class by the inverse effective number of samples.

    The effective number of :math:`n` samples is :math:`E_n = (1 - \beta^n) / (1 - \beta)`;
    class :math:`c` with :math:`n_c` training samples gets the weight
    :math:`\alpha_c \propto 1 / E_{n_c}`, normalised so that :math:`\sum_c \alpha_c = C`:

    .. math::
        \ell_n = \alpha_{y_n}\, L(x_n, y_n), \qquad
        \alpha_c = C\,\frac{(1 - \beta) / (1 - \beta^{n_c})}{\sum_k (1 - \beta) / (1 - \beta^{n_k})},

    where :math:`L` is, following the paper's three variants, with
    :math:`z^t_{n,c} = x_{n,c}` for :math:`c = y_n` and :math:`-x_{n,c}` otherwise:

    * ``'softmax'``: :math:`-\log \operatorname{softmax}(x_n)_{y_n}`;
    * ``'sigmoid'``: :math:`-\sum_c \log \sigma(z^t_{n,c})`;
    * ``'focal'``: :math:`-\sum_c (1 - \sigma(z^t_{n,c}))^{\gamma} \log \sigma(z^t_{n,c})`.

    :math:`\beta = 0` weighs every class 1 (the plain base loss); :math:`\beta \to 1`
    weighs by inverse class frequency.

    Args:
        samples_per_class: required; :math:`(n_1, \dots, n_C)`, each :math:`> 0`.
        beta: :math:`\beta \in [0, 1)`; the paper uses 0.9, 0.99, 0.999 or 0.9999.
        base: ``'softmax'`` | ``'sigmoid'`` | ``'focal'``.
        gamma: :math:`\gamma \ge 0` of the focal base.
        reduction: ``'mean'`` (over the batch) | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = ClassBalancedLoss(samples_per_class=(1000, 10), beta=0.999, reduction="none")
        >>> loss(torch.zeros(2, 2), torch.tensor([0, 1]))
        tensor([0.0215, 1.3648])

    Reference: Cui, Jia, Lin, Song, Belongie. Class-Balanced Loss Based on
    Effective Number of Samples. CVPR 2019.
    """

    samples_per_class: tuple[float, ...] = SAMPLES_PER_CLASS
    beta: float = param(
        0.9999, "beta of the effective number (1 - beta^n) / (1 - beta); 0 gives no re-weighting", ge=0.0, lt=1.0
    )
    base: Literal["softmax", "sigmoid", "focal"] = param(
        "softmax", "the loss re-weighted: softmax cross-entropy, sigmoid cross-entropy or sigmoid focal"
    )
    gamma: float = param(2.0, "focusing parameter of the 'focal' base (unused by the others)", ge=0.0, finite=True)
    reduction: Reduction = reduction_param()

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        samples_per_class: tuple[float, ...],
        beta: float,
        base: str,
        gamma: float,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        target = check_logits_and_labels(NAME, input, target)
        x = working(input)
        counts = per_class(NAME, "samples_per_class", samples_per_class, input)
        class_weight = class_balanced_weights(counts, beta).to(x.dtype)[target]
        if base == "softmax":
            loss = -x.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        else:
            # Sigmoid cross-entropy per class; the focal base (the paper's has no alpha) scales it by
            # (1 - p_t)^gamma, with 1 - p_t a sum of two non-negative terms, exact in both tails.
            one_hot = F.one_hot(target.long(), x.shape[1]).to(x.dtype)
            loss = F.binary_cross_entropy_with_logits(x, one_hot, reduction="none")
            if base == "focal":
                loss = loss * power(one_hot * torch.sigmoid(-x) + (1 - one_hot) * torch.sigmoid(x), gamma)
            loss = loss.sum(dim=1)
        return reduce(output(class_weight * loss, input), reduction, weight=weight, owner=NAME)


class_balanced_loss = ClassBalancedLoss.functional

SPEC = LossSpec.of(
    ClassBalancedLoss,
    aliases=("cb_loss", "class_balanced_loss"),
    example_params=COUNTS_EXAMPLE_PARAMS,
    family="classification",
    source="Cui et al., Class-Balanced Loss Based on Effective Number of Samples, CVPR 2019",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=class_balanced_reference,
    tags={"weight", "compile"},
    identities=(
        Identity({"samples_per_class": EXAMPLE_SAMPLES_PER_CLASS, "beta": 0.0}, "cross_entropy",
                 note="class_balanced with beta=0 and the softmax base is cross-entropy"),
    ),
    mean_denominator="batch",
)
