"""The pluggy hook a plugin implements to hand its specs to a registry.

A plugin module is::

    from losskit import hookimpl

    @hookimpl
    def losskit_register_losses(register):
        register(FOCAL_SPEC)
        register(DICE_SPEC)

and one entry point in its ``pyproject.toml``::

    [project.entry-points."losskit.plugins"]
    focal = "my_package.plugin"
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pluggy

from .spec import LossSpec

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "PluginManager", "hookimpl", "hookspec"]

PROJECT = "losskit"
ENTRY_POINT_GROUP = "losskit.plugins"
PREFIX = "losskit_"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
_DEFAULT_OPTS = getattr(hookimpl(lambda: None), f"{PROJECT}_impl")


class PluginManager(pluggy.PluginManager):
    """A routine named ``losskit_*`` is a hook implementation even without ``@hookimpl`` (as pytest does
    with ``pytest_*``), so that a misspelled hook is caught by ``check_pending`` whether decorated or not."""

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(PREFIX) and inspect.isroutine(getattr(plugin, name, None)):
            return dict(_DEFAULT_OPTS)
        return opts


@hookspec
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    """Call ``register(spec)`` once for every loss (or composition term) the plugin provides."""
