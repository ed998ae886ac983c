"""Weighted sums of losses: ``focal + 0.5 * dice + 1e-4 * l2_penalty``.

``a + b``, ``w * a`` and ``sum([a, b, c])`` build a :class:`WeightedSum`;
nested sums flatten into one, so ``2 * (a + b)`` is ``2 * a + 2 * b``. Terms are
held in an ``nn.ModuleList``, so a learnable term's parameters are the sum's
parameters, and the same module may appear twice (its parameters are shared).

Context keywords are routed: each term receives only the keys it declares, a
key no term declares is an error with a did-you-mean, and a missing required
key names the term that needs it.

A weight may be any finite real number. A weight of ``0`` switches a term off
without removing it from the config or the logs: the term is still evaluated
(without gradient) so that :meth:`~losskit.Loss.breakdown` reports it, but it
adds nothing to the total, not even a ``nan``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ._naming import did_you_mean
from .errors import ContextError, InvalidParamError, LossInputError, excerpt
from .loss import ContextKeys, Loss, LossOutput

__all__ = ["Composite", "WeightedSum", "add", "check_weight", "scale"]

#: Separates a composite term's name from its own parts' names: ``multitask/seg``.
PART_SEPARATOR = "/"


def check_weight(weight: Any, *, owner: str = "sum") -> float:
    """``weight`` as a float; ``TypeError`` unless a real number, :class:`InvalidParamError` unless finite."""
    if isinstance(weight, Tensor) and weight.numel() == 1 and not weight.requires_grad:
        weight = weight.item()
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        raise TypeError(
            f"{owner}: a loss weight must be a finite real number, got {excerpt(weight)} "
            f"of type {type(weight).__name__}."
        )
    try:
        value = float(weight)
    except OverflowError:  # an int beyond float range
        raise InvalidParamError(owner, "weight", f"must be a finite number, got {excerpt(weight)}") from None
    if not math.isfinite(value):
        raise InvalidParamError(owner, "weight", f"must be a finite number, got {value!r}")
    return value


def unique_names(bases: Iterable[str]) -> tuple[str, ...]:
    """``('dice', 'focal', 'dice')`` -> ``('dice', 'focal', 'dice_1')``: stable, unique logger keys."""
    names: list[str] = []
    taken: set[str] = set()
    suffix: dict[str, int] = {}  # per base, the last suffix tried: each is tried once, so this is linear
    for base in bases:
        name, i = base, suffix.get(base, 0)
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        suffix[base] = i
        names.append(name)
        taken.add(name)
    return tuple(names)


def part_name(loss: Loss) -> str:
    """The key a term's value is logged under: its registry name without a ``plugin:`` qualifier."""
    return loss.config_name.rpartition(":")[2]


class Composite(Loss):
    """A loss made of named sub-losses, routing the context to each one.

    Subclasses implement :meth:`labelled_terms` and :meth:`evaluate`; the
    latter returns the total and the detached per-term parts in one pass, so
    that ``loss(...)`` and ``loss.breakdown(...)`` share one computation.
    """

    params = ()

    def labelled_terms(self) -> Iterator[tuple[str, Loss]]:
        raise NotImplementedError

    def evaluate(self, input: Any, target: Any, context: dict[str, Any]) -> LossOutput:
        raise NotImplementedError

    def forward(self, input: Any, target: Any, **context: Any) -> Tensor:
        return self.evaluate(input, target, context).total

    def breakdown(self, input: Any, target: Any, **context: Any) -> LossOutput:
        self.check_context(context)
        return self.evaluate(input, target, context)

    def context_keys(self) -> ContextKeys:
        keys = [term.context_keys() for _, term in self.labelled_terms()]
        return ContextKeys(
            frozenset().union(*(k.accepted for k in keys)), frozenset().union(*(k.required for k in keys))
        )

    def check_context(self, context: dict[str, Any]) -> None:
        accepted = self.context_keys().accepted
        unknown = sorted(context.keys() - accepted)
        if unknown:
            listed = ", ".join(sorted(accepted)) or "none"
            raise ContextError(
                f"{self.config_name} got the context keyword {unknown[0]!r}, which none of its terms uses"
                f"{did_you_mean(unknown[0], accepted) or '.'} Its terms accept: {listed}."
            )
        for label, term in self.labelled_terms():
            missing = sorted(term.context_keys().required - context.keys())
            if missing:
                raise ContextError(
                    f"{self.config_name}: term {label!r} needs the context keyword {missing[0]!r}: "
                    f"call it as loss(input, target, {missing[0]}=...)."
                )

    def run_term(self, term: Loss, input: Any, target: Any, context: dict[str, Any], *, weight: float) -> LossOutput:
        """One term's output on its share of the context; without gradient when its weight is 0."""
        own = {k: v for k, v in context.items() if k in term.context_keys().accepted}
        with torch.set_grad_enabled(torch.is_grad_enabled() and weight != 0.0):
            return term.breakdown(input, target, **own)

    @staticmethod
    def add_parts(parts: dict[str, Tensor], label: str, term: Loss, out: LossOutput) -> None:
        parts[label] = out.total.detach()
        if isinstance(term, Composite):
            parts.update({f"{label}{PART_SEPARATOR}{k}": v for k, v in out.parts.items()})

    @staticmethod
    def weighted_total(owner: str, values: Sequence[tuple[str, float, Tensor]]) -> Tensor:
        """``sum(w * v)`` over the terms whose weight is not 0; every value must have one shape."""
        shapes = {tuple(v.shape) for _, _, v in values}
        if len(shapes) > 1:
            listed = ", ".join(f"{label} {tuple(v.shape)}" for label, _, v in values)
            raise LossInputError(
                f"{owner}: its terms return values of different shapes ({listed}), which cannot be added "
                "without silently broadcasting. Give every term the same reduction, e.g. reduction='mean'."
            )
        total: Tensor | None = None
        for _, w, v in values:
            if w == 0.0:
                continue
            term = v if w == 1.0 else w * v
            total = term if total is None else total + term
        return total if total is not None else torch.zeros_like(values[0][2])


