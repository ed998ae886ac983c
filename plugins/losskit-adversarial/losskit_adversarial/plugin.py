"""Entry point of the adversarial family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from . import fgsm, mart, pgd, trades, trades_kl

SPECS = (pgd.SPEC, fgsm.SPEC, trades_kl.SPEC, trades.SPEC, mart.SPEC)


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
