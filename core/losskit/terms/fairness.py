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
Under ``torch.distributed`` (with ``gather=True``, the default) the per-group sums
and counts are all-reduced (with gradient) before dividing, so every rank gets the
value over the global batch, and every rank must call the penalty; ``gather=False``
gives the value over this rank's batch alone. See :mod:`losskit.distributed` for
the gradient convention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from losskit import InputContract, Loss, LossSpec, param, reduction_param
from losskit.distributed import GATHER, all_reduce_sum, max_over_ranks
from losskit.errors import LossInputError
from losskit.inputs import check_floating, check_ndim, check_same_shape, check_tensor, check_value_set, check_values_in
from losskit.precision import no_autocast, output

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


def _prepare(
    owner: str, input: Any, target: Any, groups: Any, *, from_logits: bool, binary: bool
) -> tuple[Tensor, Tensor]:
    """Check the tensors; return probabilities in (at least) float32 and ``long`` groups."""
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
    if binary:
        check_value_set(owner, "target", target, (0, 1), "The labels are binary: 1 for a positive, 0 for a negative.")
    wide = input if input.dtype.itemsize >= 4 else input.float()
    if from_logits:
        return torch.sigmoid(wide), groups.long()
    check_values_in(owner, "input", input, 0.0, 1.0, "Pass from_logits=True for raw scores.")
    return wide, groups.long()


def _group_sums(p: Tensor, members: Tensor, groups: Tensor, gather: bool, owner: str) -> tuple[Tensor, Tensor]:
    """Per-group sum of ``p`` over ``members`` and member counts, summed over every rank when ``gather``."""
    local = int(groups.max()) + 1 if groups.numel() else 0
    num_groups = max(max_over_ranks(local, groups.device, gather=gather, owner=owner), 1)
    one_hot = F.one_hot(groups, num_groups).to(p.dtype)
    with no_autocast(p):  # the rates in float32 (at least): autocast would sum them in bfloat16
        stats = all_reduce_sum(torch.stack([(p * members) @ one_hot, members @ one_hot]), gather=gather, owner=owner)
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


Members = Callable[[Tensor, Tensor], tuple[Tensor, ...]]


def _gap_sum(owner: str, members: Members, *, binary: bool) -> staticmethod:
    """The ``compute`` of a fairness penalty: the sum of the rate gaps over each set of ``members(p, target)``."""

    def compute(
        input: Tensor, target: Tensor, *, from_logits: bool, gap: str, form: str, gather: bool, reduction: str,
        groups: Tensor,
    ) -> Tensor:
        p, ids = _prepare(owner, input, target, groups, from_logits=from_logits, binary=binary)
        gaps = [_rate_gap(*_group_sums(p, m, ids, gather, owner), gap, form) for m in members(p, target)]
        return output(sum(gaps[1:], gaps[0]), input)

    return staticmethod(compute)


def _everyone(p: Tensor, target: Tensor) -> tuple[Tensor, ...]:
    return (torch.ones_like(p),)


def _positives(p: Tensor, target: Tensor) -> tuple[Tensor, ...]:
    return ((target == 1).to(p.dtype),)


def _positives_and_negatives(p: Tensor, target: Tensor) -> tuple[Tensor, ...]:
    positives = (target == 1).to(p.dtype)
    return positives, 1 - positives


class _FairnessPenalty(Loss):
    """The parameters every fairness penalty shares (see :mod:`losskit.terms.fairness`)."""

    from_logits: bool = param(True, "input holds logits (sigmoid applied) rather than probabilities in [0, 1]")
    gap: Literal["max_pairwise", "to_overall"] = param(
        "max_pairwise",
        "'max_pairwise': largest rate minus smallest; 'to_overall': mean deviation of the group rates from the "
        "overall rate",
    )
    form: Literal["absolute", "squared"] = param("absolute", "each rate difference taken as |a - b| or (a - b)^2")
    gather: bool = GATHER
    reduction: Literal["mean"] = reduction_param("mean", ("mean",))


class DemographicParity(_FairnessPenalty, name="demographic_parity"):
    r"""Demographic parity: the gap between the groups' mean predicted probabilities.

    .. math::
        \operatorname{gap}_{g \in P}\; \frac{1}{n_g} \sum_{i : a_i = g} p_i

    Zero when every present group has the same mean score, the soft version of
    :math:`\Pr(\hat Y = 1 \mid A = a)` being equal across :math:`a` (statistical parity). The gap
    (``max_pairwise`` or ``to_overall``), ``form`` and the handling of absent
    groups are defined in :mod:`losskit.terms.fairness`.

    Args:
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        gap: ``'max_pairwise'`` (default) | ``'to_overall'``.
        form: ``'absolute'`` (default) | ``'squared'``.
        gather: under ``torch.distributed``, over every rank's batch (default; every rank must call it)
            or, with ``False``, over this rank's batch alone.
        reduction: ``'mean'`` only: the penalty is one scalar for the batch.

    Shape:
        input ``(N,)``; target ``(N,)`` (ignored); output ``()``.

    Context:
        ``groups`` (required): ``(N,)`` integer group ids ``>= 0``.

    Examples:
        >>> loss = DemographicParity()
        >>> loss(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 1.0]), groups=torch.tensor([0, 1]))  # sigmoid(2) - 1/2
        tensor(0.3808)

    Reference: Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016
    (demographic parity, Section 1 and 2.1).
    """

    compute = _gap_sum("demographic_parity", _everyone, binary=False)


