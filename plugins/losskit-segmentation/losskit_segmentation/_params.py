"""Hyper-parameters shared by the segmentation losses, declared once and assigned as ``mode: str = MODE``.

``ignore_index`` and ``reduction`` are the core's :func:`~losskit.ignore_index_param` and
:func:`~losskit.reduction_param`; ``gather`` is the core's :data:`losskit.distributed.GATHER`, re-exported.
"""

from __future__ import annotations

from losskit import Param
from losskit.distributed import GATHER

__all__ = ["ALPHA", "BETA", "EPS", "FROM_LOGITS", "GATHER", "MODE", "MODES", "PER_IMAGE", "SMOOTH"]

MODES = ("multiclass", "binary", "multilabel")

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
    finite=True,
)
EPS = Param(
    "eps",
    1e-7,
    "numerical guard: lower bound of each denominator (focal_tversky: also the distance 1 - TI below which no "
    "gradient flows)",
    gt=0.0,
    finite=True,
)
PER_IMAGE = Param(
    "per_image",
    True,
    "True: one loss per image and class; False: the sums run over the whole batch (batch Dice, batch-coupled)",
    type=bool,
)
# The Tversky weights, shared by tversky and focal_tversky (Salehi et al.'s letters).
ALPHA = Param("alpha", 0.3, "weight of the false positives, sum p (1 - g) (Salehi et al.'s alpha)", ge=0.0,
              finite=True)
BETA = Param("beta", 0.7, "weight of the false negatives, sum (1 - p) g (Salehi et al.'s beta)", ge=0.0,
             finite=True)
