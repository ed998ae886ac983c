"""Composition terms shipped in the core: regularisation penalties and fairness penalties."""

from __future__ import annotations

from losskit.spec import LossSpec

from . import fairness, penalties

SPECS: list[LossSpec] = [*penalties.SPECS, *fairness.SPECS]
