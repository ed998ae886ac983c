"""The core's own plugin: composition terms registered through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Callable

from .hooks import hookimpl
from .spec import LossSpec
from .terms import SPECS as TERM_SPECS


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in TERM_SPECS:
        register(spec)