class WeightedSum(Composite):
    """``sum_i weights[i] * terms[i](input, target, **context_i)``.

    Built by ``+``, ``*`` and ``sum()`` on losses, or directly. ``names`` are
    the stable, unique keys of :meth:`breakdown`'s parts (``focal``, ``dice``,
    ``dice_1``); the parts are the terms' unweighted values.

    Args:
        terms: the losses; a :class:`WeightedSum` among them is flattened into this one.
        weights: one finite real weight per term; default 1 each.

    Examples:
        >>> loss = get_loss("focal") + 0.5 * get_loss("dice")            # doctest: +SKIP
        >>> total, parts = loss.breakdown(logits, target)               # doctest: +SKIP
        >>> parts                                                       # doctest: +SKIP
        {'focal': tensor(0.41), 'dice': tensor(0.23)}
    """

    loss_name = "sum"

    def __init__(self, terms: Sequence[Loss], weights: Sequence[float] | None = None) -> None:
        super().__init__()
        terms = list(terms)
        weights = [1.0] * len(terms) if weights is None else list(weights)
        if len(weights) != len(terms):
            raise InvalidParamError(
                "sum", "weights", f"needs one weight per term, got {len(terms)} terms but {len(weights)} weights"
            )
        if not terms:
            raise InvalidParamError("sum", "terms", "needs at least one term (a losskit.Loss), got none")
        flat_terms: list[Loss] = []
        flat_weights: list[float] = []
        for term, weight in zip(terms, weights):
            if not isinstance(term, Loss):
                raise TypeError(f"sum: terms must be losskit.Loss instances, got {type(term).__name__}.")
            weight = check_weight(weight)
            if isinstance(term, WeightedSum):
                flat_terms += list(term.terms)
                flat_weights += [weight * w for w in term.weights]
            else:
                flat_terms.append(term)
                flat_weights.append(weight)
        self.terms = nn.ModuleList(flat_terms)
        self.weights: tuple[float, ...] = tuple(flat_weights)
        self.names: tuple[str, ...] = unique_names(part_name(t) for t in flat_terms)

    def labelled_terms(self) -> Iterator[tuple[str, Loss]]:
        return zip(self.names, self.terms)

    def evaluate(self, input: Any, target: Any, context: dict[str, Any]) -> LossOutput:
        parts: dict[str, Tensor] = {}
        values = []
        for label, term, weight in zip(self.names, self.terms, self.weights):
            out = self.run_term(term, input, target, context, weight=weight)
            self.add_parts(parts, label, term, out)
            values.append((label, weight, out.total))
        return LossOutput(self.weighted_total(self.config_name, values), parts)

    def to_config(self) -> dict[str, Any]:
        terms = []
        for term, weight in zip(self.terms, self.weights):
            node = term.to_config()
            if weight != 1.0:
                node["weight"] = weight
            terms.append(node)
        return {"name": "sum", "terms": terms}

    def extra_repr(self) -> str:
        return f"weights={self.weights!r}"


def add(a: Any, b: Any) -> WeightedSum:
    """``a + b``; ``0 + loss`` is the loss as a one-term sum, so that ``sum(losses)`` works."""
    terms = [x for x in (a, b) if not _is_zero(x)]
    for x in terms:
        if not isinstance(x, Loss):
            raise TypeError(
                f"can only add a losskit.Loss to a Loss (or 0, so that sum() works), got {type(x).__name__}; "
                "to weight a loss, multiply it: 0.5 * loss."
            )
    return WeightedSum(terms)


def scale(loss: Loss, weight: Any) -> WeightedSum:
    """``weight * loss``, a one-term weighted sum (or the sum with every weight scaled)."""
    return WeightedSum([loss], [check_weight(weight)])


def _is_zero(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool) and x == 0
