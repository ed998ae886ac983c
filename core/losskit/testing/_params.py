"""Parameter values for the checks: valid non-default ones drawn from each Param's range, and invalid ones."""

from __future__ import annotations

import math
import random
from typing import Any

from torch import Tensor

from ..errors import InvalidParamError, LossInputError
from ..params import Param
from ..spec import Example
from ._examples import call
from ._subject import RegisteredSpec


def valid_value(p: Param, value: Any) -> bool:
    try:
        p.validate(value, owner="sample")
    except InvalidParamError:
        return False
    return True


def _range(p: Param) -> tuple[float | None, float | None]:
    return (p.ge if p.ge is not None else p.gt), (p.le if p.le is not None else p.lt)


def _number(p: Param, base: float, rng: random.Random) -> float:
    """A number inside ``p``'s bounds (open bounds are re-checked by the caller), near ``base`` when unbounded."""
    low, high = _range(p)
    if low is not None and high is not None:
        return low + (high - low) * rng.uniform(0.1, 0.9)
    step = (abs(base) or 1.0) * rng.uniform(0.3, 1.5)
    return base + step if high is None or base + step < high else base - step


def _candidates(p: Param, base: Any, rng: random.Random, lengths: list[int]) -> list[Any]:
    """Values of ``p`` to try, most likely valid first; ``lengths`` are the tuple lengths to try (class counts)."""
    if p.choices is not None:
        return rng.sample(list(p.choices), len(p.choices))
    if p.type is bool:
        return [not base]
    if p.type is tuple:
        if base:
            return [tuple(v * rng.uniform(0.5, 1.5) for v in base) for _ in range(5)]
        bounded = None not in _range(p)
        return [tuple(_number(p, 1.0, rng) if bounded else rng.uniform(0.2, 2.0) for _ in range(n)) for n in lengths]
    if p.type not in (int, float):
        return []
    base = base if isinstance(base, (int, float)) and not isinstance(base, bool) else (_range(p)[0] or 0)
    out = [_number(p, base, rng) for _ in range(10)]
    if p.type is int:
        out = [round(v) for v in out] + [base + 1, base - 1, base + 2]
    return out


def class_count(example: Example) -> int | None:
    """The size of the input's dimension 1 (the classes of an ``(N, C, ...)`` input), if it has one."""
    x = example.input
    return x.shape[1] if isinstance(x, Tensor) and x.dim() >= 2 else None


def _lengths(example: Example) -> list[int]:
    """Tuple lengths to try for a per-class parameter: the example's class count, its last dimension, 1."""
    x = example.input
    lengths = [class_count(example), x.shape[-1] if isinstance(x, Tensor) and x.dim() else None, 1]
    return [n for n in dict.fromkeys(lengths) if n]


def non_defaults(subject: RegisteredSpec, p: Param, rng: random.Random, example: Example) -> list[Any]:
    """Valid values of ``p`` other than the one the subject builds it with, most likely to run first."""
    base = subject.params.get(p.name, p.default)
    return [v for v in _candidates(p, base, rng, _lengths(example)) if v != base and valid_value(p, v)]


def variant(subject: RegisteredSpec, rng: random.Random, example: Example) -> dict[str, Any]:
    """Random non-default valid params that build and run on ``example``.

    For each param in turn, the first sampled value that the loss accepts
    (building it and calling it on ``example``) is kept; a param for which
    none is accepted keeps its default.
    """
    chosen: dict[str, Any] = {}
    for p in subject.spec.params or ():
        for value in non_defaults(subject, p, rng, example):
            trial = {**chosen, p.name: value}
            try:
                call(subject, subject.build(**trial), example)
            except (InvalidParamError, LossInputError):
                continue
            chosen = trial
            break
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
    if p.finite:
        out.append((wrap(math.inf), "declared finite"))
    if p.choices is not None:
        out.append(("__not_a_choice__" if p.type is str else -12345, f"declared choices {p.choices}"))
    wrong_type = {str: 12345, bool: "yes", tuple: "abc"}.get(p.type, "abc")
    out.append((wrong_type, f"declared type {p.type.__name__}"))
    return [(v, why) for v, why in out if not valid_value(p, v)]
