"""losskit: PyTorch loss functions from plugins, by name, composable, checked.

>>> from losskit import get_loss
>>> huber = get_loss("huber", delta=0.5)   # doctest: +SKIP

``import losskit`` scans no entry point and imports no plugin; the default
registry discovers them on first use.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("losskit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

# Names are imported on first access (PEP 562), so that ``import losskit`` stays
# cheap: it imports neither torch nor any plugin until something is used.
_LAZY = {
    "default_registry": "._default",
    "describe": "._default",
    "get_loss": "._default",
    "get_spec": "._default",
    "list_losses": "._default",
    "list_plugins": "._default",
    "register_loss": "._default",
    "reset_default_registry": "._default",
    "PluginInfo": "._plugins",
    "WeightedSum": ".compose",
    "wrap": ".custom",
    "build_loss": ".config",
    "config_schema": ".schema",
    "AmbiguousLossError": ".errors",
    "CallError": ".errors",
    "CollectiveError": ".errors",
    "ConfigError": ".errors",
    "ContextError": ".errors",
    "InvalidParamError": ".errors",
    "LossInputError": ".errors",
    "LosskitError": ".errors",
    "PluginConflictWarning": ".errors",
    "PluginLoadError": ".errors",
    "PluginLoadWarning": ".errors",
    "SpecError": ".errors",
    "UnknownLossError": ".errors",
    "hookimpl": ".hooks",
    "ContextKeys": ".loss",
    "Loss": ".loss",
    "LossOutput": ".loss",
    "MultiTask": ".multitask",
    "Param": ".params",
    "ignore_index_param": ".params",
    "param": ".params",
    "reduction_param": ".params",
    "Registry": ".registry",
    "Example": ".spec",
    "Identity": ".spec",
    "InputContract": ".spec",
    "LossSpec": ".spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'losskit' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from ._default import (
        default_registry,
        describe,
        get_loss,
        get_spec,
        list_losses,
        list_plugins,
        register_loss,
        reset_default_registry,
    )
    from ._plugins import PluginInfo
    from .compose import WeightedSum
    from .config import build_loss
    from .custom import wrap
    from .errors import (
        AmbiguousLossError,
        CallError,
        CollectiveError,
        ConfigError,
        ContextError,
        InvalidParamError,
        LossInputError,
        LosskitError,
        PluginConflictWarning,
        PluginLoadError,
        PluginLoadWarning,
        SpecError,
        UnknownLossError,
    )
    from .hooks import hookimpl
    from .loss import ContextKeys, Loss, LossOutput
    from .multitask import MultiTask
    from .params import Param, ignore_index_param, param, reduction_param
    from .registry import Registry
    from .schema import config_schema
    from .spec import Example, Identity, InputContract, LossSpec

__all__ = [
    "AmbiguousLossError",
    "CallError",
    "CollectiveError",
    "ConfigError",
    "ContextError",
    "ContextKeys",
    "Example",
    "Identity",
    "InputContract",
    "InvalidParamError",
    "Loss",
    "LossInputError",
    "LossOutput",
    "LossSpec",
    "LosskitError",
    "MultiTask",
    "Param",
    "PluginConflictWarning",
    "PluginInfo",
    "PluginLoadError",
    "PluginLoadWarning",
    "Registry",
    "SpecError",
    "UnknownLossError",
    "WeightedSum",
    "__version__",
    "build_loss",
    "config_schema",
    "default_registry",
    "describe",
    "get_loss",
    "get_spec",
    "hookimpl",
    "ignore_index_param",
    "list_losses",
    "list_plugins",
    "param",
    "reduction_param",
    "register_loss",
    "reset_default_registry",
    "wrap",
]
