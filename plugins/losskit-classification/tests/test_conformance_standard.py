"""The losskit conformance suite over the standard classification losses."""

from __future__ import annotations

from losskit.testing import parametrize_with_checks, plugin_specs
from losskit_classification.standard import SPECS

STANDARD = {spec.name for spec in SPECS}


@parametrize_with_checks([s for s in plugin_specs("classification") if s.spec.name in STANDARD])
def test_conformance_standard(spec, check):
    check(spec)
