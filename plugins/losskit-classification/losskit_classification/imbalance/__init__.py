"""Specs of the imbalance classification losses, collected for the plugin hook.

Long-tailed labels (class_balanced, logit_adjusted, balanced_softmax, ldam),
multi-label imbalance (asymmetric), noisy labels (generalized_ce, symmetric_ce),
a polynomial cross-entropy (poly1) and knowledge distillation.
"""

from __future__ import annotations

from losskit import LossSpec

from . import (
    asymmetric,
    balanced_softmax,
    class_balanced,
    distillation,
    generalized_ce,
    ldam,
    logit_adjusted,
    poly1,
    symmetric_ce,
)

SPECS: list[LossSpec] = [
    poly1.SPEC,
    class_balanced.SPEC,
    asymmetric.SPEC,
    logit_adjusted.SPEC,
    balanced_softmax.SPEC,
    ldam.SPEC,
    generalized_ce.SPEC,
    symmetric_ce.SPEC,
    distillation.SPEC,
]
