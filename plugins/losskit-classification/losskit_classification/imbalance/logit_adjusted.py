"""Logit-adjusted softmax cross-entropy for long-tailed labels (Menon et al., ICLR 2021)."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from losskit import Identity, Loss, LossSpec, param, reduction_param
from losskit.contract import CLASS_LOGITS
from losskit.errors import InvalidParamError
from losskit.precision import output, working
from losskit.reduction import Reduction, reduce

from .._examples import class_index_logits
from ._examples import COUNTS_EXAMPLE_PARAMS, EXAMPLE_SAMPLES_PER_CLASS
from ._inputs import check_logits_and_labels, one_per_class, per_class
from .reference import logit_adjusted_reference

NAME = "logit_adjusted"


def _prior_source(
    class_priors: tuple[float, ...] | None, samples_per_class: tuple[float, ...] | None
) -> tuple[str, tuple[float, ...]]:
    """The one of the two parameters that gives the priors, with its name; both or neither is an error."""
    if (class_priors is None) == (samples_per_class is None):
        given = "both" if class_priors is not None else "neither"
        raise InvalidParamError(
            NAME, "class_priors", f"give exactly one of class_priors and samples_per_class, got {given}"
        )
    return ("class_priors", class_priors) if class_priors is not None else ("samples_per_class", samples_per_class)


class LogitAdjustedLoss(Loss, name=NAME):
    r"""Softmax cross-entropy on logits shifted by ``tau`` times the log class priors, for the balanced error.

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
        >>> loss = LogitAdjustedLoss(samples_per_class=(900, 90, 10), reduction="none")
        >>> loss(torch.zeros(3, 3), torch.tensor([0, 1, 2]))
        tensor([0.1054, 2.4079, 4.6052])

    Reference: Menon, Jayasumana, Rawat, Jain, Veit, Kumar.
    Long-tail learning via logit adjustment. ICLR 2021.
    """

    tau: float = param(1.0, "temperature of the adjustment tau * log(prior); 0 gives cross-entropy", ge=0.0, finite=True)
    class_priors: tuple[float, ...] | None = param(
        None, "prior probability of each class (normalised to sum to 1); give this or samples_per_class",
        gt=0.0, check=one_per_class,
    )
    samples_per_class: tuple[float, ...] | None = param(
        None, "training-sample count of each class, whose frequencies are the priors; give this or class_priors",
        gt=0.0, check=one_per_class,
    )
    reduction: Reduction = reduction_param()

    @classmethod
    def check_params(cls, values: dict[str, Any]) -> None:
        _prior_source(values["class_priors"], values["samples_per_class"])  # both or neither is refused

    @staticmethod
    def compute(
        input: Tensor,
        target: Tensor,
        *,
        tau: float,
        class_priors: tuple[float, ...] | None,
        samples_per_class: tuple[float, ...] | None,
        reduction: Reduction,
        weight: Tensor | None = None,
    ) -> Tensor:
        source, values = _prior_source(class_priors, samples_per_class)
        target = check_logits_and_labels(NAME, input, target)
        priors = per_class(NAME, source, values, input)
        x = working(input)
        adjusted = x + (tau * (priors / priors.sum()).log()).to(x.dtype)
        loss = -adjusted.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
        return reduce(output(loss, input), reduction, weight=weight, owner=NAME)


logit_adjusted_loss = LogitAdjustedLoss.functional

_EXAMPLE_PRIORS = tuple(n / sum(EXAMPLE_SAMPLES_PER_CLASS) for n in EXAMPLE_SAMPLES_PER_CLASS)

SPEC = LossSpec.of(
    LogitAdjustedLoss,
    aliases=("logit_adjustment", "la_loss"),
    example_params=COUNTS_EXAMPLE_PARAMS,
    family="classification",
    source="Menon et al., Long-tail learning via logit adjustment, ICLR 2021",
    contract=CLASS_LOGITS,
    example=class_index_logits,
    reference=logit_adjusted_reference,
    tags={"weight", "compile"},
    identities=(
        Identity({"tau": 0.0, "class_priors": _EXAMPLE_PRIORS}, "cross_entropy",
                 note="logit adjustment with tau=0 is cross-entropy"),
        Identity({"tau": 1.0, "class_priors": _EXAMPLE_PRIORS}, "balanced_softmax",
                 {"samples_per_class": EXAMPLE_SAMPLES_PER_CLASS},
                 note="logit adjustment with tau=1 and priors from class counts is the balanced softmax"),
    ),
    mean_denominator="batch",
)
