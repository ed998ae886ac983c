"""Calling a loss as torch.nn's is called: inputs by torch's names and positions, constructor parameters by position.

A loss states both facts once, as class keywords, and everything else is derived
when the class is defined (no per-call parsing beyond one length test)::

    class CosineEmbeddingLoss(Loss, name="cosine_embedding",
                              inputs={"input1": "input", "input2": "other", "target": "target"},
                              positional=("margin",)):
        ...

``inputs`` lists the arguments of torch's ``forward`` in torch's order, each with the
role it fills in losskit's protocol ``loss(input, target, **context)``: ``"input"``,
``"target"`` or one of the loss's context keywords. A tuple is short for a mapping
whose first two names fill ``input`` and ``target`` and whose others are context
keywords of the same names: ``inputs=("anchor", "positive", "negative")``.
``positional`` names the constructor parameters that torch takes by position, in
torch's order (``nn.HuberLoss(reduction, delta)`` is ``positional=("reduction", "delta")``);
torch's deprecated ``size_average`` and ``reduce`` are never among them.

Both forms work: ``loss(x1, y, other=x2)`` (losskit's) and ``loss(x1, x2, y)``
(torch's). A call is read in torch's form when it has more than two positional
arguments, or names an input that only torch's form has, or gives ``target=``
beside two positional arguments. Any other call count raises
:class:`~losskit.CallError` naming both forms, never a bare ``TypeError``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CallError, ContextError, SpecError

__all__ = ["Inputs", "bind", "call_count_error", "calling", "functional_calling", "inputs_of", "positional_init"]

_POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KW = inspect.Parameter.KEYWORD_ONLY
_PROTOCOL = ("input", "target")


@dataclass(frozen=True)
class Inputs:
    """torch's forward arguments (``names``, in order) and the losskit role of each (``roles``)."""

    owner: str
    names: tuple[str, ...]
    roles: tuple[str, ...]
    required: frozenset[str] = frozenset()  # the context roles without a default

    @property
    def torch_only(self) -> frozenset[str]:
        """Names that only torch's form uses (a name that is its own role belongs to both forms)."""
        return frozenset(n for n, r in zip(self.names, self.roles) if n != r)

    @property
    def context_roles(self) -> tuple[str, ...]:
        return tuple(r for r in self.roles if r not in _PROTOCOL)

    def usage(self) -> str:
        """How to call the loss: torch's form, and losskit's where it orders the inputs differently."""
        torch_form = f"loss({', '.join(self.names)})"
        if self.roles[:2] == _PROTOCOL and self.names[2:] == self.roles[2:]:  # one order: context by position or name
            return torch_form
        context = "".join(f", {r}={self.role_name(r)}" for r in self.context_roles)
        return f"{torch_form} (torch's order) or loss({self.role_name('input')}, {self.role_name('target')}{context}) (losskit's)"

    def role_name(self, role: str) -> str:
        return self.names[self.roles.index(role)]


def inputs_of(
    cls: type, declared: Mapping[str, str] | tuple[str, ...] | None, context: set[str], required: set[str]
) -> Inputs:
    """The :class:`Inputs` a class declares (``("input", "target")`` when it declares none), checked;
    ``context`` and ``required`` are the loss's context keywords and those without a default."""
    owner = getattr(cls, "loss_name", None) or cls.__qualname__
    if declared is None:
        return Inputs(owner, _PROTOCOL, _PROTOCOL)
    if isinstance(declared, tuple):
        if len(declared) < 2 or not all(isinstance(n, str) for n in declared):
            raise SpecError(f"{cls.__qualname__}: inputs= takes at least two names, got {declared!r}.")
        declared = dict(zip(declared, (*_PROTOCOL, *declared[2:])))
    if not isinstance(declared, Mapping):
        raise SpecError(f"{cls.__qualname__}: inputs= takes a tuple of names or a {{torch name: role}} dict.")
    names, roles = tuple(declared), tuple(declared.values())
    where = f"{cls.__qualname__}: inputs={dict(declared)!r}"
    for role in _PROTOCOL:
        if roles.count(role) != 1:
            raise SpecError(f"{where}: exactly one input must fill the role {role!r}.")
    unknown = [r for r in roles if r not in _PROTOCOL and r not in context]
    if unknown or len(set(roles)) != len(roles):
        raise SpecError(
            f"{where}: each role must be 'input', 'target' or a distinct context keyword of the loss "
            f"({', '.join(sorted(context)) or 'none'}); {unknown or 'a role repeats'}."
        )
    return Inputs(owner, names, roles, frozenset(r for r in roles if r in required))


