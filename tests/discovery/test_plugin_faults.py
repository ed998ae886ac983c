"""Plugin faults, each from a real installed distribution (tests/fixtures, installed by the nox session
``discovery``): a hook that raises, malformed specs, a slow import, a newer plugin API version.

Each is isolated (the other plugins load, nothing of the faulty one is half-registered) and
reported (a warning naming the plugin, its distribution and the fix; its record in
``list_plugins`` and ``losskit list --plugins``); strict mode turns each into a PluginLoadError.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution

import pytest

from losskit import PluginLoadError, PluginLoadWarning, Registry, SpecError, UnknownLossError

FAULTS = ("raising", "malformed", "slow", "future")
#: Every installed fixture plugin that fails to load, so that a test can block all but the one it looks at.
FAILING = ("blocked", "broken", "typo", "raising", "malformed", "future")

try:
    for _name in FAULTS:
        distribution(f"losskit-fixture-{_name}")
except PackageNotFoundError:
    pytest.skip("the fixture plugins are installed only in the nox session 'discovery'", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::losskit.PluginConflictWarning")

CASES = [
    ("raising", RuntimeError, "the hook failed on purpose", "failed_only"),
    ("malformed", SpecError, "register() takes a losskit.LossSpec, got dict", "malformed_ok"),
    ("future", SpecError, "declares plugin API version 2; this losskit (losskit ",
     "future_square"),
]


def only(plugin: str, *, strict: bool = False) -> Registry:
    """A registry where ``plugin`` is the only failing fixture that loads."""
    return Registry(block=[f for f in FAILING if f != plugin], strict=strict)


@pytest.mark.parametrize(("plugin", "error", "detail", "loss"), CASES, ids=[c[0] for c in CASES])
def test_a_fault_is_isolated_and_reported(plugin, error, detail, loss):
    registry = only(plugin)
    label = rf"plugin '{plugin}' \(losskit-fixture-{plugin} 0\.0\.1\) failed to register its losses: {error.__name__}"
    with pytest.warns(PluginLoadWarning, match=label) as caught:
        plugins = {info.name: info for info in registry.list_plugins()}
    message = next(str(w.message) for w in caught if f"'{plugin}'" in str(w.message))
    assert detail in message and f"LOSSKIT_DISABLE_PLUGINS={plugin} skips it" in message
    info = plugins[plugin]
    assert info.status == "failed" and isinstance(info.error, error) and info.losses == []
    assert plugins["regression"].status == "active" and plugins["slow"].status == "active"
    assert registry.get_loss("regression:mse") is not None and registry.get_loss("slow_square") is not None
    with pytest.raises(PluginLoadError, match=f"plugin '{plugin}' .* failed to load"):
        registry.get_loss(f"{plugin}:{loss}")
    with pytest.raises(UnknownLossError, match=f"'{plugin}' \\(losskit-fixture-{plugin} 0.0.1\\)"):
        registry.get_loss(loss)  # nothing of it was indexed, not even a valid spec handed over before the bad one


@pytest.mark.parametrize(("plugin", "error", "detail", "loss"), CASES, ids=[c[0] for c in CASES])
def test_strict_mode_fails_loudly(plugin, error, detail, loss):
    with pytest.raises(PluginLoadError, match=f"plugin '{plugin}' .*failed to register its losses") as raised:
        only(plugin, strict=True).list_losses()
    assert isinstance(raised.value.__cause__, error) and detail in str(raised.value)


def test_strict_mode_from_the_environment_stops_at_a_fault(monkeypatch):
    monkeypatch.setenv("LOSSKIT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="plugin 'future'"):
        Registry(block=[f for f in FAILING if f != "future"]).get_loss("regression:mse")


def _python(code: str, **env: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "LOSSKIT_STRICT_PLUGINS": "0", **env},
    ).stdout


def test_a_slow_import_costs_nothing_until_first_use_nothing_when_blocked_and_is_loaded_once():
    out = _python(
        "import sys, time\n"
        "import losskit\n"
        "from losskit import Registry\n"
        "assert 'losskit_fixture_slow' not in sys.modules  # import losskit scans nothing\n"
        f"failing = {list(FAILING)!r}\n"
        "Registry(block=failing + ['slow']).list_losses()\n"
        "assert 'losskit_fixture_slow' not in sys.modules  # blocked: never imported\n"
        "start = time.monotonic()\n"
        "registry = Registry(block=failing)\n"
        "registry.get_loss('slow_square')\n"
        "first = time.monotonic() - start\n"
        "from losskit_fixture_slow import IMPORT_SECONDS\n"
        "assert first >= IMPORT_SECONDS, first\n"
        "info = {i.name: i for i in registry.list_plugins()}['slow']\n"
        "assert info.status == 'active' and info.losses == ['slow_square'], info\n"
        "assert Registry(block=failing).get_loss('slow_square') is not None\n"
        "print('ok')\n"
    )
    assert out.strip() == "ok"


def test_cli_reports_every_fault():
    out = subprocess.run(
        [sys.executable, "-m", "losskit.cli", "list", "--plugins"], check=True, capture_output=True, text=True,
        env={**os.environ, "LOSSKIT_DISABLE_PLUGINS": "blocked", "PYTHONWARNINGS": "ignore",
             "LOSSKIT_STRICT_PLUGINS": "0"},
    ).stdout
    for plugin, error, _, _ in CASES:
        line = next(line for line in out.splitlines() if plugin in line)
        assert "failed" in line and error.__name__ in out, line
    assert "slow_square" in out or "slow" in out
