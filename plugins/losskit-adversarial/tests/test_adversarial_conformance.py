"""The losskit conformance suite over every loss this plugin registers."""

from __future__ import annotations

from losskit.testing import parametrize_with_checks, plugin_specs


@parametrize_with_checks(plugin_specs("adversarial"))
def test_conformance(spec, check):
    check(spec)