class EqualOpportunity(_FairnessPenalty, name="equal_opportunity"):
    r"""Equal opportunity: the gap between the groups' soft true-positive rates.

    .. math::
        \operatorname{gap}_{g \in P_1}\; \frac{\sum_{i : a_i = g,\, y_i = 1} p_i}{|\{i : a_i = g,\, y_i = 1\}|}

    The soft version of Definition 2.2 of the paper,
    :math:`\Pr(\hat Y = 1 \mid A = a, Y = 1)` equal across :math:`a`. Groups
    without a positive sample in the batch are left out (:math:`P_1`).

    Args:
        from_logits: ``input`` holds logits (default) or probabilities in ``[0, 1]``.
        gap: ``'max_pairwise'`` (default) | ``'to_overall'``.
        form: ``'absolute'`` (default) | ``'squared'``.
        gather: under ``torch.distributed``, over every rank's batch (default; every rank must call it)
            or, with ``False``, over this rank's batch alone.
        reduction: ``'mean'`` only: the penalty is one scalar for the batch.

    Shape:
        input ``(N,)``; target ``(N,)`` binary labels 0/1 (any dtype); output ``()``.

    Context:
        ``groups`` (required): ``(N,)`` integer group ids ``>= 0``.

    Examples:
        >>> loss = EqualOpportunity(from_logits=False, form="squared")
        >>> probabilities, labels = torch.tensor([0.9, 0.1, 0.5, 0.3]), torch.tensor([1, 0, 1, 0])
        >>> loss(probabilities, labels, groups=torch.tensor([0, 0, 1, 1]))  # (0.9 - 0.5)^2
        tensor(0.1600)

    Reference: Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016, Definition 2.2.
    """

    compute = _gap_sum("equal_opportunity", _positives, binary=True)


class EqualizedOdds(_FairnessPenalty, name="equalized_odds"):
    r"""Equalized odds: the true-positive-rate gap plus the false-positive-rate gap between groups (soft rates).

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
        gather: under ``torch.distributed``, over every rank's batch (default; every rank must call it)
            or, with ``False``, over this rank's batch alone.
        reduction: ``'mean'`` only: the penalty is one scalar for the batch.

    Shape:
        input ``(N,)``; target ``(N,)`` binary labels 0/1 (any dtype); output ``()``.

    Context:
        ``groups`` (required): ``(N,)`` integer group ids ``>= 0``.

    Examples:
        >>> loss = EqualizedOdds(from_logits=False)
        >>> probabilities, labels = torch.tensor([0.9, 0.1, 0.5, 0.3]), torch.tensor([1, 0, 1, 0])
        >>> loss(probabilities, labels, groups=torch.tensor([0, 0, 1, 1]))  # |0.9 - 0.5| + |0.1 - 0.3|
        tensor(0.6000)

    Reference: Hardt, Price, Srebro. Equality of Opportunity in Supervised Learning. NeurIPS 2016, Definition 2.1.
    """

    compute = _gap_sum("equalized_odds", _positives_and_negatives, binary=True)


demographic_parity = DemographicParity.functional
equal_opportunity = EqualOpportunity.functional
equalized_odds = EqualizedOdds.functional

_FACTS: dict[str, Any] = {
    "family": "fairness",
    "source": "Hardt, Price & Srebro, Equality of Opportunity in Supervised Learning, NeurIPS 2016",
    "example": scores_labels_groups,
    "tags": {"batch_coupled", "compile"},
    "mean_denominator": "custom",
}


def _contract(target: Literal["any", "binary"]) -> InputContract:
    return InputContract("logits", target, input_shape="(N,)", target_shape="(N,)", output_shape="()")


SPECS = [
    LossSpec.of(DemographicParity, contract=_contract("any"), reference=demographic_parity_reference,
                aliases=("statistical_parity",), **_FACTS),
    LossSpec.of(EqualOpportunity, contract=_contract("binary"), reference=equal_opportunity_reference, **_FACTS),
    LossSpec.of(EqualizedOdds, contract=_contract("binary"), reference=equalized_odds_reference, **_FACTS),
]
