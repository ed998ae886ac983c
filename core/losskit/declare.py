"""How a :class:`~losskit.Loss` class body becomes a loss: one declaration per hyper-parameter.

A loss class declares each hyper-parameter once, as an annotated attribute with
:func:`~losskit.param`, and writes the maths once, as a static ``compute``
whose keyword-only arguments are the declared parameters (without defaults:
the declaration holds them) followed by the context keywords::

    class HuberLoss(Loss, name="huber"):
        delta: float = param(1.0, "residual at which the loss turns linear", gt=0, finite=True)
        reduction: Reduction = reduction_param()

        @staticmethod
        def compute(input, target, *, delta, reduction, weight=None):
            ...

From that, this module derives the parameter tuple (``HuberLoss.params``), the
keyword-only ``__init__`` (validating at construction), ``forward`` (calling
``compute`` with the stored values: no validation on the hot path) and the
functional form ``HuberLoss.functional(input, target, *, delta=1.0, ...)``
(validating each call, except while compiling). A class that writes its own
``forward`` (a loss with learnable state) gets no functional form.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal, Union, get_args, get_origin

import torch

from . import _calling
from ._naming import did_you_mean
from .errors import ContextError, InvalidParamError, SpecError
from .params import UNRESOLVED, Param, validate_params

__all__ = ["collect_params", "context_names", "derive", "dropped_params"]

_KW = inspect.Parameter.KEYWORD_ONLY
_POS = inspect.Parameter.POSITIONAL_OR_KEYWORD


def _annotation(cls: type, attr: str) -> Any:
    """The annotation of ``cls.attr`` evaluated in the class's module (``from __future__ import annotations``)."""
    raw = cls.__dict__.get("__annotations__", {}).get(attr, inspect.Parameter.empty)
    if not isinstance(raw, str):
        return raw
    module = sys.modules.get(cls.__module__)
    try:
        return eval(raw, vars(module) if module else {}, dict(vars(cls)))  # noqa: S307 - the class's own annotation
    except Exception as exc:
        raise SpecError(
            f"{cls.__qualname__}.{attr}: cannot read the annotation {raw!r} ({type(exc).__name__}: {exc}); "
            "import the names it uses at module level, or give the type explicitly: param(..., type=float)."
        ) from None


