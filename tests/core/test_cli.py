"""``losskit list`` and ``losskit describe`` in plain text (tests/cli/ has the other commands and output forms;
``losskit check``'s table is tested with the conformance kit)."""

from __future__ import annotations

import pytest

import losskit.cli
from tests.core.registry_helpers import plugin_module, spec


@pytest.fixture
def cli_registry(registry, monkeypatch):
    registry.register_plugin(plugin_module(spec(), spec("other", family="Robust")), "fix", distribution="fix-losses",
                             version="1.2")
    monkeypatch.setattr(losskit.cli, "default_registry", lambda: registry)
    return registry


def test_list_and_family_filter_any_case(cli_registry, capsys):
    assert losskit.cli.main(["list", "--family", "robust"]) == 0
    assert capsys.readouterr().out.split()[0] == "other"
    assert losskit.cli.main(["list", "--markdown", "--family", "robust"]) == 0
    out = capsys.readouterr().out
    assert "## Robust" in out and "`other`" in out and "scaled_abs" not in out


def test_list_plugins_and_describe(cli_registry, capsys):
    assert losskit.cli.main(["list", "--plugins"]) == 0
    out = capsys.readouterr().out
    assert "fix" in out and "active" in out and "fix-losses 1.2" in out and "fingerprint: fix-losses==1.2" in out
    assert losskit.cli.main(["describe", "Scaled-Abs"]) == 0
    assert "scaled_abs — scaled absolute error" in capsys.readouterr().out


def test_errors_are_one_line_and_exit_2(cli_registry, capsys):
    assert losskit.cli.main(["describe", "scaled_ab"]) == 2
    assert "losskit: UnknownLossError: no loss named 'scaled_ab'; did you mean 'scaled_abs'?" in capsys.readouterr().err


def test_list_plugins_has_a_header_and_refuses_family(cli_registry, capsys):
    assert losskit.cli.main(["list", "--plugins"]) == 0
    assert capsys.readouterr().out.split()[:4] == ["plugin", "status", "distribution", "losses"]
    assert losskit.cli.main(["list", "--plugins", "--family", "robust"]) == 2
    assert "--family does not apply" in capsys.readouterr().err


def test_unknown_family_is_an_error(cli_registry, capsys):
    assert losskit.cli.main(["list", "--family", "robst"]) == 2
    assert "no loss family named 'robst'; did you mean 'Robust'?" in capsys.readouterr().err
