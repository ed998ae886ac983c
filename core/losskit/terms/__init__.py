"""Composition terms shipped in the core: regularisation penalties and fairness penalties."""

from __future__ import annotations

from losskit.spec import LossSpec

SPECS: list[LossSpec] = []