def _kind_of(annotation: Any, where: str) -> dict[str, Any]:
    """``type``, ``nullable``, ``scalar`` and ``choices`` implied by an annotation."""
    members = [annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        members = list(get_args(annotation))
    nullable = type(None) in members
    kinds: set[type] = set()
    choices: tuple[Any, ...] | None = None
    for member in (m for m in members if m is not type(None)):
        if member in (float, int, bool, str):
            kinds.add(member)
        elif get_origin(member) is Literal and all(isinstance(a, str) for a in get_args(member)):
            kinds.add(str)
            choices = (*(choices or ()), *get_args(member))
        elif member is tuple or get_origin(member) is tuple:
            kinds.add(tuple)
        else:
            raise SpecError(
                f"{where}: cannot derive a parameter type from the annotation {annotation!r}; use float, int, "
                "bool, str, a Literal of strings, tuple[float, ...] (with '| None' where None is allowed), "
                "or give param(..., type=...)."
            )
    if kinds in ({float, tuple}, {float, int, tuple}):
        return {"type": tuple, "scalar": True, "nullable": nullable, "choices": choices}
    if kinds == {float, int}:
        kinds = {float}
    if len(kinds) != 1:
        raise SpecError(f"{where}: the annotation {annotation!r} mixes parameter types {sorted(k.__name__ for k in kinds)}.")
    return {"type": kinds.pop(), "scalar": False, "nullable": nullable, "choices": choices}


def _resolve(cls: type, attr: str, declared: Param) -> Param:
    """The :class:`Param` that ``attr: T = param(...)`` declares: named after the attribute, typed by ``T``."""
    where = f"{cls.__qualname__}.{attr}"
    if declared.name not in ("", attr):
        raise SpecError(f"{where}: this Param is named {declared.name!r}; a declared attribute takes its name.")
    annotation = _annotation(cls, attr)
    if annotation is inspect.Parameter.empty:
        if declared.type is UNRESOLVED:
            raise SpecError(f"{where}: annotate the parameter ({attr}: float = param(...)) so its type is known.")
        return replace(declared, name=attr)
    implied = _kind_of(annotation, where)
    if declared.type is not UNRESOLVED and declared.type is not implied["type"]:
        raise SpecError(f"{where}: type={declared.type.__name__} contradicts the annotation {annotation!r}.")
    filled = {
        "name": attr,
        "type": implied["type"],
        "nullable": implied["nullable"] if declared.nullable is None else declared.nullable,
        "scalar": implied["scalar"] if declared.scalar is None else declared.scalar,
        "choices": declared.choices if declared.choices is not None else implied["choices"],
    }
    resolved = replace(declared, **filled)
    if resolved.default is not None:  # None without nullable marks a required parameter
        try:
            resolved.validate(resolved.default, owner=cls.__qualname__)
        except InvalidParamError as exc:
            raise SpecError(f"{where}: the declared default is invalid: {exc}") from None
    return resolved


def collect_params(cls: type, base: type) -> tuple[Param, ...] | None:
    """The parameters ``cls`` declares with :func:`param`, after its bases' and before ``reduction``;
    ``None`` when no class in its MRO declares any.

    A class body that sets ``params = (...)`` explicitly (the original API) keeps that tuple.
    """
    own = {k: v for k, v in vars(cls).items() if isinstance(v, Param)}
    if "params" in vars(cls):
        if own:
            raise SpecError(
                f"{cls.__qualname__}: declares parameters both in 'params' and as attributes "
                f"({', '.join(own)}); use one of the two."
            )
        return None
    if not own and not any(getattr(b, "_declares_params", False) for b in cls.__mro__[1:]):
        return None
    merged: dict[str, Param] = {}
    for klass in reversed(cls.__mro__):
        if klass is base or not issubclass(klass, base):
            continue
        if klass is not cls and "params" in vars(klass):
            merged.update((p.name, p) for p in vars(klass)["params"])
        if klass is cls:
            merged.update((attr, _resolve(cls, attr, p)) for attr, p in own.items())
    if "reduction" in merged:  # the shared parameter comes last, after the loss's own, as in torch
        merged["reduction"] = merged.pop("reduction")
    return tuple(merged.values())


def _compute_signature(cls: type, compute: Callable[..., Any], params: tuple[Param, ...]) -> list[inspect.Parameter]:
    """The context keywords of ``compute``, after checking that it takes exactly the declared parameters."""
    where = f"{cls.__qualname__}.compute"
    signature = inspect.signature(compute)
    positional = [p for p in signature.parameters.values() if p.kind is not _KW]
    if [p.name for p in positional][:2] != ["input", "target"] or len(positional) != 2:
        raise SpecError(f"{where}: must take (input, target, *, <parameters>, <context>), got {signature}.")
    keywords = {p.name: p for p in signature.parameters.values() if p.kind is _KW}
    names = [p.name for p in params]
    missing = [n for n in names if n not in keywords]
    if missing:
        raise SpecError(f"{where}: must take every declared parameter as a keyword-only argument; missing {missing}.")
    defaulted = [n for n in names if keywords[n].default is not inspect.Parameter.empty]
    if defaulted:
        raise SpecError(
            f"{where}: {defaulted} have defaults here too; a parameter's default lives in its param(...) only."
        )
    return [p for n, p in keywords.items() if n not in names]


def context_names(forward: Callable[..., Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(accepted, required) context keywords: ``forward``'s keyword-only arguments."""
    parameters = [p for p in inspect.signature(forward).parameters.values() if p.kind is _KW]
    return (
        frozenset(p.name for p in parameters),
        frozenset(p.name for p in parameters if p.default is inspect.Parameter.empty),
    )


def _init(cls: type, params: tuple[Param, ...]) -> Callable[..., None]:
    def __init__(self: Any, **hparams: Any) -> None:
        super(cls, self).__init__(**hparams)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", _POS), *(inspect.Parameter(p.name, _KW, default=p.default) for p in params)]
    )
    __init__._losskit_generated = True  # type: ignore[attr-defined]
    return __init__


def _forward(cls: type, compute: Callable[..., Any], context: list[inspect.Parameter]) -> Callable[..., Any]:
    def forward(self: Any, input: Any, target: Any, **context_values: Any) -> Any:
        return compute(input, target, **self._hparams, **context_values)

    forward.__qualname__ = f"{cls.__qualname__}.forward"
    forward.__doc__ = f"``{cls.__qualname__}.compute`` with this loss's hyper-parameters."
    forward.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, _POS) for n in ("self", "input", "target")] + context
    )
    return forward


