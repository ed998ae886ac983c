"""Entry point of the metric-learning family: hands its specs to the registry."""

from __future__ import annotations

from collections.abc import Callable

from losskit import LossSpec, hookimpl

from . import (
    arcface,
    contrastive,
    cosface,
    cosine_embedding,
    hinge_embedding,
    margin_ranking,
    multi_similarity,
    nt_xent,
    supcon,
    triplet,
    triplet_with_distance,
)

SPECS = (
    contrastive.SPEC,
    triplet.SPEC,
    triplet_with_distance.SPEC,
    cosine_embedding.SPEC,
    margin_ranking.SPEC,
    hinge_embedding.SPEC,
    nt_xent.SPEC,
    supcon.SPEC,
    arcface.SPEC,
    cosface.SPEC,
    multi_similarity.SPEC,
)


@hookimpl
def losskit_register_losses(register: Callable[[LossSpec], None]) -> None:
    for spec in SPECS:
        register(spec)
