"""Losses of one's own, without a package: a function registered as a loss, a module wrapped as a term.

Two tools, for two needs:

* :func:`losskit.register_loss` (or :meth:`Registry.register_loss <losskit.Registry.register_loss>`) puts a
  loss in a registry in one line: a :class:`~losskit.Loss` class, or a plain function that it turns into one.
  The loss is then built by name (``get_loss``, configs, the CLI of the process that registered it), its
  parameters are validated like a plugin's, and the conformance kit checks it like a plugin's.
* :func:`losskit.wrap` makes any ``nn.Module`` or callable called as ``f(input, target)`` a term of a
  composite, logged by :meth:`~losskit.Loss.breakdown` under the name given. A wrapped term has no
  registered name, so a config cannot hold it: ``to_config()`` raises :class:`~losskit.ConfigError`
  naming the term.

A function becomes a :class:`~losskit.Loss` class whose declarations come from its signature
``f(input, target, *, <parameters>, <context keywords>)``:

* a keyword-only argument whose default is a :func:`~losskit.param` declaration is that parameter
  (its doc, range, choices); one whose default is a plain config value (``float``, ``int``, ``bool``,
  ``str``, a tuple of numbers) is a parameter of that default, typed by its annotation or else by the
  value, documented by the docstring's ``Args:`` entry; ``reduction="mean"`` is the shared
  :func:`~losskit.reduction_param` (``'mean' | 'sum' | 'none'``);
* one without a default is a required context keyword, one defaulting to ``None`` an optional one
  (a parameter that may be ``None`` is declared: ``param(None, "...", nullable=True)``).

The function's docstring is the class's (the conformance kit reads its formula and source, and runs its
examples). The decorator returns, under the function's name, the loss's functional form: the same
function with its declared defaults (``delta=1.0``, not the ``param(...)`` object), validating its
parameters on each call except while compiling, as every loss's ``functional`` does. A decorated
class is returned unchanged.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from torch import Tensor, nn

from ._naming import did_you_mean, normalize
from .compose import check_term_name
from .declare import context_names
from .errors import ConfigError, LossInputError, SpecError
from .loss import ContextKeys, Loss
from .params import UNRESOLVED, Param, param, reduction_param
from .spec import LossSpec

__all__ = ["WrappedLoss", "loss_class", "spec_of", "wrap"]

_KW = inspect.Parameter.KEYWORD_ONLY
_POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
_EMPTY = inspect.Parameter.empty
_PLAIN = (bool, int, float, str, tuple)
#: The keywords of :meth:`LossSpec.of` after the class: what ``register_loss`` takes besides the name.
_FACTS = tuple(inspect.signature(LossSpec.of).parameters)[1:]

#: (function, registered name) -> its Loss class: one class per function and name.
_FUNCTION_LOSSES: dict[tuple[Callable[..., Any], str], type[Loss]] = {}
#: A function loss's functional form (what the decorator returns) -> its class, found again on unpickling.
_BY_FUNCTIONAL: dict[Callable[..., Any], type[Loss]] = {}


# -- register_loss ---------------------------------------------------------------------------------------


def spec_of(obj: Any, name: str | None, facts: dict[str, Any]) -> LossSpec:
    """The :class:`LossSpec` that ``register_loss(name, **facts)`` registers for ``obj`` (a Loss class or a
    function); the decorator returns a class unchanged and a function as the spec's ``functional``."""
    unknown = sorted(facts.keys() - set(_FACTS))
    if unknown:
        raise SpecError(
            f"register_loss: unknown keyword {unknown[0]!r}{did_you_mean(unknown[0], _FACTS) or '.'} "
            f"It takes the name, then the facts of LossSpec.of: {', '.join(_FACTS)}."
        )
    if isinstance(obj, type):
        if not issubclass(obj, Loss):
            hint = " (an nn.Module is a term of a composite through losskit.wrap(module, name))"
            raise SpecError(
                f"register_loss takes a losskit.Loss subclass or a function, got the class {obj.__qualname__}"
                f"{hint if issubclass(obj, nn.Module) else ''}."
            )
        if name is not None:
            raise SpecError(
                f"register_loss({name!r}) on the class {obj.__qualname__}: a Loss class names itself, once, in "
                f'its class statement: class {obj.__qualname__}(Loss, name="{name}"); drop the name argument.'
            )
        cls = obj
    elif inspect.isfunction(obj):
        cls = loss_class(obj, name)
    else:
        raise SpecError(
            f"register_loss takes a losskit.Loss subclass or a function, got {type(obj).__name__}; "
            "an nn.Module or another callable is a term of a composite through losskit.wrap(obj, name)."
        )
    return LossSpec.of(cls, **facts)


