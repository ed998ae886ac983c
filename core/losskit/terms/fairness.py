r"""Differentiable group-fairness penalties from Hardt, Price & Srebro, "Equality of Opportunity in
Supervised Learning", NeurIPS 2016, for binary classifiers and any number of groups.

Each penalty compares soft rates between the groups :math:`g` given by the
``groups=`` context tensor (integer ids ``>= 0``). With :math:`p_i` the predicted
probability (``sigmoid(input)`` when ``from_logits``) and :math:`M` a set of
samples, the rate of group :math:`g` over :math:`M` is

.. math::
    r_g(M) = \frac{\sum_{i \in M,\, a_i = g} p_i}{|\{i \in M : a_i = g\}|}

and only the groups *present* in :math:`M` (at least one member) take part:
an id absent from the batch, or (for the conditional rates) a group with no
positive / no negative sample, is left out and gives no error and no NaN.
With :math:`P` the present groups and :math:`d(a, b) = |a - b|`
(``form='absolute'``) or :math:`(a - b)^2` (``form='squared'``), the gap is

* ``gap='max_pairwise'``: :math:`\max_{g, h \in P} d(r_g, r_h)`, i.e. the
  largest rate minus the smallest (squared when ``form='squared'``);
* ``gap='to_overall'``: :math:`\frac{1}{|P|} \sum_{g \in P} d(r_g, \bar r)`,
  the mean deviation of the group rates from the overall rate
  :math:`\bar r = \sum_{i \in M} p_i / |M|` (groups weigh equally, whatever their size).

Fewer than two present groups give ``0``. Every gap is ``0`` exactly when all
present groups have the same rate, i.e. when the paper's constraint holds on the
batch's soft rates (up to floating-point rounding of the division).

The penalties:

* demographic parity: the gap of :math:`r_g(\text{all})` (the target is ignored,
  but must have the input's shape);
* equal opportunity: the gap of :math:`r_g(\{y = 1\})`, soft true-positive rates;
* equalized odds: gap of :math:`r_g(\{y = 1\})` **plus** gap of :math:`r_g(\{y = 0\})`,
  soft true- and false-positive rates.

A penalty is one scalar for the batch: ``reduction`` accepts only ``'mean'``.
Under ``torch.distributed`` the per-group sums and counts are all-reduced
(with gradient) before dividing, so every rank gets the value over the global
batch; see :mod:`losskit.distributed` for the gradient convention.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, Param, reduction_param
from losskit.distributed import all_reduce_sum, max_over_ranks
from losskit.errors import InvalidParamError, LossInputError
from losskit.inputs import check_floating, check_ndim, check_same_shape, check_tensor, check_values_in

from ._examples import scores_labels_groups
from .reference import demographic_parity_reference, equal_opportunity_reference, equalized_odds_reference

__all__ = [
    "DemographicParity",
    "EqualOpportunity",
    "EqualizedOdds",
    "demographic_parity",
    "equal_opportunity",
    "equalized_odds",
]

GAPS = ("max_pairwise", "to_overall")
FORMS = ("absolute", "squared")


def _prepare(owner: str, input: Any, target: Any, groups: Any, *, from_logits: bool, binary: bool,
             reduction: str) -> tuple[Tensor, Tensor]:
    """Validate the arguments; return probabilities in (at least) float32 and ``long`` groups."""
    if reduction != "mean":
        raise InvalidParamError(owner, "reduction", f"must be 'mean' (the penalty is one batch-level scalar), "
                                f"got {reduction!r}")
    check_floating(owner, "input", input)
    check_ndim(owner, "input", input, (1,), "(N,): one score per sample of a binary classifier")
    check_same_shape(owner, input, target)
    check_tensor(owner, "groups", groups)
    if groups.is_floating_point() or groups.is_complex() or groups.dtype == torch.bool:
        raise LossInputError(f"{owner}: groups must hold integer group ids (torch.long), got {groups.dtype}. "
                             "Use groups.long().")
    if groups.shape != input.shape:
        raise LossInputError(f"{owner}: groups must have the input's shape {tuple(input.shape)} (one group id "
                             f"per sample), got {tuple(groups.shape)}.")
    check_values_in(owner, "groups", groups, 0, float("inf"), "Group ids are indices: map them to 0, 1, 2, ...")
    if binary and not torch.compiler.is_compiling():
        not_binary = (target != 0) & (target != 1)
        if bool(not_binary.any()):
            bad = target[not_binary][0].item()
            raise LossInputError(f"{owner}: target must hold binary labels 0 or 1, got {bad:g}.")
    wide = input if input.dtype.itemsize >= 4 else input.float()
    if from_logits:
        return torch.sigmoid(wide), groups.long()
    check_values_in(owner, "input", input, 0.0, 1.0, "Pass from_logits=True for raw scores.")
    return wide, groups.long()


def _group_sums(p: Tensor, members: Tensor, groups: Tensor) -> tuple[Tensor, Tensor]:
    """Per-group sum of ``p`` over ``members`` and member counts, summed over every rank."""
    local = int(groups.max()) + 1 if groups.numel() else 0
    num_groups = max(max_over_ranks(local, groups.device), 1)
    one_hot = F.one_hot(groups, num_groups).to(p.dtype)
    stats = all_reduce_sum(torch.stack([(p * members) @ one_hot, members @ one_hot]))
    return stats[0], stats[1]


def _rate_gap(sums: Tensor, counts: Tensor, gap: str, form: str) -> Tensor:
    present = counts > 0
    rates = sums[present] / counts[present]
    if rates.numel() < 2:
        return sums.sum() * 0  # keeps the graph: backward gives finite zero gradients
    if gap == "max_pairwise":
        spread = rates.max() - rates.min()
        return spread if form == "absolute" else spread.square()
    overall = sums.sum() / counts.sum()
    deviation = rates - overall
    return (deviation.abs() if form == "absolute" else deviation.square()).mean()


def _check_choices(owner: str, gap: str, form: str) -> None:
    for name, value, choices in (("gap", gap, GAPS), ("form", form, FORMS)):
        if value not in choices:
            raise InvalidParamError(owner, name, f"must be one of {', '.join(map(repr, choices))}, got {value!r}")


def demographic_parity(input: Tensor, target: Tensor, *, groups: Tensor, from_logits: bool = True,
                       gap: str = "max_pairwise", form: str = "absolute", reduction: str = "mean") -> Tensor:
    """Functional form of :class:`DemographicParity`."""
    _check_choices("demographic_parity", gap, form)
    p, groups = _prepare("demographic_parity", input, target, groups, from_logits=from_logits, binary=False,
                         reduction=reduction)
    return _rate_gap(*_group_sums(p, torch.ones_like(p), groups), gap, form).to(input.dtype)


def equal_opportunity(input: Tensor, target: Tensor, *, groups: Tensor, from_logits: bool = True,
                      gap: str = "max_pairwise", form: str = "absolute", reduction: str = "mean") -> Tensor:
    """Functional form of :class:`EqualOpportunity`."""
    _check_choices("equal_opportunity", gap, form)
    p, groups = _prepare("equal_opportunity", input, target, groups, from_logits=from_logits, binary=True,
                         reduction=reduction)
    positives = (target == 1).to(p.dtype)
    return _rate_gap(*_group_sums(p, positives, groups), gap, form).to(input.dtype)


def equalized_odds(input: Tensor, target: Tensor, *, groups: Tensor, from_logits: bool = True,
                   gap: str = "max_pairwise", form: str = "absolute", reduction: str = "mean") -> Tensor:
    """Functional form of :class:`EqualizedOdds`."""
    _check_choices("equalized_odds", gap, form)
    p, groups = _prepare("equalized_odds", input, target, groups, from_logits=from_logits, binary=True,
                         reduction=reduction)
    positives = (target == 1).to(p.dtype)
    tpr_gap = _rate_gap(*_group_sums(p, positives, groups), gap, form)
    fpr_gap = _rate_gap(*_group_sums(p, 1 - positives, groups), gap, form)
    return (tpr_gap + fpr_gap).to(input.dtype)


class _FairnessPenalty(Loss):
    """Shared parameters and constructor; subclasses name their functional form."""

    params = (
        Param("from_logits", True, "input holds logits (sigmoid applied) rather than probabilities in [0, 1]",
              type=bool),
        Param("gap", "max_pairwise", "'max_pairwise': largest rate minus smallest; 'to_overall': mean deviation "
              "of the group rates from the overall rate", type=str, choices=GAPS),
        Param("form", "absolute", "each rate difference taken as |a - b| or (a - b)^2", type=str, choices=FORMS),
        reduction_param("mean", ("mean",)),
    )

    def __init__(self, *, from_logits: bool = True, gap: str = "max_pairwise", form: str = "absolute",
                 reduction: str = "mean") -> None:
        super().__init__(from_logits=from_logits, gap=gap, form=form, reduction=reduction)

    def forward(self, input: Tensor, target: Tensor, *, groups: Tensor) -> Tensor:
        return type(self)._functional(input, target, groups=groups, **self.hparams)


class DemographicParity(_FairnessPenalty):
    r"""Gap between the groups' mean predicted probabilities (demographic / statistical parity).

    .. math::
        \operatorname{gap}_{g \in P}\; \frac{1}{n_g} \sum_{i : a_i = g} p_i

    Zero when every present group has the same mean score, the soft version of
    :math:`\Pr(\hat Y = 1 \mid A = a)` being equal across :math:`a`. The gap
    (``max_pairwise`` or ``to_overall``), ``form`` and the handling of absent
    groups are defined in :mod:`losskit.terms.fairness`.

    Args:
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        gap: ``'max_pairwise'`` (default) | ``'to_overall'``.
        form: ``'absolute'`` (default) | ``'squared'``.
        reduction: ``'mean'`` only: the penalty is one scalar for the batch.

    Shape:
        input ``(N,)``; target ``(N,)`` (ignored); output ``()``.

    Context:
        ``groups`` (required): ``(N,)`` integer group ids ``>= 0``.

    Examples:
        >>> loss = DemographicParity()
        >>> loss(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 1.0]), groups=torch.tensor([0, 1]))   # doctest: +SKIP

    Reference: Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016
    (demographic parity, Section 1 and 2.1).
    """

    loss_name = "demographic_parity"
    _functional = staticmethod(demographic_parity)


class EqualOpportunity(_FairnessPenalty):
    r"""Gap between the groups' soft true-positive rates (equal opportunity).

    .. math::
        \operatorname{gap}_{g \in P_1}\; \frac{\sum_{i : a_i = g,\, y_i = 1} p_i}{|\{i : a_i = g,\, y_i = 1\}|}

    The soft version of Definition 2.2 of the paper,
    :math:`\Pr(\hat Y = 1 \mid A = a, Y = 1)` equal across :math:`a`. Groups
    without a positive sample in the batch are left out (:math:`P_1`).

    Args:
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        gap: ``'max_pairwise'`` (default) | ``'to_overall'``.
        form: ``'absolute'`` (default) | ``'squared'``.
        reduction: ``'mean'`` only: the penalty is one scalar for the batch.

    Shape:
        input ``(N,)``; target ``(N,)`` binary labels 0/1 (any dtype); output ``()``.

    Context:
        ``groups`` (required): ``(N,)`` integer group ids ``>= 0``.

    Examples:
        >>> loss = EqualOpportunity(form="squared")
        >>> loss(logits, labels, groups=groups)   # doctest: +SKIP

    Reference: Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016, Definition 2.2.
    """

    loss_name = "equal_opportunity"
    _functional = staticmethod(equal_opportunity)


class EqualizedOdds(_FairnessPenalty):
    r"""Sum of the true-positive-rate gap and the false-positive-rate gap (equalized odds).

    .. math::
        \operatorname{gap}_{g \in P_1} r_g(\{y = 1\}) + \operatorname{gap}_{g \in P_0} r_g(\{y = 0\})

    The soft version of Definition 2.1 of the paper,
    :math:`\Pr(\hat Y = 1 \mid A = a, Y = y)` equal across :math:`a` for
    :math:`y \in \{0, 1\}`; zero exactly when both gaps are. Each gap leaves out
    the groups without a sample of that label (:math:`P_1`, :math:`P_0`).

    Args:
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        gap: ``'max_pairwise'`` (default) | ``'to_overall'``.
        form: ``'absolute'`` (default) | ``'squared'``.
        reduction: ``'mean'`` only: the penalty is one scalar for the batch.

    Shape:
        input ``(N,)``; target ``(N,)`` binary labels 0/1 (any dtype); output ``()``.

    Context:
        ``groups`` (required): ``(N,)`` integer group ids ``>= 0``.

    Examples:
        >>> loss = EqualizedOdds(gap="to_overall")
        >>> loss(logits, labels, groups=groups)   # doctest: +SKIP

    Reference: Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016, Definition 2.1.
    """

    loss_name = "equalized_odds"
    _functional = staticmethod(equalized_odds)


_SOURCE = "Hardt, Price & Srebro, Equality of Opportunity in Supervised Learning, NeurIPS 2016"


def _spec(name: str, factory: type[Loss], functional: Any, reference: Any, summary: str, target: str,
          aliases: tuple[str, ...]) -> LossSpec:
    return LossSpec(
        name=name, aliases=aliases, factory=factory, summary=summary, family="fairness", source=_SOURCE,
        contract=InputContract(input="logits", target=target, input_shape="(N,)", target_shape="(N,)",
                               output_shape="()"),
        example=scores_labels_groups, reference=reference, functional=functional,
        tags=frozenset({"batch_coupled"}), mean_denominator="custom",
    )


SPECS = [
    _spec("demographic_parity", DemographicParity, demographic_parity, demographic_parity_reference,
          "gap between groups' mean predicted probabilities", "any", ("statistical_parity",)),
    _spec("equal_opportunity", EqualOpportunity, equal_opportunity, equal_opportunity_reference,
          "gap between groups' soft true-positive rates", "binary", ()),
    _spec("equalized_odds", EqualizedOdds, equalized_odds, equalized_odds_reference,
          "TPR gap plus FPR gap between groups (soft rates)", "binary", ()),
]
