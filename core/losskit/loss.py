"""The loss protocol: :class:`Loss`, an ``nn.Module`` called as ``loss(input, target, **context)``.

A subclass names itself once, declares each hyper-parameter once and writes
the maths once (see :mod:`losskit.declare` for what is derived from that):

.. code-block:: python

    class MSELoss(Loss, name="mse"):
        # docstring: the formula (.. math::) and its source

        reduction: Reduction = reduction_param()

        @staticmethod
        def compute(input, target, *, reduction, weight=None):
            return reduce((input - target).square(), reduction, weight=weight, owner="mse")

The keyword-only arguments of ``compute`` after the parameters (or of a
hand-written ``forward``) are the context keys the loss uses (``weight=``,
``groups=``, ``model=``...); those without a default are required.
``__call__`` rejects any other keyword with a did-you-mean, so that ``group=``
for ``groups=`` fails loudly instead of being ignored. A loss with learnable
state writes ``__post_init__`` (called once the parameters are set) and its
own ``forward``.

The original form (``loss_name = ...``, ``params = (Param(...), ...)``, an
``__init__`` calling ``super().__init__(**every_param)`` and ``forward``)
keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

try:
    from typing import dataclass_transform
except ImportError:  # Python 3.10

    def dataclass_transform(**_: Any) -> Any:
        return lambda cls: cls

import torch
from torch import Tensor, nn

from . import _calling, declare
from ._module_call import calls_forward_only, hooked
from ._naming import did_you_mean
from .errors import ContextError, SpecError
from .params import Param, param, reduction_param, validate_params

__all__ = ["ContextKeys", "Loss", "LossOutput"]


@dataclass(frozen=True)
class ContextKeys:
    """The context keywords a loss accepts, and those among them it requires."""

    accepted: frozenset[str]
    required: frozenset[str]


class LossOutput(NamedTuple):
    """What :meth:`Loss.breakdown` returns: the total, and detached per-term values keyed by stable names."""

    total: Tensor
    parts: dict[str, Tensor]


_CONTEXT_KEYS: dict[Any, ContextKeys] = {}
#: Per class whose context_keys and check_context are Loss's own: its context keys, checked in __call__
#: without a method call (the hot path). Filled by Loss.check_context on a class's first call.
_PLAIN_CHECK: dict[type, ContextKeys] = {}
#: An input not given (so that a wrong call count gets a CallError).
_ABSENT: Any = object()


def context_keys_of(forward: Any) -> ContextKeys:
    """The context keys of a ``forward`` signature (its keyword-only parameters; no default: required),
    worked out once per function; internal to losskit, not in ``__all__``."""
    # A plain dict, not functools.cache: torch.compile traces this call inside a composite's forward, and
    # Dynamo warns about every lru_cache wrapper it traces ("Dynamo detected a call to a
    # `functools.lru_cache`-wrapped function"); a dict lookup it traces silently.
    keys = _CONTEXT_KEYS.get(forward)
    if keys is None:
        keys = _CONTEXT_KEYS[forward] = ContextKeys(*declare.context_names(forward))
    return keys


#: validate_params' answers for parameters of plain types: {(id(declared), given): (declared, values)}.
_VALIDATED: dict[tuple[int, tuple[Any, ...]], tuple[tuple[Param, ...], dict[str, Any]]] = {}
_PLAIN_TYPES = frozenset({float, int, bool, str, type(None)})


def validated(owner: str, declared: tuple[Param, ...], given: dict[str, Any]) -> dict[str, Any]:
    """``validate_params(owner, declared, given)``, remembered where every value is a plain float, int, bool,
    str or None: a loss built again with the same parameters (``get_loss`` in a loop) is not validated again.

    A validation is a function of the declarations and the values (types included: ``True`` is not ``1``);
    only successes are remembered, and a copy is returned each time.
    """
    key = None
    if all(type(v) in _PLAIN_TYPES for v in given.values()):
        key = (id(declared), tuple((k, type(v), v) for k, v in given.items()))
        hit = _VALIDATED.get(key)
        if hit is not None and hit[0] is declared:
            return dict(hit[1])
    values = validate_params(owner, declared, given)
    if key is not None:
        if len(_VALIDATED) >= 4096:  # bounded: a sweep over many values must not grow it for ever
            _VALIDATED.clear()
        _VALIDATED[key] = (declared, dict(values))
    return values


def _plain(value: Any) -> Any:
    """Config-friendly value: tuples become lists so the config is JSON/YAML data."""
    return list(value) if isinstance(value, tuple) else value


@dataclass_transform(kw_only_default=True, field_specifiers=(param, Param))
class Loss(nn.Module):
    """Base class of every losskit loss and composite.

    Hyper-parameters are validated against ``params`` once, at construction, and
    set as attributes of the same name (assigning one later validates it too);
    ``hparams`` gives them back and ``to_config()`` writes them as a plain dict
    that :func:`losskit.build_loss` turns back into an equal loss. ``+`` and
    scalar ``*`` build weighted sums (see :mod:`losskit.compose`).
    """

    #: Declared hyper-parameters; the single source of defaults, ranges and docs.
    params: ClassVar[tuple[Param, ...]] = (reduction_param(),)
    #: Registered name used in errors and configs when built directly (``class X(Loss, name="x")``).
    loss_name: ClassVar[str | None] = None

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        inputs: dict[str, str] | tuple[str, ...] | None = None,
        positional: tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        # inputs= and positional=: torch's calling conventions (see losskit._calling).
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.loss_name = name
        declare.derive(cls, Loss, inputs=inputs, positional=positional)

    def __init__(self, **hparams: Any) -> None:
        super().__init__()
        cls = type(self)
        object.__setattr__(self, "_config_name", cls.loss_name or cls.__name__)
        values = validated(self._config_name, self.params, hparams)
        cls.check_params(values)
        dropped = declare.dropped_params(self, values, self._config_name)
        if dropped:
            raise SpecError(
                f"{cls.__qualname__}.__init__ was given {dropped[0]}= but did not pass it on to "
                f"super().__init__(), which would record {values[dropped[0]]!r} while the maths may use the "
                "value given. Pass every declared parameter on (super().__init__(**params)), or delete "
                "__init__: losskit derives it from the declarations."
            )
        for key, value in values.items():  # validated plain values (no tensors, no modules): what
            object.__setattr__(self, key, value)  # nn.Module.__setattr__ does with them, without its checks
        object.__setattr__(self, "_hparams", values)
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value: Any) -> None:
        hparams = self.__dict__.get("_hparams")
        if hparams is not None and name in hparams:  # one store: maths, repr and config agree
            declared = next(p for p in self.params if p.name == name)
            value = declared.validate(value, owner=self._config_name)
            type(self).check_params({**hparams, name: value})
            hparams[name] = value
        super().__setattr__(name, value)

    @classmethod
    def check_params(cls, values: dict[str, Any]) -> None:
        """A rule across parameters (each one alone is checked by its declaration), e.g. "exactly one of two".

        Override it to raise :class:`~losskit.InvalidParamError`; it runs wherever parameters are
        validated: construction, assignment, ``get_loss``, configs and the functional form.
        """

    @property
    def hparams(self) -> dict[str, Any]:
        """The validated hyper-parameters, every one of them, defaults included."""
        return dict(self._hparams)

    @property
    def config_name(self) -> str:
        """The registry name this loss was built under (``to_config()['name']``)."""
        return self._config_name

    def context_keys(self) -> ContextKeys:
        """Context keywords this loss accepts; derived from ``forward``'s keyword-only arguments."""
        keys = _CONTEXT_KEYS.get(type(self).forward)  # context_keys_of inlined: this runs on every call
        return keys if keys is not None else context_keys_of(type(self).forward)

    def check_context(self, context: dict[str, Any]) -> None:
        """Raise :class:`ContextError` for an unknown or a missing context keyword."""
        keys = self.context_keys()
        cls = type(self)
        if cls.check_context is Loss.check_context and cls.context_keys is Loss.context_keys:
            _PLAIN_CHECK[cls] = keys
        if context.keys() <= keys.accepted and keys.required <= context.keys():
            return
        unknown = context.keys() - keys.accepted
        if unknown:
            key = sorted(unknown)[0]
            accepted = ", ".join(sorted(keys.accepted)) or "none"
            hint = ""
            if key == "weight":
                hint = f" Class weights, where the loss has them, are parameters: see `losskit describe {self._config_name}`."
            raise ContextError(
                f"{self._config_name} got an unexpected context keyword {key!r}"
                f"{did_you_mean(key, keys.accepted) or '.'} It accepts: {accepted}.{hint}"
            )
        missing = keys.required - context.keys()
        if missing:
            raise ContextError(
                f"{self._config_name} needs the context keyword {sorted(missing)[0]!r}: "
                f"call it as loss(input, target, {sorted(missing)[0]}=...)."
            )

    def __call__(self, input: Any = _ABSENT, target: Any = _ABSENT, *extra: Any, **context: Any) -> Tensor:
        if extra or target is _ABSENT or input is _ABSENT:  # a wrong call count: a CallError, never a bare TypeError
            raise _calling.call_count_error(_calling.Inputs(self._config_name, ("input", "target"), ("input", "target")),
                                            tuple(a for a in (input, target, *extra) if a is not _ABSENT), context)
        # Checked eagerly before compiled code runs; tracing the check would only add guards.
        if torch.compiler.is_compiling():
            return nn.Module.__call__(self, input, target, **context)
        keys = _PLAIN_CHECK.get(type(self))  # check_context inlined where it is Loss's own
        if keys is None or not (context.keys() <= keys.accepted and keys.required <= context.keys()):
            self.check_context(context)
        if hooked(self) or not calls_forward_only():
            return nn.Module.__call__(self, input, target, **context)
        return self.forward(input, target, **context)  # what nn.Module.__call__ would do, without its overhead

    def breakdown(self, input: Any, target: Any, **context: Any) -> LossOutput:
        """The loss and its named, detached per-term values for logging, computed once.

        A single loss has one part, under its name; composites (:mod:`losskit.compose`)
        list one part per term.
        """
        total = self(input, target, **context)
        return LossOutput(total, {self._config_name: total.detach()})

    def to_config(self) -> dict[str, Any]:
        """A plain, JSON-able dict from which :func:`losskit.build_loss` rebuilds this loss."""
        return {"name": self._config_name, **{k: _plain(v) for k, v in self._hparams.items()}}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self._hparams.items())

    # Composition operators live in losskit.compose; imported lazily to keep this module small.
    def __add__(self, other: Any) -> Loss:
        from .compose import add

        return add(self, other)

    def __radd__(self, other: Any) -> Loss:
        from .compose import add

        return add(other, self)

    def __mul__(self, weight: Any) -> Loss:
        from .compose import scale

        return scale(self, weight)

    __rmul__ = __mul__
