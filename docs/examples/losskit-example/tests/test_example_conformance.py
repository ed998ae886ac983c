from losskit.testing import parametrize_with_checks, plugin_specs


@parametrize_with_checks(plugin_specs("example"))
def test_conformance(spec, check):
    check(spec)
