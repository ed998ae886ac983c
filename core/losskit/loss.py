"""The loss protocol: :class:`Loss`, an ``nn.Module`` called as ``loss(input, target, **context)``.

A subclass declares its hyper-parameters once in ``params`` and writes the
maths in ``forward``. The keyword-only arguments of ``forward`` are the context
keys it uses (``weight=``, ``groups=``, ``model=``...); those without a default
are required. ``__call__`` rejects any other keyword with a did-you-mean, so
that ``group=`` for ``groups=`` fails loudly instead of being ignored.

.. code-block:: python

    class MSELoss(Loss):
        loss_name = "mse"
        params = (reduction_param(),)

        def __init__(self, *, reduction: Reduction = "mean") -> None:
            super().__init__(reduction=reduction)

        def forward(self, input, target, *, weight=None):
            return mse_loss(input, target, weight=weight, reduction=self.reduction)
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import torch
from torch import Tensor, nn

from ._naming import did_you_mean
from .errors import ContextError
from .params import Param, reduction_param, validate_params

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


@functools.cache
def _context_keys_of(forward: Any) -> ContextKeys:
    accepted, required = set(), set()
    for p in inspect.signature(forward).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            accepted.add(p.name)
            if p.default is inspect.Parameter.empty:
                required.add(p.name)
    return ContextKeys(frozenset(accepted), frozenset(required))


def _plain(value: Any) -> Any:
    """Config-friendly value: tuples become lists so the config is JSON/YAML data."""
    return list(value) if isinstance(value, tuple) else value


class Loss(nn.Module):
    """Base class of every losskit loss and composite.

    Hyper-parameters are validated against ``params`` and set as attributes of
    the same name; ``hparams`` gives them back and ``to_config()`` writes them
    as a plain dict that :func:`losskit.build_loss` turns back into an equal
    loss. ``+`` and scalar ``*`` build weighted sums (see :mod:`losskit.compose`).
    """

    #: Declared hyper-parameters; the single source of defaults, ranges and docs.
    params: ClassVar[tuple[Param, ...]] = (reduction_param(),)
    #: Registered name used in errors and configs when built directly.
    loss_name: ClassVar[str | None] = None

    def __init__(self, **hparams: Any) -> None:
        super().__init__()
        self._config_name = self.loss_name or type(self).__name__
        self._hparams = validate_params(self._config_name, self.params, hparams)
        for name, value in self._hparams.items():
            setattr(self, name, value)

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
        return _context_keys_of(type(self).forward)

    def check_context(self, context: dict[str, Any]) -> None:
        """Raise :class:`ContextError` for an unknown or a missing context keyword."""
        keys = self.context_keys()
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

    def __call__(self, input: Any, target: Any, **context: Any) -> Tensor:
        # Checked eagerly before compiled code runs; tracing the check would only add guards.
        if not torch.compiler.is_compiling():
            self.check_context(context)
        return super().__call__(input, target, **context)

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
