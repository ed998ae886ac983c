"""The default registry behind ``losskit.get_loss``: built on first use, resettable."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ._plugins import PluginInfo
from .loss import Loss
from .registry import Registry
from .spec import LossSpec

T = TypeVar("T")

_lock = threading.Lock()
_registry: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry; created (not yet loaded) on first call."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = Registry()
    return _registry


def reset_default_registry() -> None:
    """Drop the default registry; the next use rediscovers plugins and rereads the environment."""
    global _registry
    with _lock:
        _registry = None


def get_loss(name: str, **params: Any) -> Loss:
    """Build a registered loss by name: ``get_loss("focal", gamma=2)``."""
    return default_registry().get_loss(name, **params)


def register_loss(name: str | None = None, /, *, plugin: str = "__main__", **facts: Any) -> Callable[[T], T]:
    """Register a Loss class or a function in the default registry: see :meth:`Registry.register_loss`."""
    return default_registry().register_loss(name, plugin=plugin, **facts)


def get_spec(name: str) -> LossSpec:
    return default_registry().get_spec(name)


def list_losses(family: str | None = None) -> list[str]:
    return default_registry().list_losses(family)


def describe(name: str) -> str:
    return default_registry().describe(name)


def list_plugins() -> list[PluginInfo]:
    return default_registry().list_plugins()
