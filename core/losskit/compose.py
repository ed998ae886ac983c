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

from ._module_call import calls_forward_only, hooked
from ._naming import did_you_mean
from .errors import ConfigError, ContextError, InvalidParamError, LossInputError, excerpt
from .loss import ContextKeys, Loss, LossOutput

__all__ = ["Composite", "WeightedSum", "add", "check_term_name", "check_weight", "scale"]

#: Separates a composite term's name from its own parts' names: ``multitask/seg``.
PART_SEPARATOR = "/"
#: The longest name a user gives a term (a breakdown key, a config ``label``).
MAX_TERM_NAME = 64


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


def check_term_name(name: Any, *, owner: str, what: str) -> str:
    """A term name chosen by the user (a :meth:`~losskit.Loss.breakdown` key): a non-empty string of at most
    :data:`MAX_TERM_NAME` characters without ``/`` (which joins a nested composite's name to its parts')."""
    if not isinstance(name, str) or not name or len(name) > MAX_TERM_NAME or PART_SEPARATOR in name:
        raise InvalidParamError(
            owner, what, f"a term name must be a non-empty string of at most {MAX_TERM_NAME} characters without "
            f"{PART_SEPARATOR!r}, got {excerpt(name)}"
        )
    return name


def unique_names(bases: Iterable[str], taken: Iterable[str] = ()) -> tuple[str, ...]:
    """``('dice', 'focal', 'dice')`` -> ``('dice', 'focal', 'dice_1')``: stable, unique logger keys,
    none of them among ``taken`` (the names the user gave other terms)."""
    names: list[str] = []
    used = set(taken)
    suffix: dict[str, int] = {}  # per base, the last suffix tried: each is tried once, so this is linear
    for base in bases:
        name, i = base, suffix.get(base, 0)
        while name in used:
            i += 1
            name = f"{base}_{i}"
        suffix[base] = i
        names.append(name)
        used.add(name)
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
        """The union of the terms' context keys; computed once, as the terms are fixed at construction."""
        keys = self.__dict__.get("_context_keys")
        if keys is None:
            each = [term.context_keys() for _, term in self.labelled_terms()]
            keys = ContextKeys(
                frozenset().union(*(k.accepted for k in each)), frozenset().union(*(k.required for k in each))
            )
            self.__dict__["_context_keys"] = keys
        return keys

    def check_context(self, context: dict[str, Any]) -> None:
        keys = self.context_keys()
        if context.keys() <= keys.accepted and keys.required <= context.keys():  # the common case, first
            return
        accepted = keys.accepted
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
        """One term's output on its share of the context; without gradient when its weight is 0.

        The context was checked for every term (:meth:`check_context`), so a term whose ``__call__`` and
        ``breakdown`` are :class:`~losskit.Loss`'s is not checked again: its ``forward`` runs, through
        ``nn.Module.__call__`` where that would do more (hooks: :func:`hooked`, :func:`calls_forward_only`).
        Its one part is its total, which :meth:`add_parts` detaches.
        """
        own = {k: v for k, v in context.items() if k in term.context_keys().accepted} if context else context
        if weight == 0.0 and torch.is_grad_enabled():
            with torch.no_grad():
                return self.run_term(term, input, target, own, weight=1.0)
        cls = type(term)
        if cls.breakdown is not Loss.breakdown:
            return term.breakdown(input, target, **own)
        if cls.__call__ is not Loss.__call__:  # its own call (torch's calling form): its total, as breakdown's
            return LossOutput(term(input, target, **own), {})
        if hooked(term) or not calls_forward_only():
            return LossOutput(nn.Module.__call__(term, input, target, **own), {})
        return LossOutput(term.forward(input, target, **own), {})

    @staticmethod
    def add_parts(parts: dict[str, Tensor], label: str, term: Loss, out: LossOutput) -> None:
        parts[label] = out.total.detach()
        if isinstance(term, Composite):
            parts.update({f"{label}{PART_SEPARATOR}{k}": v for k, v in out.parts.items()})

    @staticmethod
    def weighted_total(owner: str, values: Sequence[tuple[str, float, Tensor]]) -> Tensor:
        """``sum(w * v)`` over the terms whose weight is not 0; every value must have one shape."""
        shape = values[0][2].shape
        for _, _, v in values:  # before any addition, which would broadcast
            if v.shape != shape:
                raise Composite.shape_error(owner, ((label, v.shape) for label, _, v in values))
        total: Tensor | None = None
        for _, w, v in values:
            if w != 0.0:
                total = Composite.add_weighted(total, w, v)
        return total if total is not None else torch.zeros_like(values[0][2])

    @staticmethod
    def add_weighted(total: Tensor | None, weight: float, value: Tensor) -> Tensor:
        """``total + weight * value`` (``total`` ``None``: nothing yet), in one op and one autograd node where it can."""
        if total is None:
            return value if weight == 1.0 else weight * value
        if weight == 1.0:
            return total + value
        try:
            return torch.add(total, value, alpha=weight)
        except RuntimeError:  # integer values, for which torch.add refuses a float alpha
            return total + weight * value

    @staticmethod
    def shape_error(owner: str, shapes: Iterable[tuple[str, Any]]) -> LossInputError:
        listed = ", ".join(f"{label} {tuple(shape)}" for label, shape in shapes)
        return LossInputError(
            f"{owner}: its terms return values of different shapes ({listed}), which cannot be added "
            "without silently broadcasting. Give every term the same reduction, e.g. reduction='mean'."
        )


