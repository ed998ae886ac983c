"""Entry point of the classification family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from .imbalance import SPECS as IMBALANCE_SPECS
from .standard import SPECS as STANDARD_SPECS


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in (*STANDARD_SPECS, *IMBALANCE_SPECS):
        register(spec)
