"""The hyper-parameters several RL losses share, and the advantage preparation they share."""

from __future__ import annotations

from torch import Tensor

from losskit import param

__all__ = ["CLIP_EPSILON", "NORMALIZE", "NORMALIZE_EPS", "advantages"]

NORMALIZE = param(False, "normalise the advantages over the batch: (A - mean) / (std + 1e-8), population std")
CLIP_EPSILON = param(0.2, "clip range epsilon of the probability ratio, [1 - eps, 1 + eps]", gt=0, finite=True)

#: Added to the standard deviation when normalising, so that a batch of one (std 0) gives advantages of 0.
NORMALIZE_EPS = 1e-8


def advantages(target: Tensor, normalize: bool, baseline: Tensor | None = None) -> Tensor:
    """``target - baseline``, detached (advantages are constants of the policy gradient), optionally normalised."""
    a = (target if baseline is None else target - baseline).detach()
    if normalize and a.numel():
        a = (a - a.mean()) / (a.std(correction=0) + NORMALIZE_EPS)
    return a
