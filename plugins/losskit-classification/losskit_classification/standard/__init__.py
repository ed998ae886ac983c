"""Specs of the standard classification losses, collected for the plugin hook."""

from __future__ import annotations

from losskit import LossSpec

from . import (
    bce,
    bce_with_logits,
    cross_entropy,
    ctc,
    focal,
    hinge,
    kl_div,
    linear_cross_entropy,
    multi_margin,
    multilabel_margin,
    multilabel_soft_margin,
    nll,
    sigmoid_focal,
    soft_margin,
)

SPECS: list[LossSpec] = [
    cross_entropy.SPEC,
    nll.SPEC,
    bce.SPEC,
    bce_with_logits.SPEC,
    kl_div.SPEC,
    multi_margin.SPEC,
    multilabel_margin.SPEC,
    multilabel_soft_margin.SPEC,
    soft_margin.SPEC,
    hinge.HINGE_SPEC,
    hinge.SQUARED_HINGE_SPEC,
    ctc.SPEC,
    focal.SPEC,
    sigmoid_focal.SPEC,
    linear_cross_entropy.SPEC,
]