def loss_class(fn: Callable[..., Any], name: str | None = None) -> type[Loss]:
    """The :class:`~losskit.Loss` class of the function ``fn``, registered as ``name`` (default: ``fn``'s name).

    See the module docstring for how its signature declares the parameters and context keywords.
    """
    name = name if name is not None else fn.__name__
    if not isinstance(name, str):
        raise SpecError(f"register_loss: the name must be a string, got {name!r}.")
    name = normalize(name)
    cls = _FUNCTION_LOSSES.get((fn, name))
    if cls is None:
        cls = _FUNCTION_LOSSES[(fn, name)] = _make_class(fn, name)
    return cls


def _make_class(fn: Callable[..., Any], name: str) -> type[Loss]:
    where = f"register_loss({name!r}): {fn.__qualname__}"
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: cannot read the signature ({exc}).") from None
    shape = "(input, target, *, <parameters>, <context keywords>)"
    arguments = list(signature.parameters.values())
    positional = [p for p in arguments if p.kind is not _KW]
    if len(positional) != 2 or any(p.kind not in (_POS, p.POSITIONAL_ONLY) or p.default is not _EMPTY for p in positional):
        raise SpecError(
            f"{where}: a loss function takes {shape}: two positional arguments, then keyword-only ones "
            f"(no *args, **kwargs or positional defaults); got {signature}."
        )
    docs = _arg_docs(fn.__doc__ or "")
    declared: dict[str, Any] = {}
    annotations: dict[str, Any] = {}
    context: list[inspect.Parameter] = []
    for p in (p for p in arguments if p.kind is _KW):
        default = p.default
        if default is _EMPTY or default is None:
            context.append(inspect.Parameter(p.name, _KW, default=default))
            continue
        if isinstance(default, Param):
            untyped = default.type is UNRESOLVED and p.annotation is _EMPTY and isinstance(default.default, _PLAIN)
            declared[p.name] = replace(default, type=_kind(default.default)) if untyped else default
        elif p.name == "reduction" and isinstance(default, str):
            declared[p.name] = reduction_param(default)
        elif isinstance(default, _PLAIN):
            annotated = p.annotation is not _EMPTY
            declared[p.name] = param(default, docs.get(p.name, ""), type=None if annotated else _kind(default))
        else:
            raise SpecError(
                f"{where}: the keyword {p.name}={default!r} is neither a parameter nor a context keyword: a "
                "parameter defaults to a plain config value (float, int, bool, str, a tuple of numbers) or to "
                "param(...); a context keyword has no default or defaults to None."
            )
        if p.annotation is not _EMPTY:
            annotations[p.name] = p.annotation

    def compute(input: Any, target: Any, **kwargs: Any) -> Any:
        return fn(input, target, **kwargs)

    compute.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("input", _POS), inspect.Parameter("target", _POS)]
        + [inspect.Parameter(n, _KW) for n in declared]
        + context
    )

    def __reduce__(self: Loss) -> tuple[Any, ...]:
        # The class is made here, not importable by name: pickle the functional form, which the decorator put
        # under the function's name (by reference: importing its module registers the loss again), and the
        # hyper-parameters.
        return (_rebuild, (type(self).functional, self.hparams, self.config_name))

    body = {
        "__module__": fn.__module__,
        "__qualname__": fn.__qualname__,
        "__doc__": fn.__doc__,
        "__annotations__": annotations,
        **declared,
        "compute": staticmethod(compute),
        "__reduce__": __reduce__,
    }
    try:
        cls = types.new_class(fn.__name__, (Loss,), {"name": name}, lambda ns: ns.update(body))
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    functional = cls.functional  # type: ignore[attr-defined]
    functional.__name__, functional.__qualname__, functional.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    _BY_FUNCTIONAL[functional] = cls
    return cls


def _kind(value: Any) -> type:
    """The parameter type of a plain default (``numpy.float64(0.5)`` is a ``float``)."""
    return next(t for t in _PLAIN if isinstance(value, t))


def _rebuild(functional: Callable[..., Any], hparams: dict[str, Any], config_name: str) -> Loss:
    loss = _BY_FUNCTIONAL[functional](**hparams)
    loss._config_name = config_name
    return loss


