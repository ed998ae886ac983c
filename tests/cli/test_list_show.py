"""``losskit list``, ``show`` (and its alias ``describe``), ``--version`` and ``--help``: text, terminal and JSON."""

from __future__ import annotations

import pytest

from losskit import __version__
from losskit.cli import app

ANSI = "\x1b["


def test_list_json_has_every_loss_with_its_facts(registry, cli):
    ran = cli("list", "--json")
    assert ran.status == 0
    entries = {e["name"]: e for e in ran.json()}
    assert set(entries) == {"scaled_abs", "other"}
    assert entries["other"]["family"] == "Robust" and entries["other"]["distribution"] == "fix-losses"
    assert entries["scaled_abs"]["params"][0] == {"name": "scale", "default": 1.0, "expected": "float > 0",
                                                  "doc": "multiplier"}
    assert [e["name"] for e in cli("list", "--json", "--family", "robust").json()] == ["other"]


def test_list_plugins_json(registry, cli):
    data = cli("list", "--plugins", "--json").json()
    assert data["fingerprint"] == "fix-losses==1.2"
    (plugin,) = data["plugins"]
    assert plugin == {"name": "fix", "status": "active", "distribution": "fix-losses", "version": "1.2",
                      "losses": ["other", "scaled_abs"], "error": None}


def test_list_is_a_coloured_table_on_a_terminal_and_plain_when_piped(registry, cli, terminal):
    table = cli("list")
    assert table.status == 0 and ANSI in table.out and "scaled_abs" in table.out and "summary" in table.out
    plugins = cli("list", "--plugins")
    assert ANSI in plugins.out and "fix-losses 1.2" in plugins.out and "fingerprint:" in plugins.out


def test_piped_output_has_no_escape_codes(registry, cli):
    for args in (("list",), ("list", "--plugins"), ("show", "scaled_abs"), ("show", "sum")):
        ran = cli(*args)
        assert ran.status == 0 and ANSI not in ran.out, args


def test_markdown_does_not_combine_with_plugins_or_json(registry, cli):
    for args in (("--markdown", "--plugins"), ("--markdown", "--json")):
        ran = cli("list", *args)
        assert ran.status == 2 and "--markdown prints the loss catalogue" in ran.err


def test_show_adds_import_path_formula_example_and_config_to_describe(registry, cli):
    ran = cli("show", "scaled_abs")
    assert ran.status == 0
    assert ran.out.startswith(registry.describe("scaled_abs") + "\n")
    assert "  import: tests.core.registry_helpers.ScaledAbsLoss\n" in ran.out
    assert "  formula:\n    \\ell_n = s |x_n - y_n|\n" in ran.out
    assert '  example:\n    >>> loss = get_loss("scaled_abs")\n' in ran.out
    assert '  config: {"name": "scaled_abs"}' in ran.out
    assert cli("describe", "Scaled-Abs").out == ran.out  # the alias, any spelling


def test_show_json(registry, cli):
    data = cli("show", "scaled_abs", "--json").json()
    assert data["name"] == "scaled_abs" and data["import_path"] == "tests.core.registry_helpers.ScaledAbsLoss"
    assert data["formula"] == "\\ell_n = s |x_n - y_n|" and data["config"] == {"name": "scaled_abs"}
    assert data["contract"]["input"] == "values" and data["params"][0]["name"] == "scale"
    assert data["plugin"] == "fix" and data["context"] == {"accepted": ["weight"], "required": []}


@pytest.mark.parametrize("name", ["sum", "multitask", "SUM"])
def test_show_composites(registry, cli, name):
    ran = cli("show", name)
    assert ran.status == 0 and "config keys:" in ran.out
    data = cli("show", name, "--json").json()
    assert data["kind"] == "composite" and data["import_path"] in ("losskit.WeightedSum", "losskit.MultiTask")
    assert data["config"]["name"] == name.lower() and data["example"]
    if name == "multitask":
        assert "tasks (required): a mapping of names to a config node" in ran.out
        assert "\\tfrac12 s_i" in data["formula"]  # Kendall et al.'s weighting, from the module's docstring


def test_show_on_a_terminal(registry, cli, terminal):
    ran = cli("show", "scaled_abs")
    assert ran.status == 0 and ANSI in ran.out and "ScaledAbsLoss" in ran.out


def test_show_an_unknown_name_is_one_line_and_status_2(registry, cli):
    ran = cli("show", "scaled_ab")
    assert ran.status == 2 and ran.err.startswith("losskit: UnknownLossError: no loss named 'scaled_ab'; did you mean")


def test_show_a_real_loss_finds_its_formula_and_docstring_example(cli):
    pytest.importorskip("losskit_classification")
    data = cli("show", "focal", "--json").json()
    assert data["import_path"].endswith(".FocalLoss") and data["functional"].endswith(".focal_loss")
    assert "\\gamma" in data["formula"] and data["example"].startswith(">>> loss = FocalLoss(")
    assert "# doctest" not in cli("show", "sum").out


def test_version_and_help(cli):
    assert cli("--version").out == f"losskit {__version__}\n"
    ran = cli("--help")
    assert ran.status == 0 and all(name in ran.out for name in app.commands)
    assert cli("show", "--help").status == 0
    assert cli().status == 2  # no command: the usage, and the usage-error status


def test_unknown_command_and_option_are_usage_errors(cli):
    ran = cli("lisst")
    assert ran.status == 2 and "No such command 'lisst'" in ran.err
    assert cli("list", "--jsn").status == 2


def test_show_takes_torch_class_names_and_suggests_them(cli):
    pytest.importorskip("losskit_regression")
    assert cli("show", "MSELoss").status == 0
    ran = cli("show", "MSELos")
    assert ran.status == 2 and "did you mean 'mse'?" in ran.err and "ms_loss" not in ran.err
