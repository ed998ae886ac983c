"""The detectors, one rule of thumb each; :func:`default_detectors` gives one of every kind with its defaults.

=============  ============================================================  =====================================
detector       statistic                                                     default threshold
=============  ============================================================  =====================================
nonfinite      ``isfinite`` of each value                                    any NaN or inf
spike          robust z-score against the previous 128 values (median, MAD)  z > 6, after 64 values
divergence     median of the last 64 values over the best such median         ratio >= 2 (or a value above ``cap``)
plateau        relative improvement of the median of 200 values on its best  < 1% for 500 steps
oscillation    lag-1 autocorrelation of the differences over 128 steps       < -0.75 (noise: -0.5), swings >= 1%
overfitting    generalisation loss val / best val - 1, train not rising      > 5% at 2 validations in a row
underfitting   train and val improvement over 3 validations; their level     < 1%, both above 50% of the start
balance        a part's share of the weighted total (medians of 100 values)  >= 95% dominating, <= 1% vanishing
=============  ============================================================  =====================================
"""

from __future__ import annotations

from .balance import Balance
from .base import Detector
from .divergence import Divergence
from .nonfinite import NonFinite
from .oscillation import Oscillation
from .overfitting import Overfitting
from .plateau import Plateau
from .spike import Spike
from .underfitting import Underfitting

__all__ = [
    "Balance",
    "Detector",
    "Divergence",
    "NonFinite",
    "Oscillation",
    "Overfitting",
    "Plateau",
    "Spike",
    "Underfitting",
    "default_detectors",
]


def default_detectors() -> list[Detector]:
    """A fresh instance of every detector, with its default thresholds."""
    return [NonFinite(), Spike(), Divergence(), Plateau(), Oscillation(), Overfitting(), Underfitting(), Balance()]
