"""Name normalisation and did-you-mean suggestions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_VALID_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def normalize(name: str) -> str:
    """Names are case-insensitive and treat ``-`` like ``_``: ``Smooth-L1`` is ``smooth_l1``."""
    return name.strip().lower().replace("-", "_")


def is_valid_name(name: str) -> bool:
    return bool(_VALID_NAME.match(name))


def loose(name: str) -> str:
    """The form in which a loss name not found as given is looked up again: normalised, without ``_`` and
    without a trailing ``loss``, so that torch's class names meet losskit's (``CrossEntropyLoss`` and
    ``cross_entropy``, ``MSELoss`` and ``mse``, ``TripletMarginLoss`` and ``triplet_margin``)."""
    key = normalize(name).replace("_", "")
    return key[: -len("loss")] if key.endswith("loss") and len(key) > len("loss") else key


def did_you_mean(word: str, choices: Iterable[str], *, loss_names: bool = False) -> str:
    """``"; did you mean 'focal'?"`` or the empty string.

    With ``loss_names``, names are compared in their :func:`loose` form and also as torch spells a class
    (``mse`` as ``mseloss``), and only the names about as close as the closest are offered: ``MSELos`` gets
    ``'mse'``, not also the shorter, unrelated ``'ms_loss'``.
    """
    if not loss_names:
        close = difflib.get_close_matches(word, sorted(set(choices)), n=3, cutoff=0.6)
    else:
        close = _closest_names(word, choices)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def _closest_names(word: str, choices: Iterable[str], cutoff: float = 0.6, margin: float = 0.05) -> list[str]:
    squashed, stripped = normalize(word).replace("_", ""), loose(word)
    scores: dict[str, tuple[float, str]] = {}  # loose form -> (score, first name of that form)
    for name in sorted(set(choices)):
        form = loose(name)
        if form in scores:  # 'focal' and 'focal_loss': one suggestion
            continue
        matcher = difflib.SequenceMatcher(None, stripped, form)
        score = max(matcher.ratio(), difflib.SequenceMatcher(None, squashed, form + "loss").ratio())
        scores[form] = (score, name)
    ranked = sorted((v for v in scores.values() if v[0] >= cutoff), key=lambda v: -v[0])
    return [name for score, name in ranked[:3] if score >= ranked[0][0] - margin]
