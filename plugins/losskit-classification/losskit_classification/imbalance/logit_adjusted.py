"""Logit-adjusted softmax cross-entropy for long-tailed labels (Menon et al., ICLR 2021)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

from losskit import Identity, InputContract, Loss, LossSpec, Param, reduction_param
from losskit.errors import InvalidParamError
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import EXAMPLE_PARAMS, EXAMPLE_SAMPLES_PER_CLASS
from ._inputs import check_logits_and_labels, one_per_class, per_class, validated, working
from .reference import logit_adjusted_reference

NAME = "logit_adjusted"
PARAMS = (
    Param("tau", 1.0, "temperature of the adjustment tau * log(prior); 0 gives cross-entropy", ge=0.0),
    Param("class_priors", None, "prior probability of each class (normalised to sum to 1); "
          "give this or samples_per_class", type=tuple, gt=0.0, nullable=True, check=one_per_class),
    Param("samples_per_class", None, "training-sample count of each class, whose frequencies are the priors; "
          "give this or class_priors", type=tuple, gt=0.0, nullable=True, check=one_per_class),
    reduction_param(),
)


def _check_one_prior_source(class_priors: object, samples_per_class: object) -> None:
    if (class_priors is None) == (samples_per_class is None):
        given = "both" if class_priors is not None else "neither"
        raise InvalidParamError(
            NAME, "class_priors", f"give exactly one of class_priors and samples_per_class, got {given}"
        )


def logit_adjusted_loss(
    input: Tensor,
    target: Tensor,
    *,
    tau: float = 1.0,
    class_priors: Sequence[float] | None = None,
    samples_per_class: Sequence[float] | None = None,
    weight: Tensor | None = None,
    reduction: Reduction = "mean",
) -> Tensor:
    """Functional form of :class:`LogitAdjustedLoss`."""
    p = validated(
        NAME,
        PARAMS,
        {"tau": tau, "class_priors": class_priors, "samples_per_class": samples_per_class, "reduction": reduction},
    )
    _check_one_prior_source(p["class_priors"], p["samples_per_class"])
    check_logits_and_labels(NAME, input, target)
    source = "class_priors" if p["class_priors"] is not None else "samples_per_class"
    priors = per_class(NAME, source, p[source], input)
    x = working(input)
    adjusted = x + (p["tau"] * (priors / priors.sum()).log()).to(x.dtype)
    loss = -adjusted.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return reduce(loss.to(input.dtype), p["reduction"], weight=weight, owner=NAME)


class LogitAdjustedLoss(Loss):
    r"""Softmax cross-entropy on logits shifted by the log class priors.

    .. math::
        \ell_n = -\log \frac{e^{x_{n,y_n} + \tau \log \pi_{y_n}}}
                            {\sum_{c} e^{x_{n,c} + \tau \log \pi_c}}

    Training with this loss and predicting :math:`\arg\max_c x_{n,c}` (the
    unadjusted logits) targets the balanced error, Fisher-consistently for
    :math:`\tau = 1`. The priors :math:`\pi` come from ``class_priors``
    (normalised to sum to 1) or from the class frequencies of ``samples_per_class``.
    :math:`\tau = 0` is cross-entropy; :math:`\tau = 1` with ``samples_per_class``
    is ``balanced_softmax``.

    Args:
        tau: :math:`\tau \ge 0` (paper: 1).
        class_priors: :math:`(\pi_1, \dots, \pi_C)`, each :math:`> 0`; or
        samples_per_class: :math:`(n_1, \dots, n_C)`, each :math:`> 0`, giving :math:`\pi_c = n_c / \sum_k n_k`.
            Exactly one of the two is required.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Shape:
        input ``(N, C)`` logits; target ``(N,)`` class indices (``torch.long``);
        output ``(N,)`` with ``reduction='none'``, else a scalar.

    Context:
        ``weight``: per-sample ``(N,)`` weights.

    Examples:
        >>> loss = LogitAdjustedLoss(samples_per_class=(900, 90, 10))
        >>> loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))  # doctest: +SKIP

    Reference: Menon, Jayasumana, Rawat, Jain, Veit, Kumar.
    Long-tail learning via logit adjustment. ICLR 2021.
    """

    loss_name = NAME
    params = PARAMS

    def __init__(
        self,
        *,
        tau: float = 1.0,
        class_priors: Sequence[float] | None = None,
        samples_per_class: Sequence[float] | None = None,
        reduction: Reduction = "mean",
    ) -> None:
        _check_one_prior_source(class_priors, samples_per_class)
        super().__init__(tau=tau, class_priors=class_priors, samples_per_class=samples_per_class, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, weight: Tensor | None = None) -> Tensor:
        return logit_adjusted_loss(
            input, target, tau=self.tau, class_priors=self.class_priors, samples_per_class=self.samples_per_class,
            weight=weight, reduction=self.reduction,
        )


_EXAMPLE_PRIORS = tuple(n / sum(EXAMPLE_SAMPLES_PER_CLASS) for n in EXAMPLE_SAMPLES_PER_CLASS)

SPEC = LossSpec(
    name=NAME,
    aliases=("logit_adjustment", "la_loss"),
    example_params=EXAMPLE_PARAMS[NAME],
    factory=LogitAdjustedLoss,
    summary="cross-entropy on logits + tau * log(class prior), for the balanced error",
    family="classification",
    source="Menon et al., Long-tail learning via logit adjustment, ICLR 2021",
    contract=InputContract(input="logits", target="class_indices", input_shape="(N, C)", target_shape="(N,)",
                           output_shape="(N,) with reduction='none', else ()"),
    example=class_index_logits,
    reference=logit_adjusted_reference,
    functional=logit_adjusted_loss,
    tags=frozenset({"weight", "compile"}),
    identities=(
        Identity({"tau": 0.0, "class_priors": _EXAMPLE_PRIORS}, "cross_entropy",
                 note="logit adjustment with tau=0 is cross-entropy"),
        Identity({"tau": 1.0, "class_priors": _EXAMPLE_PRIORS}, "balanced_softmax",
                 {"samples_per_class": EXAMPLE_SAMPLES_PER_CLASS},
                 note="logit adjustment with tau=1 and priors from class counts is the balanced softmax"),
    ),
    mean_denominator="batch",
)