class WeightedSum(Composite):
    """``sum_i weights[i] * terms[i](input, target, **context_i)``.

    Built by ``+``, ``*`` and ``sum()`` on losses, or directly. ``names`` are
    the stable, unique keys of :meth:`breakdown`'s parts: the names given,
    else the terms' registry names (``focal``, ``dice``, ``dice_1``); the parts
    are the terms' unweighted values.

    Args:
        terms: the losses; a :class:`WeightedSum` among them is flattened into this one
            (with the names given to its terms).
        weights: one finite real weight per term; default 1 each.
        names: one name per term (or ``None`` for its registry name), unique; kept by
            :meth:`to_config` as each term's ``label``. A sum among the terms takes no name:
            it is flattened, so name its terms.

    Examples:
        >>> loss = get_loss("focal") + 0.5 * get_loss("dice")            # doctest: +SKIP
        >>> total, parts = loss.breakdown(logits, target)               # doctest: +SKIP
        >>> parts                                                       # doctest: +SKIP
        {'focal': tensor(0.41), 'dice': tensor(0.23)}
    """

    loss_name = "sum"

    def __init__(
        self, terms: Sequence[Loss], weights: Sequence[float] | None = None, *, names: Sequence[str | None] | None = None
    ) -> None:
        super().__init__()
        terms = list(terms)
        weights = [1.0] * len(terms) if weights is None else list(weights)
        given = [None] * len(terms) if names is None else list(names)
        if len(weights) != len(terms):
            raise InvalidParamError(
                "sum", "weights", f"needs one weight per term, got {len(terms)} terms but {len(weights)} weights"
            )
        if len(given) != len(terms):
            raise InvalidParamError(
                "sum", "names", f"needs one name (or None) per term, got {len(terms)} terms but {len(given)} names"
            )
        if not terms:
            raise InvalidParamError("sum", "terms", "needs at least one term (a losskit.Loss), got none")
        flat_terms: list[Loss] = []
        flat_weights: list[float] = []
        flat_given: list[str | None] = []
        for term, weight, label in zip(terms, weights, given):
            if not isinstance(term, Loss):
                raise TypeError(f"sum: terms must be losskit.Loss instances, got {type(term).__name__}.{_wrap_hint(term)}")
            weight = check_weight(weight)
            if label is not None:
                label = check_term_name(label, owner="sum", what="names")
            if isinstance(term, WeightedSum):
                if label is not None:
                    raise InvalidParamError(
                        "sum", "names", f"the term named {label!r} is a sum, which is flattened into this one: "
                        "name its terms instead"
                    )
                flat_terms += list(term.terms)
                flat_weights += [weight * w for w in term.weights]
                flat_given += list(term._given_names)
            else:
                flat_terms.append(term)
                flat_weights.append(weight)
                flat_given.append(label)
        chosen = [n for n in flat_given if n is not None]
        seen: set[str] = set()
        for n in chosen:
            if n in seen:
                raise InvalidParamError("sum", "names", f"the name {n!r} is given to two terms; term names are unique")
            seen.add(n)
        defaults = iter(unique_names((part_name(t) for t, n in zip(flat_terms, flat_given) if n is None), chosen))
        self.terms = nn.ModuleList(flat_terms)
        self.weights: tuple[float, ...] = tuple(flat_weights)
        self._given_names: tuple[str | None, ...] = tuple(flat_given)
        self.names: tuple[str, ...] = tuple(n if n is not None else next(defaults) for n in flat_given)
        # Per term, what every call needs, worked out once (the terms, like names, weights and context keys, are
        # fixed at construction): (name, term, weight, whether it is a plain Loss: Loss's __call__ and breakdown).
        self._plan: tuple[tuple[str, Loss, float, bool], ...] = tuple(
            (name, term, weight, type(term).__call__ is Loss.__call__ and type(term).breakdown is Loss.breakdown)
            for name, term, weight in zip(self.names, flat_terms, self.weights)
        )

    def labelled_terms(self) -> Iterator[tuple[str, Loss]]:
        return zip(self.names, self.terms)

    def forward(self, input: Any, target: Any, **context: Any) -> Tensor:
        return self._total(input, target, context, None)  # no parts to detach: nobody reads them

    def evaluate(self, input: Any, target: Any, context: dict[str, Any]) -> LossOutput:
        parts: dict[str, Tensor] = {}
        return LossOutput(self._total(input, target, context, parts), parts)

    def _total(self, input: Any, target: Any, context: dict[str, Any], parts: dict[str, Tensor] | None) -> Tensor:
        """The weighted total; each term's detached value into ``parts`` unless it is ``None``.

        :meth:`weighted_total` inlined (the hot path): one loop, no list of values.
        """
        direct = not context and calls_forward_only()  # once for every term
        total: Tensor | None = None
        first: Tensor | None = None
        shapes: list[torch.Size] | None = None  # every term's shape, once two differ (for the error)
        for label, term, weight, plain in self._plan:
            if direct and plain and weight and not hooked(term):
                value = term.forward(input, target)  # what nn.Module.__call__ would do: run_term's plain case
                if parts is not None:
                    parts[label] = value.detach()
            else:
                out = self.run_term(term, input, target, context, weight=weight)
                if parts is not None:
                    self.add_parts(parts, label, term, out)
                value = out.total
            if first is None:
                first, shape = value, value.shape
            elif shapes is not None or value.shape != shape:  # all the shapes so far were `shape`
                shapes = shapes or [shape] * self.names.index(label)
                shapes.append(value.shape)
                continue
            if weight != 0.0:
                total = self.add_weighted(total, weight, value)
        if shapes is not None:
            raise self.shape_error(self._config_name, zip(self.names, shapes))
        return total if total is not None else torch.zeros_like(first)

    def to_config(self) -> dict[str, Any]:
        terms = []
        for i, (term, weight, label) in enumerate(zip(self.terms, self.weights, self._given_names)):
            try:
                node = term.to_config()
            except ConfigError as exc:  # a wrapped term (losskit.wrap): say where it sits
                raise ConfigError(f"terms[{i}] ({self.names[i]}): {exc}") from None
            if label is not None:
                node["label"] = label
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
                f"to weight a loss, multiply it: 0.5 * loss.{_wrap_hint(x)}"
            )
    return WeightedSum(terms)


def scale(loss: Loss, weight: Any) -> WeightedSum:
    """``weight * loss``, a one-term weighted sum (or the sum with every weight scaled)."""
    return WeightedSum([loss], [check_weight(weight)])


def _wrap_hint(x: Any) -> str:
    """For an ``nn.Module`` or a callable where a Loss was expected: how to make it a term."""
    if isinstance(x, nn.Module) or callable(x):
        return " Wrap it to make it a term: losskit.wrap(obj, name=...)."
    return ""


def _is_zero(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool) and x == 0
