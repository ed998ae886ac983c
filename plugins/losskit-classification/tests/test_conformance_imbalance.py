"""The losskit conformance suite over the imbalance classification losses."""

from __future__ import annotations

from losskit.testing import parametrize_with_checks, plugin_specs
from losskit_classification.imbalance import SPECS

IMBALANCE = {spec.name for spec in SPECS}


@parametrize_with_checks([s for s in plugin_specs("classification") if s.spec.name in IMBALANCE])
def test_conformance_imbalance(spec, check):
    check(spec)