def _functional(
    cls: type, compute: Callable[..., Any], params: tuple[Param, ...], context: list[inspect.Parameter]
) -> Callable[..., Any]:
    name = cls.loss_name or cls.__name__  # type: ignore[attr-defined]
    declared = {p.name for p in params} | {alias for p in params for alias in p.aliases}  # weight= for class_weights
    defaults = {p.name: p.default for p in params}
    accepted = {p.name for p in context}
    required = {p.name for p in context if p.default is inspect.Parameter.empty}

    def functional(input: Any, target: Any, **kwargs: Any) -> Any:
        if torch.compiler.is_compiling():  # validated eagerly; tracing the checks would only add guards
            return compute(input, target, **{**defaults, **kwargs})
        given = {k: v for k, v in kwargs.items() if k in declared}
        context_values = {k: v for k, v in kwargs.items() if k not in declared}
        unknown = sorted(context_values.keys() - accepted)
        if unknown:
            raise InvalidParamError(
                name,
                unknown[0],
                f"unknown parameter or context keyword{did_you_mean(unknown[0], declared | accepted) or '.'} "
                f"Parameters: {', '.join(defaults) or 'none'}; context keywords: {', '.join(sorted(accepted)) or 'none'}.",
            )
        missing = sorted(required - context_values.keys())
        if missing:
            raise ContextError(f"{name} needs the context keyword {missing[0]!r}: pass {missing[0]}=... .")
        values = validate_params(name, params, given)
        cls.check_params(values)  # type: ignore[attr-defined]
        return compute(input, target, **values, **context_values)

    functional.__name__ = f"{name}_loss"
    functional.__qualname__ = functional.__name__
    functional.__module__ = cls.__module__
    functional.__doc__ = (
        f"Functional form of :class:`{cls.__qualname__}`: the same maths, parameters validated on each call "
        "(not while compiling)."
    )
    functional.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("input", _POS), inspect.Parameter("target", _POS)]
        + [inspect.Parameter(p.name, _KW, default=p.default) for p in params]
        + context
    )
    functional._losskit_generated = True  # type: ignore[attr-defined]
    return functional


def derive(
    cls: type, base: type, *, inputs: dict[str, str] | tuple[str, ...] | None = None,
    positional: tuple[str, ...] | None = None,
) -> None:
    """Fill in what ``cls`` leaves out: ``params``, ``__init__``, ``forward``, ``functional``; with ``inputs``
    and ``positional``, torch's calling conventions (:mod:`losskit._calling`)."""
    params = collect_params(cls, base)
    if params is not None:
        cls.params = params  # type: ignore[attr-defined]
        cls._declares_params = True  # type: ignore[attr-defined]
        if "__init__" not in vars(cls):
            cls.__init__ = _calling.positional_init(cls, _init(cls, params), positional or (), params)  # type: ignore[misc]
    if positional is not None and not getattr(vars(cls).get("__init__"), "_losskit_generated", False):
        raise SpecError(f"{cls.__qualname__}: positional= applies to the derived __init__; this class writes its own.")
    init = vars(cls).get("__init__")
    if init is not None and not getattr(init, "_losskit_generated", False):
        cls.__init__ = _recording_given(init)  # type: ignore[misc]
    compute = vars(cls).get("compute")
    if compute is None:
        if inputs is not None:
            accepted, required = context_names(cls.forward)  # type: ignore[attr-defined]
            torch_inputs = _calling.inputs_of(cls, inputs, set(accepted), set(required))
            cls.__call__ = _calling.calling(torch_inputs, base.__call__, cls.forward)  # type: ignore[attr-defined]
        return
    if not isinstance(compute, staticmethod):
        raise SpecError(f"{cls.__qualname__}.compute must be a @staticmethod: it is the functional form's maths.")
    if "forward" in vars(cls):
        raise SpecError(f"{cls.__qualname__}: defines both compute and forward; forward is derived from compute.")
    compute = compute.__func__
    context = _compute_signature(cls, compute, cls.params)  # type: ignore[attr-defined]
    cls.forward = _forward(cls, compute, context)  # type: ignore[attr-defined]
    functional = _functional(cls, compute, cls.params, context)
    taken = sorted({a for p in cls.params for a in p.aliases} & {p.name for p in context})  # type: ignore[attr-defined]
    if taken:
        raise SpecError(f"{cls.__qualname__}: {taken[0]!r} is both a parameter's alias and a context keyword of compute.")
    torch_inputs = _calling.inputs_of(
        cls, inputs, {p.name for p in context}, {p.name for p in context if p.default is inspect.Parameter.empty}
    )
    if inputs is not None:
        cls.__call__ = _calling.calling(torch_inputs, base.__call__, cls.forward)  # type: ignore[attr-defined]
    cls.functional = staticmethod(_calling.functional_calling(torch_inputs, functional))  # type: ignore[attr-defined]


def _recording_given(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a hand-written ``__init__`` so that :func:`dropped_params` can compare what it was given."""

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if "_losskit_given" not in self.__dict__:  # the outermost __init__ of this construction
            object.__setattr__(self, "_losskit_given", kwargs)
        init(self, *args, **kwargs)

    return __init__


def dropped_params(loss: Any, values: dict[str, Any], owner: str) -> list[str]:
    """Declared parameters given to the outermost ``__init__`` whose value did not reach ``Loss.__init__``."""
    given = loss.__dict__.pop("_losskit_given", None)
    if not given:
        return []
    declared = {p.name: p for p in type(loss).params}
    dropped = []
    for name, value in given.items():
        if name in declared and name in values and declared[name].validate(value, owner=owner) != values[name]:
            dropped.append(name)
    return dropped
