"""A rule shared by the regression losses' parameters."""

from __future__ import annotations

import math


def finite(value: float) -> str | None:
    """``Param.check`` for scales and thresholds: at inf the loss would be 0, constant or non-finite."""
    return None if math.isfinite(value) else "must be finite"
