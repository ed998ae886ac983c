"""Parameter values for the checks: valid non-default ones drawn from each Param's range, and invalid ones."""

from __future__ import annotations

import random
from typing import Any

from ..errors import InvalidParamError, LossInputError
from ..params import Param
from ..spec import Example
from ._examples import call
from ._subject import RegisteredSpec

_NOTHING = object()


def _valid(p: Param, value: Any) -> bool:
    try:
        p.validate(value, owner="sample")
    except InvalidParamError:
        return False
    return True


def _candidates(p: Param, base: Any, rng: random.Random) -> list[Any]:
    if p.choices is not None:
        return rng.sample(list(p.choices), len(p.choices))
    if p.type is bool:
        return [not base]
    if p.type is tuple:
        if not base:
            return []
        return [tuple(v * rng.uniform(0.5, 1.5) for v in base) for _ in range(5)]
    if p.type not in (int, float):
        return []
    low = p.ge if p.ge is not None else p.gt
    high = p.le if p.le is not None else p.lt
    base = base if isinstance(base, (int, float)) and not isinstance(base, bool) else (low or 0)
    out: list[Any] = []
    for _ in range(10):
        if low is not None and high is not None:
            value = low + (high - low) * rng.uniform(0.1, 0.9)
        else:
            step = (abs(base) or 1.0) * rng.uniform(0.3, 1.5)
            value = base + step if high is None or base + step < high else base - step
        out.append(round(value) if p.type is int else value)
    if p.type is int:
        out += [base + 1, base - 1, base + 2]
    return out


def sample_value(p: Param, rng: random.Random, base: Any) -> Any:
    """A valid value of ``p`` other than ``base`` (its default), or ``_NOTHING`` when none is found."""
    for value in _candidates(p, base, rng):
        if value != base and _valid(p, value):
            return value
    return _NOTHING


def variant(subject: RegisteredSpec, rng: random.Random, example: Example) -> dict[str, Any]:
    """Random non-default valid params that build and run on ``example`` (those that do not are dropped)."""
    chosen: dict[str, Any] = {}
    for p in subject.spec.params or ():
        value = sample_value(p, rng, subject.params.get(p.name, p.default))
        if value is _NOTHING:
            continue
        trial = {**chosen, p.name: value}
        try:
            call(subject, subject.build(**trial), example)
        except (InvalidParamError, LossInputError):
            continue
        chosen = trial
    return chosen


def invalid_values(p: Param) -> list[tuple[Any, str]]:
    """``(value, why it is invalid)`` for ``p``: outside each declared bound, not a choice, of the wrong type."""
    out: list[tuple[Any, str]] = []
    wrap = (lambda v: (v,)) if p.type is tuple else (lambda v: v)
    for bound, bad, why in (
        (p.ge, lambda b: b - 1, ">= {}"),
        (p.gt, lambda b: b, "> {}"),
        (p.le, lambda b: b + 1, "<= {}"),
        (p.lt, lambda b: b, "< {}"),
    ):
        if bound is not None:
            value = bad(bound)
            out.append((wrap(int(value) if p.type is int and value == int(value) else value), "declared " + why.format(bound)))
    if p.choices is not None:
        out.append(("__not_a_choice__" if p.type is str else -12345, f"declared choices {p.choices}"))
    wrong_type = {str: 12345, bool: "yes", tuple: "abc"}.get(p.type, "abc")
    out.append((wrong_type, f"declared type {p.type.__name__}"))
    return [(v, why) for v, why in out if not _valid(p, v)]
