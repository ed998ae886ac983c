"""Entry point of the RL family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from . import entropy, kl, ppo_clip, reinforce, value

SPECS = (reinforce.SPEC, ppo_clip.SPEC, value.SPEC, entropy.SPEC, kl.SPEC)


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
