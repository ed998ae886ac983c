"""Discovery through real installed distributions.

The nox session ``discovery`` installs the core, the regression family and the
fixture packages under ``tests/fixtures``: one raises at import, one clashes
with the built-in ``mse``, one must never be imported (blocked), one misspells
its hook.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

import pytest
import torch

from losskit import (
    AmbiguousLossError,
    PluginConflictWarning,
    PluginLoadError,
    PluginLoadWarning,
    Registry,
    UnknownLossError,
)

FIXTURES = ("broken", "clash", "blocked", "typo")

try:
    for _name in FIXTURES:
        distribution(f"losskit-fixture-{_name}")
except PackageNotFoundError:
    pytest.skip("the fixture plugins are installed only in the nox session 'discovery'", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::losskit.PluginConflictWarning", "ignore::losskit.PluginLoadWarning")


def by_name(registry: Registry) -> dict:
    return {info.name: info for info in registry.list_plugins()}


def test_a_plugin_that_raises_at_import_is_reported_and_not_fatal():
    registry = Registry(block=["blocked"], strict=False)
    with pytest.warns(PluginLoadWarning, match=r"plugin 'broken' \(losskit-fixture-broken 0.0.1\) failed to import: ModuleNotFoundError"):
        plugins = by_name(registry)
    assert plugins["broken"].status == "failed"
    assert isinstance(plugins["broken"].error, ModuleNotFoundError)
    assert plugins["regression"].status == "active"
    assert registry.get_loss("regression:mse") is not None
    with pytest.raises(PluginLoadError, match="plugin 'broken' .* failed to load") as raised:
        registry.get_loss("broken:anything")
    assert isinstance(raised.value.__cause__, ModuleNotFoundError)
    with pytest.raises(UnknownLossError, match="'broken' \\(losskit-fixture-broken 0.0.1\\): ModuleNotFoundError"):
        registry.get_loss("only_the_broken_plugin_has_it")


def test_strict_mode_reraises(monkeypatch):
    monkeypatch.setenv("LOSSKIT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="failed to import") as raised:  # the faults of test_plugin_faults aside
        Registry(block=["blocked", "raising", "malformed", "future"]).list_losses()
    assert isinstance(raised.value.__cause__, (ModuleNotFoundError, Exception))


def test_a_clash_keeps_both_reachable():
    registry = Registry(block=["blocked"], strict=False)
    with pytest.warns(PluginConflictWarning, match=r"'mse' is provided by plugins 'clash' .* and 'regression'"):
        registry.list_losses()
    with pytest.raises(AmbiguousLossError, match=r"'clash:mse' or 'regression:mse'.*LOSSKIT_PREFER=mse=clash"):
        registry.get_loss("mse")
    x, y = torch.tensor([2.0]), torch.tensor([0.0])
    assert registry.get_loss("regression:mse")(x, y).item() == pytest.approx(4.0)
    assert registry.get_loss("clash:mse")(x, y).item() == pytest.approx(2.0)
    assert registry.get_loss("regression:mse").to_config()["name"] == "regression:mse"
    assert "clash:mse" in registry.list_losses() and "regression:mse" in registry.list_losses()
    assert "mse" not in registry.list_losses()


def test_a_preference_settles_the_clash(monkeypatch):
    monkeypatch.setenv("LOSSKIT_PREFER", "mse=regression")
    registry = Registry(block=["blocked"], strict=False)
    assert registry.get_loss("mse")(torch.tensor([2.0]), torch.tensor([0.0])).item() == pytest.approx(4.0)


def test_aliases_clash_too():
    # 'l2' is an alias of regression's mse; it stays unambiguous: the fixture does not provide it.
    registry = Registry(block=["blocked"], strict=False)
    assert registry.get_spec("l2").family == "regression"


def test_the_misspelled_hook_is_caught():
    plugins = by_name(Registry(block=["blocked"], strict=False))
    assert plugins["typo"].status == "failed"
    assert "losskit_register_loss" in str(plugins["typo"].error)


def _run(code: str, **env: str) -> None:
    import os

    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, **env})


def test_a_blocked_plugin_is_never_imported():
    _run(
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from losskit import Registry\n"
        "plugins = {i.name: i for i in Registry(block=['blocked'], strict=False).list_plugins()}\n"
        "assert plugins['blocked'].status == 'blocked', plugins['blocked']\n"
        "assert 'losskit_fixture_blocked' not in sys.modules\n"
    )


def test_an_unknown_name_mentions_blocked_plugins():
    registry = Registry(block=["blocked"], strict=False)
    with pytest.raises(UnknownLossError, match=r"blocked by LOSSKIT_PLUGINS / LOSSKIT_DISABLE_PLUGINS .* 'blocked' \(losskit-fixture-blocked 0.0.1\)"):
        registry.get_loss("only_the_blocked_plugin_has_it")


def test_blocklist_and_allowlist_from_environment():
    _run(
        "import sys, losskit\n"
        "plugins = {i.name: i.status for i in losskit.list_plugins()}\n"
        "assert plugins['blocked'] == plugins['broken'] == plugins['typo'] == 'blocked', plugins\n"
        "assert not {'losskit_fixture_blocked', 'losskit_fixture_broken', 'losskit_fixture_typo'} & set(sys.modules)\n",
        LOSSKIT_DISABLE_PLUGINS="blocked,losskit-fixture-broken,typo",
    )
    _run(
        "import sys, losskit\n"
        "plugins = {i.name: i.status for i in losskit.list_plugins()}\n"
        "assert plugins['regression'] == plugins['losskit'] == 'active', plugins\n"
        "assert {plugins[n] for n in ('blocked', 'broken', 'clash', 'typo')} == {'blocked'}, plugins\n"
        "assert losskit.get_loss('mse').to_config()['name'] == 'mse'\n",
        LOSSKIT_PLUGINS="regression",
    )


def test_import_scans_nothing_and_first_use_discovers():
    _run(
        "import sys, losskit\n"
        "assert not any(m.startswith('losskit_') and 'editable' not in m for m in sys.modules)\n"
        "losskit.get_loss('regression:mse')\n"
        "assert 'losskit_regression.plugin' in sys.modules\n",
        LOSSKIT_DISABLE_PLUGINS="blocked",
        PYTHONWARNINGS="ignore",
    )


def test_provenance_and_fingerprint():
    registry = Registry(block=["blocked"], strict=False)
    plugins = by_name(registry)
    assert plugins["regression"].distribution == "losskit-regression"
    assert "mse" in plugins["regression"].losses
    fingerprint = registry.fingerprint()
    assert "losskit-regression==" in fingerprint and "losskit-fixture-clash==0.0.1" in fingerprint
    assert "broken" not in fingerprint and "typo" not in fingerprint
    assert registry.provider("regression:mse").distribution == "losskit-regression"


def test_cli_lists_plugins_with_status():
    out = subprocess.run(
        [sys.executable, "-m", "losskit.cli", "list", "--plugins"],
        check=True, capture_output=True, text=True,
        env={**__import__("os").environ, "LOSSKIT_DISABLE_PLUGINS": "blocked", "PYTHONWARNINGS": "ignore"},
    ).stdout
    assert "broken" in out and "failed" in out and "ModuleNotFoundError" in out
    assert "blocked" in out and "fingerprint: " in out
