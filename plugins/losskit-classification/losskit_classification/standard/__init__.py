"""Specs of the standard classification losses, collected for the plugin hook."""

from __future__ import annotations

from losskit import LossSpec

SPECS: list[LossSpec] = []