_ARGS = re.compile(r"^(\s*)(Args|Arguments|Parameters):\s*$")
_ENTRY = re.compile(r"^(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


def _arg_docs(doc: str) -> dict[str, str]:
    """``{name: doc}`` from a Google-style ``Args:`` section (an entry's continuation lines joined)."""
    docs: dict[str, str] = {}
    lines = inspect.cleandoc(doc).splitlines()
    for i, line in enumerate(lines):
        if not _ARGS.match(line):
            continue
        indent, current = None, None
        for entry in lines[i + 1 :]:
            if not entry.strip():
                break
            depth = len(entry) - len(entry.lstrip())
            indent = depth if indent is None else indent
            if depth < indent or depth == 0:
                break
            match = _ENTRY.match(entry.strip()) if depth == indent else None
            if match:
                current = match.group(1)
                docs[current] = match.group(2)
            elif current is not None:
                docs[current] = f"{docs[current]} {entry.strip()}".strip()
        break
    return docs


# -- wrap ------------------------------------------------------------------------------------------------


class WrappedLoss(Loss):
    """An ``nn.Module`` or a callable called as ``f(input, target, **context)``, as a term of a composite.

    Built by :func:`losskit.wrap`. It is logged by :meth:`~losskit.Loss.breakdown` under its ``name``; a
    module's parameters and buffers are the composite's (``.to()``, ``state_dict``, the optimiser); its
    keyword-only arguments are the context keywords it takes. It has no registered name, so a config
    cannot hold it: :meth:`to_config` raises :class:`~losskit.ConfigError` naming the term.
    """

    params = ()

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        super().__init__()
        name = check_term_name(name, owner="wrap", what="name")
        if isinstance(fn, Loss):
            raise TypeError(
                f"wrap({name!r}): {type(fn).__name__} is already a losskit.Loss; add it to the composite as it is "
                "(WeightedSum(..., names=[...]) names a term in the breakdown)."
            )
        if not callable(fn):
            raise TypeError(f"wrap({name!r}): expected an nn.Module or a callable f(input, target), got {type(fn).__name__}.")
        target = fn.forward if isinstance(fn, nn.Module) else fn
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):  # a builtin without a signature: taken at its word
            keys = ContextKeys(frozenset(), frozenset())
        else:
            positional = [p for p in signature.parameters.values() if p.kind is not _KW]
            try:
                signature.replace(parameters=positional).bind(None, None)
            except TypeError:
                raise TypeError(
                    f"wrap({name!r}): {_what(fn)} cannot be called as f(input, target): its signature is {signature}. "
                    "Other arguments must be keyword-only (they become context keywords) or have defaults."
                ) from None
            keys = ContextKeys(*context_names(target))
        self.wrapped = fn  # an nn.Module becomes a child: its parameters are the composite's
        self._keys = keys
        self._config_name = name

    def context_keys(self) -> ContextKeys:
        return self._keys

    def forward(self, input: Any, target: Any, **context: Any) -> Tensor:
        out = self.wrapped(input, target, **context)
        if not isinstance(out, Tensor):
            raise LossInputError(
                f"{self._config_name}: {_what(self.wrapped)} (losskit.wrap) returned {type(out).__name__}, expected a tensor."
            )
        return out

    def to_config(self) -> dict[str, Any]:
        raise ConfigError(
            f"{self._config_name}: this term wraps {_what(self.wrapped)} (losskit.wrap), which a config cannot hold: "
            "a config builds only registered losses by name. Register it (@losskit.register_loss) to write it "
            "down, or build the composite in code."
        )

    def extra_repr(self) -> str:
        shown = "" if isinstance(self.wrapped, nn.Module) else f", fn={_what(self.wrapped)}"
        return f"name={self._config_name!r}{shown}"


def _what(fn: Any) -> str:
    if isinstance(fn, nn.Module):
        return f"the module {type(fn).__name__}"
    return f"the callable {getattr(fn, '__qualname__', type(fn).__name__)}"


def wrap(fn: Callable[..., Any], name: str) -> WrappedLoss:
    """``fn`` (an ``nn.Module`` or a callable ``f(input, target, **context)``) as a term named ``name``.

    >>> loss = get_loss("l1") + 0.5 * wrap(torch.nn.SmoothL1Loss(beta=0.5), "smooth")  # doctest: +SKIP
    >>> loss.names                                                                      # doctest: +SKIP
    ('l1', 'smooth')
    """
    return WrappedLoss(fn, name)
