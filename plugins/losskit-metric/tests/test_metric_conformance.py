from losskit.testing import parametrize_with_checks, plugin_specs


@parametrize_with_checks(plugin_specs("metric"))
def test_metric_conformance(spec, check):
    check(spec)
