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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'focal'?"`` or the empty string."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
