"""The entry point registers exactly the regression family, from this distribution."""

from __future__ import annotations

from losskit import Registry

NAMES = {
    "mse",
    "l1",
    "huber",
    "smooth_l1",
    "log_cosh",
    "quantile",
    "poisson_nll",
    "gaussian_nll",
    "pseudo_huber",
    "barron",
}
ALIASES = {
    "l2": "mse",
    "mae": "l1",
    "pinball": "quantile",
    "charbonnier": "pseudo_huber",
    "robust": "barron",
    "general_robust": "barron",
}


def test_entry_point_registers_exactly_the_family():
    registry = Registry()
    ours = [info for info in registry.list_plugins() if info.distribution == "losskit-regression"]
    assert len(ours) == 1
    assert ours[0].status == "active"
    assert set(ours[0].losses) == NAMES
    # Other installed plugins may add to the family (the docs' example plugin does).
    assert NAMES <= set(registry.list_losses(family="regression"))
    for name in NAMES:
        assert registry.provider(name).distribution == "losskit-regression"


def test_aliases_resolve():
    registry = Registry()
    for alias, name in ALIASES.items():
        assert registry.get_spec(alias).name == name
        assert registry.get_loss(alias.upper().replace("_", "-")).config_name == name


def test_registered_losses_build_with_defaults_and_round_trip_their_config():
    registry = Registry()
    for name in NAMES:
        loss = registry.get_loss(name)
        assert loss.to_config()["name"] == name
        assert registry.get_loss(**loss.to_config()).hparams == loss.hparams
