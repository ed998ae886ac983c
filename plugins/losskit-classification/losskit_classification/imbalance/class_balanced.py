"""Class-balanced loss from the effective number of samples (Cui et al., CVPR 2019)."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ..standard.sigmoid_focal import sigmoid_focal_loss
from ._examples import EXAMPLE_PARAMS, EXAMPLE_SAMPLES_PER_CLASS
from ._inputs import check_logits_and_labels, one_per_class, per_class, validated, working
from .reference import class_balanced_reference

NAME = "class_balanced"
BASES = ("softmax", "sigmoid", "focal")
PARAMS = (
    Param(
        "samples_per_class",
        None,
        "required: the number of training samples of each class, n_1..n_C",
        type=tuple,
        gt=0.0,
        check=one_per_class,
    ),
    Param("beta", 0.9999, "beta of the effective number (1 - beta^n) / (1 - beta); 0 gives no re-weighting",
          ge=0.0, lt=1.0),
    Param("base", "softmax", "the loss re-weighted: softmax cross-entropy, sigmoid cross-entropy or sigmoid focal",
          type=str, choices=BASES),
    Param("gamma", 2.0, "focusing parameter of the 'focal' base (unused by the others)", ge=0.0),
    reduction_param(),
)


def class_balanced_weights(samples_per_class: Tensor, beta: float) -> Tensor:
    """``(1 - beta) / (1 - beta^n_c)``, normalised to sum to the number of classes."""
    weights = (1 - beta) / (1 - beta**samples_per_class)
    return weights * (weights.numel() / weights.sum())


def class_balanced_loss(
    input: Tensor,
    target: Tensor,
    *,
    samples_per_class: Sequence[float] | None = None,
    beta: float = 0.9999,
    base: str = "softmax",
    gamma: float = 2.0,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`ClassBalancedLoss`."""
    p = validated(
        NAME,
        PARAMS,
        {"samples_per_class": samples_per_class, "beta": beta, "base": base, "gamma": gamma, "reduction": reduction},
    )
    check_logits_and_labels(NAME, input, target)
    x = working(input)
    counts = per_class(NAME, "samples_per_class", p["samples_per_class"], input)
    class_weight = class_balanced_weights(counts, p["beta"]).to(x.dtype)[target]
    if p["base"] == "softmax":
        loss = -x.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    else:
        # Sigmoid cross-entropy is the sigmoid focal loss at gamma = 0; the paper's focal has no alpha.
        gamma = p["gamma"] if p["base"] == "focal" else 0.0
        one_hot = F.one_hot(target.long(), x.shape[1]).to(x.dtype)
        loss = sigmoid_focal_loss(x, one_hot, alpha=None, gamma=gamma, reduction="none").sum(dim=1)
    return reduce((class_weight * loss).to(input.dtype), p["reduction"], weight=weight, owner=NAME)


class ClassBalancedLoss(Loss):
    r"""A loss re-weighted per class by the inverse effective number of samples.

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
        >>> loss = ClassBalancedLoss(samples_per_class=(1000, 10), beta=0.999)
        >>> loss(torch.randn(8, 2), torch.randint(0, 2, (8,)))  # doctest: +SKIP

    Reference: Cui, Jia, Lin, Song, Belongie. Class-Balanced Loss Based on
    Effective Number of Samples. CVPR 2019.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        samples_per_class: Sequence[float] | None = None,
        beta: float = 0.9999,
        base: str = "softmax",
        gamma: float = 2.0,
        reduction: Reduction = "mean",
    ) -> None:
        super().__init__(samples_per_class=samples_per_class, beta=beta, base=base, gamma=gamma, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return class_balanced_loss(
            input, target, samples_per_class=self.samples_per_class, beta=self.beta, base=self.base,
            gamma=self.gamma, weight=weight, reduction=self.reduction,
        )


SPEC = LossSpec(
    name=NAME,
    aliases=("cb_loss", "class_balanced_loss"),
    example_params=EXAMPLE_PARAMS[NAME],
    factory=ClassBalancedLoss,
    summary="softmax / sigmoid / focal loss weighted by the inverse effective number of samples per class",
    family="classification",
    source="Cui et al., Class-Balanced Loss Based on Effective Number of Samples, CVPR 2019",
    contract=InputContract(input="logits", target="class_indices", input_shape="(N, C)", target_shape="(N,)",
                           output_shape="(N,) with reduction='none', else ()"),
    example=class_index_logits,
    reference=class_balanced_reference,
    functional=class_balanced_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(
        Identity({"samples_per_class": EXAMPLE_SAMPLES_PER_CLASS, "beta": 0.0}, "cross_entropy",
                 note="class_balanced with beta=0 and the softmax base is cross-entropy"),
    ),
    mean_denominator="batch",
)
