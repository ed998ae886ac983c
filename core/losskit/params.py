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
from .errors import InvalidParamError, SpecError, excerpt

__all__ = ["Param", "ignore_index_param", "param", "reduction_param", "validate_params", "REDUCTIONS"]

REDUCTIONS = ("mean", "sum", "none")

_TYPES = (float, int, bool, str, tuple)
#: An ``int`` parameter must fit in int64, as every torch integer does (a larger one is refused, not wrapped).
_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Param:
    """One hyper-parameter of a loss.

    ``type`` is ``float``, ``int``, ``bool``, ``str`` or ``tuple`` (a sequence of
    floats, e.g. per-class weights; stored as a tuple so configs stay plain
    data). Bounds (``ge``, ``gt``, ``le``, ``lt``) apply to numbers and to each
    element of a tuple. ``finite`` refuses ``inf`` (``nan`` is always refused).
    ``scalar`` lets a ``tuple`` parameter also take one number, kept as a float
    (``alpha=0.25`` or one ``alpha`` per class). ``nullable`` admits ``None``.
    ``check`` is an extra rule: it returns an error message, or ``None`` when
    the value is fine. ``aliases`` are other names the parameter also answers to
    wherever parameters are validated, e.g. torch's ``weight`` for ``class_weights``.

    In a :class:`~losskit.Loss` class body, declare a parameter with :func:`param`
    instead: its name comes from the attribute and its type from the annotation.
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
    finite: bool = False
    scalar: bool = False
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type is UNRESOLVED:  # param(...) in a class body: completed by losskit.declare
            return
        if self.type not in _TYPES:
            raise SpecError(f"Param {self.name!r}: type must be one of {_TYPES}, got {self.type!r}")
        if self.scalar and self.type is not tuple:
            raise SpecError(f"Param {self.name!r}: scalar=True applies to type=tuple only, got {self.type.__name__}")

    def validate(self, value: Any, *, owner: str) -> Any:
        """Return ``value`` converted to the declared type, or raise :class:`InvalidParamError`."""
        if value is None:
            if self.nullable:
                return None
            raise InvalidParamError(owner, self.name, f"must not be None ({self.expected()})")
        raw, value = value, self._convert(value, owner)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            problem = self._range_problem(item)
            if problem is None and self.finite and isinstance(item, float) and math.isinf(item):
                problem = "finite"
            if problem:
                got = f"{excerpt(item)} in {excerpt(list(value))}" if isinstance(value, tuple) else excerpt(raw)
                raise InvalidParamError(owner, self.name, f"must be {problem}, got {got}")
        if self.choices is not None and value not in self.choices:
            raise InvalidParamError(
                owner,
                self.name,
                f"must be one of {', '.join(map(repr, self.choices))}, got {excerpt(value)}"
                + did_you_mean(str(value), map(str, self.choices)),
            )
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise InvalidParamError(owner, self.name, f"{problem}, got {excerpt(value)}")
        return value

    def expected(self) -> str:
        """Human-readable description of the accepted values, e.g. ``float >= 0``."""
        kind = "sequence of floats" if self.type is tuple else self.type.__name__
        parts = ["float or " + kind if self.scalar else kind]
        bounds = self._bounds_text()
        if bounds:
            parts.append(bounds)
        if self.choices is not None:
            parts = [" | ".join(map(repr, self.choices))]
        if self.nullable:
            parts.append("or None")
        return " ".join(parts)

    def _bounds_text(self, finite: bool = True) -> str:
        text = []
        for symbol, bound in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt)):
            if bound is not None:
                text.append(f"{symbol} {bound:g}")
        if self.finite and finite:
            text.append("finite")
        return " and ".join(text)

    def _convert(self, value: Any, owner: str) -> Any:
        def wrong() -> InvalidParamError:  # built only when raised: the value's excerpt costs time
            return InvalidParamError(
                owner, self.name, f"must be {self.expected()}, got {excerpt(value)} of type {type(value).__name__}"
            )

        if isinstance(value, torch.Tensor):
            value = value.tolist()
        if self.type is bool:
            if not isinstance(value, bool):
                raise wrong()
            return value
        if self.type is str:
            if not isinstance(value, str):
                raise wrong()
            return value
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise wrong()
            if not _INT64[0] <= int(value) <= _INT64[1]:
                raise InvalidParamError(
                    owner,
                    self.name,
                    f"must be {self.expected()} and fit in int64 (-2**63 to 2**63 - 1), got {excerpt(value)}",
                )
            return int(value)
        if self.type is float or (self.scalar and isinstance(value, numbers.Real) and not isinstance(value, bool)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise wrong()
            value = self._float(value, owner)
            if math.isnan(value):
                raise InvalidParamError(owner, self.name, f"must be {self.expected()}, got nan")
            return value
        # tuple of floats
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise wrong()
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
            raise wrong()
        floats = tuple(self._float(v, owner) for v in value)
        if any(math.isnan(v) for v in floats):
            raise InvalidParamError(owner, self.name, f"must be {self.expected()} without nan, got {list(floats)!r}")
        return floats

    def _float(self, value: Any, owner: str) -> float:
        """``float(value)``; an integer beyond float range (``10**400``) is an :class:`InvalidParamError`."""
        try:
            return float(value)
        except OverflowError:
            raise InvalidParamError(
                owner, self.name, f"must be {self.expected()}, got {excerpt(value)}, too large for a float"
            ) from None

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
            return self._bounds_text(finite=False)  # a value out of range is told the range; inf, "finite"
        return None


def param(
    default: Any,
    doc: str,
    *,
    type: type | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[Any, ...] | None = None,
    nullable: bool | None = None,
    check: Callable[[Any], str | None] | None = None,
    finite: bool = False,
    scalar: bool | None = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """Declare a hyper-parameter in a :class:`~losskit.Loss` class body, once::

        class HuberLoss(Loss, name="huber"):
            delta: float = param(1.0, "residual at which the loss turns linear", gt=0, finite=True)
            reduction: Reduction = reduction_param()

    The attribute names the parameter; the annotation gives its type when
    ``type`` is not given (``float``, ``int``, ``bool``, ``str``, a ``Literal``
    of strings for choices, ``tuple[float, ...]``, ``float | tuple[float, ...]``
    for ``scalar``, ``... | None`` for ``nullable``). The other options are
    :class:`Param`'s. Returns a :class:`Param` whose name and type the class fills in.
    """
    return Param(
        "",
        default,
        doc,
        type=type or UNRESOLVED,
        ge=ge,
        gt=gt,
        le=le,
        lt=lt,
        choices=choices,
        nullable=nullable,  # type: ignore[arg-type]  # None: from the annotation
        check=check,
        finite=finite,
        scalar=scalar,  # type: ignore[arg-type]
        aliases=tuple(aliases),
    )


class _Unresolved:
    """Placeholder type of a :func:`param` until its class reads the annotation."""


#: The type of a :func:`param` until its class reads the annotation (:mod:`losskit.declare`,
#: :mod:`losskit.custom`); internal to losskit, not in ``__all__``.
UNRESOLVED: Any = _Unresolved


def reduction_param(default: str = "mean", choices: tuple[str, ...] = REDUCTIONS) -> Any:
    """The shared ``reduction`` parameter: ``'mean' | 'sum' | 'none'`` like torch.

    Used in a ``params`` tuple or as a class attribute (``reduction: Reduction = reduction_param()``).
    """
    return Param(
        "reduction",
        default,
        "how the per-element losses are reduced: " + ", ".join(repr(c) for c in choices),
        type=str,
        choices=choices,
    )


def ignore_index_param(default: int = -100) -> Any:
    """The shared ``ignore_index`` parameter of class-index losses (torch's default, -100)."""
    return Param("ignore_index", default, "target value that contributes neither loss nor gradient", type=int)


def validate_params(owner: str, declared: Sequence[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``given`` against ``declared``; return every parameter's validated value.

    Unknown names raise :class:`InvalidParamError` listing the valid ones.
    """
    by_name = {p.name: p for p in declared}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        given, unknown = _unaliased(owner, declared, given)
    if unknown:
        valid = ", ".join(by_name) if by_name else "none"
        raise InvalidParamError(
            owner,
            unknown[0],
            f"unknown parameter{did_you_mean(unknown[0], by_name) or '.'} Valid parameters: {valid}.",
        )
    return {p.name: p.validate(given.get(p.name, p.default), owner=owner) for p in declared}


def _unaliased(owner: str, declared: Sequence[Param], given: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``given`` with each alias replaced by its parameter's name, and the names still unknown."""
    canonical = {alias: p.name for p in declared for alias in p.aliases}
    renamed: dict[str, Any] = {}
    for key, value in given.items():
        name = canonical.get(key, key)
        if name in renamed:
            other = key if name != key else next(k for k in given if canonical.get(k) == name)
            raise InvalidParamError(owner, name, f"given twice, as {name}= and as {other}= (its alias); give one.")
        renamed[name] = value
    known = {p.name for p in declared}
    return renamed, [k for k in renamed if k not in known]
