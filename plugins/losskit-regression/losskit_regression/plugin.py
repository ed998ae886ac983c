"""Entry point of the regression family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from . import mse


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    register(mse.SPEC)
