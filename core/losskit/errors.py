"""Exceptions and warnings raised by losskit.

Every error a user can trigger derives from :class:`LosskitError`, and also from
the builtin exception a caller would naturally catch (``ValueError``,
``LookupError``, ``ImportError``)::

    LosskitError
    ├── UnknownLossError      (LookupError)  no loss by that name
    ├── AmbiguousLossError    (LookupError)  two plugins provide the name
    ├── InvalidParamError     (ValueError)   unknown parameter or value out of range
    ├── LossInputError        (ValueError)   tensors of the wrong shape, dtype or range
    ├── ContextError          (TypeError)    unknown or missing context keyword
    ├── ConfigError           (ValueError)   malformed composition config
    ├── SpecError             (ValueError)   a plugin's spec is malformed
    └── PluginLoadError       (ImportError)  a plugin failed to load

    LosskitWarning (UserWarning)
    ├── PluginLoadWarning        a plugin failed to load; the others are fine
    └── PluginConflictWarning    two plugins register the same name
"""

from __future__ import annotations

__all__ = [
    "AmbiguousLossError",
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


class ContextError(LosskitError, TypeError):
    """A context keyword (``weight=``, ``groups=``, ``model=``...) is unknown or missing."""


class ConfigError(LosskitError, ValueError):
    """A composition config is malformed; the message starts with the path."""


class SpecError(LosskitError, ValueError):
    """A plugin registered a malformed :class:`~losskit.LossSpec`."""


class PluginLoadError(LosskitError, ImportError):
    """A plugin could not be loaded (raised in strict mode, or when its loss is asked for)."""


class LosskitWarning(UserWarning):
    """Base class of losskit's warnings."""


class PluginLoadWarning(LosskitWarning):
    """A plugin failed to load; the other plugins are unaffected."""


class PluginConflictWarning(LosskitWarning):
    """Two plugins register the same loss name; the bare name is ambiguous."""
