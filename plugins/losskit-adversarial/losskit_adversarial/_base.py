"""The base of the family's losses: the threat model's hyper-parameters, declared once for every loss."""

from __future__ import annotations

from losskit import Loss

from ._attack import check_clip_range
from ._params import BN_MODE, CLIP_MAX, CLIP_MIN, EPSILON, NORM, BnMode, Norm

__all__ = ["AdversarialLoss"]


class AdversarialLoss(Loss):
    """A loss that attacks the ``model=`` of its context within ``||delta|| <= epsilon`` and ``[clip_min, clip_max]``.

    Subclasses declare the attack's steps and their own parameters, then ``reduction``, and write ``compute``.
    """

    epsilon: float = EPSILON
    norm: Norm = NORM
    clip_min: float | None = CLIP_MIN
    clip_max: float | None = CLIP_MAX
    bn_mode: BnMode = BN_MODE

    def __post_init__(self) -> None:
        check_clip_range(self.config_name, self.clip_min, self.clip_max)  # at construction too, not only per call
