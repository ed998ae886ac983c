"""Hyper-parameters shared by the segmentation losses, declared once."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from losskit import Param
from losskit.params import validate_params

MODES = ("multiclass", "binary", "multilabel")


def finite(value: float) -> str | None:
    """``Param.check`` for the real-valued parameters: inf would make the loss nan or a constant."""
    return None if math.isfinite(value) else "must be finite"


MODE = Param(
    "mode",
    "multiclass",
    "'multiclass': logits (N, C, *) and class indices (N, *), softmax; 'binary': logits (N, 1, *) and {0, 1} "
    "targets (N, 1, *) or (N, *), sigmoid; 'multilabel': logits (N, C, *) and {0, 1} targets (N, C, *), sigmoid",
    type=str,
    choices=MODES,
)
FROM_LOGITS = Param(
    "from_logits", True, "input holds logits (softmax or sigmoid applied) rather than probabilities", type=bool
)
SMOOTH = Param(
    "smooth",
    1e-5,
    "added to the numerator and the denominator of each class's overlap ratio; keeps a class absent from the "
    "target defined (its loss tends to 0 when it is not predicted) and its gradient bounded",
    ge=0.0,
    check=finite,
)
EPS = Param(
    "eps",
    1e-7,
    "numerical guard: lower bound of each denominator (focal_tversky: also the distance 1 - TI below which no "
    "gradient flows)",
    gt=0.0,
    check=finite,
)
PER_IMAGE = Param(
    "per_image",
    True,
    "True: one loss per image and class; False: the sums run over the whole batch (batch Dice, batch-coupled)",
    type=bool,
)
IGNORE_INDEX = Param(
    "ignore_index", -100, "target value whose pixels contribute neither loss nor gradient", type=int
)


def validated(owner: str, declared: Sequence[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """The functional forms' parameter check; skipped while compiling, where it would split the graph
    (the Module has validated its parameters on construction)."""
    if torch.compiler.is_compiling():
        return dict(values)
    return validate_params(owner, declared, values)
