"""The entry point: hands the plugin's specs to losskit's registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from .tukey import SPEC


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    register(SPEC)
