"""The hyper-parameters the adversarial losses share, each declared once (``epsilon: float = EPSILON``)."""

from __future__ import annotations

from typing import Literal

from losskit import param

__all__ = ["BETA", "BN_MODE", "CLEAN_WEIGHT", "CLIP_MAX", "CLIP_MIN", "EPSILON", "NORM", "STEPS", "STEP_SIZE", "BnMode", "Norm"]

Norm = Literal["linf", "l2"]
BnMode = Literal["eval", "train"]

EPSILON = param(8 / 255, "radius of the threat model, ||delta|| <= epsilon in input units; 0 gives the clean loss",
                ge=0, finite=True)
STEP_SIZE = param(2 / 255, "ascent step alpha of each attack iteration, in input units", gt=0, finite=True)
STEPS = param(10, "attack iterations; 0 gives the clean loss", ge=0)
NORM = param("linf", "threat model: 'linf' (sign-of-gradient steps) or 'l2' (normalised-gradient steps)")
CLIP_MIN = param(0.0, "lowest valid input value (the adversarial input is clamped to it); None: unbounded",
                 finite=True)
CLIP_MAX = param(1.0, "highest valid input value (the adversarial input is clamped to it); None: unbounded",
                 finite=True)
BN_MODE = param("eval", "the model's mode during the attack: 'eval' (every submodule in eval mode) or 'train' "
                "(modes unchanged; BatchNorm running statistics restored afterwards)")
CLEAN_WEIGHT = param(0.0, "share alpha of the clean cross-entropy, (1 - alpha) on the adversarial one: 0 in Madry et "
                     "al. and Wong et al., 0.5 in Goodfellow et al.", ge=0, le=1)
BETA = param(6.0, "weight of the robustness term against the natural term", ge=0, finite=True)
