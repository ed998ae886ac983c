"""Entry point of the segmentation family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from . import dice, focal_tversky, generalized_dice, jaccard, lovasz_hinge, lovasz_softmax, tversky

SPECS = (
    dice.SPEC,
    generalized_dice.SPEC,
    jaccard.SPEC,
    tversky.SPEC,
    focal_tversky.SPEC,
    lovasz_softmax.SPEC,
    lovasz_hinge.SPEC,
)


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
