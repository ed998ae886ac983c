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

from collections.abc import Callable

import pluggy

from .spec import LossSpec

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "hookimpl", "hookspec"]

PROJECT = "losskit"
ENTRY_POINT_GROUP = "losskit.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    """Call ``register(spec)`` once for every loss (or composition term) the plugin provides."""
