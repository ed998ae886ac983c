"""Entry point of the regression family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from . import barron, gaussian_nll, huber, l1, log_cosh, mse, poisson_nll, pseudo_huber, quantile, smooth_l1

SPECS = (
    mse.SPEC,
    l1.SPEC,
    huber.SPEC,
    smooth_l1.SPEC,
    log_cosh.SPEC,
    quantile.SPEC,
    poisson_nll.SPEC,
    gaussian_nll.SPEC,
    pseudo_huber.SPEC,
    barron.SPEC,
)


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