def bind(inputs: Inputs, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """``(input, target, context)`` from a call in either form; :class:`CallError` for any other call."""
    protocol = sum(k in kwargs for k in _PROTOCOL)  # input= / target= by keyword
    if len(args) + protocol <= 2 and inputs.torch_only.isdisjoint(kwargs):  # losskit's form
        if len(args) + protocol < 2 or not inputs.required.issubset(kwargs):
            raise call_count_error(inputs, args, kwargs)
        context = dict(kwargs)
        values = [*args, *(context.pop(k) for k in _PROTOCOL if k in context)]
        if len(args) == 1 and "input" in kwargs:
            raise CallError(f"{inputs.owner} got 'input' both by position and by keyword; call it as {inputs.usage()}.")
        return values[0], values[1], context
    return torch_form(inputs, args, kwargs)


def _signature(inputs: Inputs, of: Callable[..., Any], skip: int = 0) -> inspect.Signature:
    """``of``'s signature with torch's inputs in place of ``input, target`` and of the context keywords they fill."""
    signature = inspect.signature(of)
    kept = list(signature.parameters.values())[: skip]
    rest = [p for n, p in list(signature.parameters.items())[skip:] if n not in _PROTOCOL and n not in inputs.roles]
    return signature.replace(parameters=[*kept, *(inspect.Parameter(n, _POS) for n in inputs.names), *rest])


def calling(inputs: Inputs, base: Callable[..., Any], forward: Callable[..., Any]) -> Callable[..., Any]:
    """A ``__call__`` taking both forms and calling ``base(self, input, target, **context)``; its signature is
    ``forward``'s in torch's form."""
    fast = inputs.torch_only | set(_PROTOCOL)
    required = len(inputs.required)

    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 2 and len(kwargs) >= required and fast.isdisjoint(kwargs):  # losskit's form, as a rule
            return base(self, args[0], args[1], **kwargs)
        input, target, context = bind(inputs, args, kwargs)
        return base(self, input, target, **context)

    __call__.__doc__ = f"``loss({', '.join(inputs.names)})`` as torch, or ``loss(input, target, **context)``."
    __call__.__signature__ = _signature(inputs, forward, skip=1)  # type: ignore[attr-defined]
    return __call__


def functional_calling(inputs: Inputs, base: Callable[..., Any]) -> Callable[..., Any]:
    """A functional form taking both forms (and :class:`CallError` for any other call) around ``base``."""
    fast = inputs.torch_only | set(_PROTOCOL)

    @functools.wraps(base)
    def functional(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 2 and fast.isdisjoint(kwargs) and inputs.required.issubset(kwargs):
            return base(args[0], args[1], **kwargs)
        input, target, context = bind(inputs, args, kwargs)
        return base(input, target, **context)

    functional.__signature__ = _signature(inputs, base)  # type: ignore[attr-defined]
    return functional


def torch_form(inputs: Inputs, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """``(input, target, context)`` from a call in torch's form (``args`` by ``inputs.names``' order)."""
    if len(args) > len(inputs.names):
        raise CallError(
            f"{inputs.owner} takes {len(inputs.names)} inputs, {inputs.usage()}, got {len(args)} positional "
            "arguments; give its parameters to the constructor, or by keyword to the functional form."
        )
    bound = dict(zip(inputs.names, args))
    rest = dict(kwargs)
    for name in inputs.names[len(args):]:
        if name in rest:
            bound[name] = rest.pop(name)
    twice = sorted(set(inputs.names[: len(args)]) & kwargs.keys())
    if twice:
        raise CallError(f"{inputs.owner} got {twice[0]!r} both by position and by keyword; call it as {inputs.usage()}.")
    missing = [n for n in inputs.names if n not in bound]
    if missing:
        raise CallError(f"{inputs.owner} is missing the input {missing[0]!r}; call it as {inputs.usage()}.")
    filled = dict(zip(inputs.roles, (bound[n] for n in inputs.names)))
    clash = sorted(filled.keys() & rest.keys())
    if clash:
        raise CallError(
            f"{inputs.owner} got {clash[0]}= beside torch's {inputs.role_name(clash[0])!r}, which fills it; "
            f"call it as {inputs.usage()}."
        )
    input, target = filled.pop("input"), filled.pop("target")
    return input, target, {**rest, **filled}


def call_count_error(inputs: Inputs, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> CallError:
    """The error for a call in losskit's form that lacks an input, or a context keyword that torch passes as an input."""
    given = len(args) + sum(k in kwargs for k in _PROTOCOL)
    missing = sorted(inputs.required - kwargs.keys())
    if given > 2:
        what = f"{given} inputs"
    elif given < 2 or not missing:
        what = f"only {given} of its inputs"
    else:  # a missing context keyword: the ContextError that a loss without torch's inputs raises too
        return ContextError(f"{inputs.owner} needs the context keyword {missing[0]!r}; call it as {inputs.usage()}.")
    return CallError(f"{inputs.owner} was given {what}; call it as {inputs.usage()}.")


def positional_init(cls: type, init: Callable[..., None], positional: tuple[str, ...], params: tuple[Any, ...]) -> Callable[..., None]:
    """Wrap a derived keyword-only ``__init__`` so that it also takes ``positional`` by position, and give it that signature."""
    owner = getattr(cls, "loss_name", None) or cls.__qualname__
    names = [p.name for p in params]
    unknown = [n for n in positional if n not in names]
    if unknown or len(set(positional)) != len(positional):
        raise SpecError(f"{cls.__qualname__}: positional={positional!r} must name distinct declared parameters {names}.")
    keywords = ", ".join(f"{n}=" for n in names) or "none"
    known = {*names, *(a for p in params for a in p.aliases)}

    def __init__(self: Any, *args: Any, **hparams: Any) -> None:
        if args:
            if len(args) > len(positional):
                taken = f", and by position only {', '.join(positional)}, in torch's order" if positional else " only"
                raise CallError(
                    f"{owner} takes its parameters by keyword ({keywords}){taken}; got {len(args)} positional "
                    "arguments. (torch's deprecated size_average and reduce are reduction= here.)"
                )
            twice = sorted(set(positional[: len(args)]) & hparams.keys())
            if twice:
                raise CallError(f"{owner} got the parameter {twice[0]!r} both by position and by keyword.")
            hparams = {**dict(zip(positional, args)), **hparams}
        if not known.issuperset(hparams):
            _refuse_call_keywords(owner, type(self), hparams)
        init(self, **hparams)

    by_name = {p.name: p for p in params}
    __init__.__qualname__ = init.__qualname__
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", _POS)]
        + [inspect.Parameter(n, _POS, default=by_name[n].default) for n in positional]
        + [inspect.Parameter(p.name, _KW, default=p.default) for p in params if p.name not in positional]
    )
    __init__._losskit_generated = True  # type: ignore[attr-defined]
    return __init__


def _refuse_call_keywords(owner: str, cls: type, hparams: Mapping[str, Any]) -> None:
    """A :class:`CallError` for a constructor keyword that is torch's but not a parameter here: torch's deprecated
    ``size_average`` / ``reduce``, or a keyword that losskit takes at call time (``BCELoss(weight=w)``)."""
    from .declare import context_names

    accepted, _ = context_names(cls.forward)  # type: ignore[attr-defined]
    for key in hparams:
        if key in ("size_average", "reduce"):
            raise CallError(
                f"{owner}: {key}= is torch's deprecated form of reduction=; pass reduction='mean', 'sum' or 'none'."
            )
        if key in accepted:
            raise CallError(
                f"{owner}: {key}= is given at call time here, not to the constructor (torch stores it in the module): "
                f"call the loss as loss(input, target, {key}=...)."
            )
