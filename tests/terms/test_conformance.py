"""The shared conformance suite over the core's own terms (the builtin plugin, named "losskit")."""

from __future__ import annotations

from losskit.testing import parametrize_with_checks, plugin_specs


@parametrize_with_checks(plugin_specs("losskit"))
def test_conformance(spec, check):
    check(spec)
