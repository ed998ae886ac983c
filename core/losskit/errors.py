"""Exceptions and warnings raised by losskit.

Every error a user can trigger derives from :class:`LosskitError`, and also from
the builtin exception a caller would naturally catch (``ValueError``,
``LookupError``, ``ImportError``)::

    LosskitError
    ├── UnknownLossError      (LookupError)  no loss by that name
    ├── AmbiguousLossError    (LookupError)  two plugins provide the name
    ├── InvalidParamError     (ValueError)   unknown parameter or value out of range
    ├── LossInputError        (ValueError)   tensors of the wrong shape, dtype or range
    ├── CallError             (TypeError)    a loss called with arguments it does not take
    │   └── ContextError                     unknown or missing context keyword
    ├── ConfigError           (ValueError)   malformed composition config
    ├── SpecError             (ValueError)   a plugin's spec is malformed
    ├── PluginLoadError       (ImportError)  a plugin failed to load
    └── CollectiveError       (RuntimeError) a torch.distributed collective of a loss did not complete

    LosskitWarning (UserWarning)
    ├── PluginLoadWarning        a plugin failed to load; the others are fine
    └── PluginConflictWarning    two plugins register the same name
"""

from __future__ import annotations

import reprlib
from itertools import islice
from typing import Any

__all__ = [
    "AmbiguousLossError",
    "CallError",
    "CollectiveError",
    "ConfigError",
    "ContextError",
    "InvalidParamError",
    "LossInputError",
    "LosskitError",
    "LosskitWarning",
    "PluginConflictWarning",
    "PluginLoadError",
    "PluginLoadWarning",
    "SpecError",
    "UnknownLossError",
    "excerpt",
]


class LosskitError(Exception):
    """Base class of every error raised by losskit."""


class UnknownLossError(LosskitError, LookupError):
    """No installed plugin provides a loss of that name."""

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError
        return str(self.args[0]) if self.args else ""


class AmbiguousLossError(LosskitError, LookupError):
    """A bare name is provided by more than one plugin."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidParamError(LosskitError, ValueError):
    """A loss parameter is unknown or its value is invalid.

    ``loss`` and ``param`` name the culprit and ``reason`` is the bare
    explanation (``"must be >= 0, got -1"``), so that config errors can prefix
    their own path to it.
    """

    def __init__(self, loss: str, param: str | None, reason: str) -> None:
        self.loss, self.param, self.reason = loss, param, reason
        where = f"{loss}: {param}" if param else loss
        super().__init__(f"{where}: {reason}")


class LossInputError(LosskitError, ValueError):
    """The tensors passed to a loss break its input contract."""


class CallError(LosskitError, TypeError):
    """A loss, its functional form or its constructor was called with arguments it does not take: too many
    or too few positional arguments, one given twice, or a torch argument whose losskit keyword differs
    (the message names the call to write instead)."""


class ContextError(CallError):
    """A context keyword (``weight=``, ``groups=``, ``model=``...) is unknown or missing."""


class ConfigError(LosskitError, ValueError):
    """A composition config is malformed; the message starts with the path."""


class SpecError(LosskitError, ValueError):
    """A plugin registered a malformed :class:`~losskit.LossSpec`."""


class PluginLoadError(LosskitError, ImportError):
    """A plugin could not be loaded (raised in strict mode, or when its loss is asked for)."""


class CollectiveError(LosskitError, RuntimeError):
    """A batch-coupled loss gathered across ``torch.distributed`` ranks and not every rank took part in time."""


class LosskitWarning(UserWarning):
    """Base class of losskit's warnings."""


class PluginLoadWarning(LosskitWarning):
    """A plugin failed to load; the other plugins are unaffected."""


class PluginConflictWarning(LosskitWarning):
    """Two plugins register the same loss name; the bare name is ambiguous."""


class _Excerpt(reprlib.Repr):
    """``repr`` bounded in depth, width and length, so that an error message about a value stays short.

    Containers are shown to three levels and their first few items, in their own order (a
    dict is not sorted); shared or self-referencing containers cost no more than their
    excerpt; an integer too long for ``str`` (Python refuses over 4,300 digits) is described.
    """

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple = 3, 4, 6, 6
        self.maxset = self.maxfrozenset = self.maxdeque = self.maxarray = 6
        self.maxstring, self.maxlong, self.maxother = 60, 40, 60

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:
            return f"<{'negative ' if x < 0 else ''}integer of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)

    def repr_dict(self, x: dict, level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [f"{self.repr1(k, level - 1)}: {self.repr1(x[k], level - 1)}" for k in islice(x, self.maxdict)]
        return "{" + ", ".join(items) + (", ..." if len(x) > self.maxdict else "") + "}"

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            return super().repr_instance(x, level)
        except Exception:  # an object whose repr fails still gets a message
            return f"<{type(x).__name__} object>"


_EXCERPT = _Excerpt()


def excerpt(value: Any, limit: int = 120) -> str:
    """A short ``repr`` of ``value`` for error messages: bounded in time and length whatever the value
    (a YAML alias bomb, a self-referencing dict, a 10,000-digit integer), at most ``limit`` characters."""
    try:
        text = _EXCERPT.repr(value)
    except Exception:  # RecursionError and the like: the message must still be written
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
