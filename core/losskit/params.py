"""Declared loss hyper-parameters and their validation.

A loss declares its hyper-parameters once, as :class:`Param` objects; the same
declarations validate direct construction, ``get_loss(name, **params)`` and
config building, and document the loss in ``losskit describe``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ._naming import did_you_mean
from .errors import InvalidParamError, SpecError

__all__ = ["Param", "reduction_param", "validate_params", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")

_TYPES = (float, int, bool, str, tuple)


@dataclass(frozen=True)
class Param:
    """One hyper-parameter of a loss.

    ``type`` is ``float``, ``int``, ``bool``, ``str`` or ``tuple`` (a sequence of
    floats, e.g. per-class weights; stored as a tuple so configs stay plain
    data). Bounds (``ge``, ``gt``, ``le``, ``lt``) apply to numbers and to each
    element of a tuple. ``nullable`` admits ``None``. ``check`` is an extra
    rule: it returns an error message, or ``None`` when the value is fine.
    """

    name: str
    default: Any
    doc: str
    type: type = float
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] | None = None
    nullable: bool = False
    check: Callable[[Any], str | None] | None = None

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise SpecError(f"Param {self.name!r}: type must be one of {_TYPES}, got {self.type!r}")

    def validate(self, value: Any, *, owner: str) -> Any:
        """Return ``value`` converted to the declared type, or raise :class:`InvalidParamError`."""
        if value is None:
            if self.nullable:
                return None
            raise InvalidParamError(owner, self.name, f"must not be None ({self.expected()})")
        raw, value = value, self._convert(value, owner)
        items = value if self.type is tuple else (value,)
        for item in items:
            problem = self._range_problem(item)
            if problem:
                got = f"{raw!r}" if self.type is not tuple else f"{item!r} in {list(value)!r}"
                raise InvalidParamError(owner, self.name, f"must be {problem}, got {got}")
        if self.choices is not None and value not in self.choices:
            raise InvalidParamError(
                owner,
                self.name,
                f"must be one of {', '.join(map(repr, self.choices))}, got {value!r}"
                + did_you_mean(str(value), map(str, self.choices)),
            )
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise InvalidParamError(owner, self.name, f"{problem}, got {value!r}")
        return value

    def expected(self) -> str:
        """Human-readable description of the accepted values, e.g. ``float >= 0``."""
        kind = "sequence of floats" if self.type is tuple else self.type.__name__
        parts = [kind]
        bounds = self._bounds_text()
        if bounds:
            parts.append(bounds)
        if self.choices is not None:
            parts = [" | ".join(map(repr, self.choices))]
        if self.nullable:
            parts.append("or None")
        return " ".join(parts)

    def _bounds_text(self) -> str:
        text = []
        for symbol, bound in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt)):
            if bound is not None:
                text.append(f"{symbol} {bound:g}")
        return " and ".join(text)

    def _convert(self, value: Any, owner: str) -> Any:
        wrong = InvalidParamError(
            owner, self.name, f"must be {self.expected()}, got {value!r} of type {type(value).__name__}"
        )
        if isinstance(value, torch.Tensor):
            value = value.tolist()
        if self.type is bool:
            if not isinstance(value, bool):
                raise wrong
            return value
        if self.type is str:
            if not isinstance(value, str):
                raise wrong
            return value
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise wrong
            return int(value)
        if self.type is float:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise wrong
            value = float(value)
            if math.isnan(value):
                raise InvalidParamError(owner, self.name, f"must be {self.expected()}, got nan")
            return value
        # tuple of floats
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise wrong
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
            raise wrong
        floats = tuple(float(v) for v in value)
        if any(math.isnan(v) for v in floats):
            raise InvalidParamError(owner, self.name, f"must be {self.expected()} without nan, got {list(floats)!r}")
        return floats

    def _range_problem(self, v: Any) -> str | None:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return None
        if any(
            bound is not None and fails
            for bound, fails in (
                (self.ge, self.ge is not None and not v >= self.ge),
                (self.gt, self.gt is not None and not v > self.gt),
                (self.le, self.le is not None and not v <= self.le),
                (self.lt, self.lt is not None and not v < self.lt),
            )
        ):
            return self._bounds_text()
        return None


def reduction_param(default: str = "mean", choices: tuple[str, ...] = REDUCTIONS) -> Param:
    """The shared ``reduction`` parameter: ``'mean' | 'sum' | 'none'`` like torch."""
    return Param(
        "reduction",
        default,
        "how the per-element losses are reduced: " + ", ".join(repr(c) for c in choices),
        type=str,
        choices=choices,
    )


def validate_params(owner: str, declared: Sequence[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``given`` against ``declared``; return every parameter's validated value.

    Unknown names raise :class:`InvalidParamError` listing the valid ones.
    """
    by_name = {p.name: p for p in declared}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        valid = ", ".join(by_name) if by_name else "none"
        raise InvalidParamError(
            owner,
            unknown[0],
            f"unknown parameter{did_you_mean(unknown[0], by_name) or '.'} Valid parameters: {valid}.",
        )
    return {p.name: p.validate(given.get(p.name, p.default), owner=owner) for p in declared}
