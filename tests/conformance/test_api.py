"""The kit's three layers: plain checks and check_loss, parametrize_with_checks, the pytest plugin; and the CLI."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import torch

from losskit import UnknownLossError
from losskit.testing import CHECKS, CheckResult, RegisteredSpec, check_loss, parametrize_with_checks, plugin_specs
from tests.conformance.conformance_fixtures import POWER, broken, registry_with


def test_parametrize_with_checks_gives_one_test_per_loss_and_check():
    mark = parametrize_with_checks([POWER])
    assert mark.args[0] == "spec, check"
    ids = [p.id for p in mark.args[1]]
    assert ids == [f"power-{c.__name__}" for c in CHECKS]
    assert all(isinstance(p.values[0], RegisteredSpec) for p in mark.args[1])


def test_expected_failures_become_strict_xfails_by_check_or_by_test_id():
    mark = parametrize_with_checks([POWER], expected_failures={"check_gradcheck": "kink", "power-check_compile": "later"})
    marks = {p.id: p.marks for p in mark.args[1] if p.marks and p.marks[0].name == "xfail"}
    assert set(marks) == {"power-check_gradcheck", "power-check_compile"}
    xfail = marks["power-check_gradcheck"][0]
    assert xfail.name == "xfail" and xfail.kwargs["strict"] and xfail.kwargs["reason"] == "kink"


def test_expected_failures_naming_an_unknown_check_are_refused():
    with pytest.raises(ValueError, match="check_nope"):
        parametrize_with_checks([POWER], expected_failures={"check_nope": "?"})
    with pytest.raises(ValueError, match="check_nope"):
        check_loss(POWER, expected_failures={"check_nope": "?"})
    with pytest.raises(ValueError, match="powr-check_reduction"):  # a typo in the loss would leave the entry unused
        parametrize_with_checks([POWER], expected_failures={"powr-check_reduction": "?"})


def test_check_loss_turns_expected_failures_into_xfail_and_unexpected_passes_into_failures():
    def sum_as_mean(self, input, target, *, weight=None):
        from tests.conformance.conformance_fixtures import power_loss

        out = power_loss(input, target, reduction="none")
        return out if self.reduction == "none" else out.sum()

    spec = broken("sum_as_mean", sum_as_mean)
    results = {r.check: r for r in check_loss(spec, expected_failures={"check_reduction": "known", "check_docstring": "?"})}
    assert results["check_reduction"] == CheckResult("sum_as_mean", "check_reduction", "xfail", results["check_reduction"].message)
    assert results["check_reduction"].message.startswith("known (")
    assert results["check_docstring"].status == "failed"
    assert "listed in expected_failures (?) but passed" in results["check_docstring"].message


def test_a_check_runs_on_a_name_a_spec_or_a_registered_spec():
    registry = registry_with(POWER)
    from losskit.testing.checks import check_reduction

    check_reduction("power", registry=registry)
    check_reduction(POWER)
    check_reduction(plugin_specs("fixtures", registry=registry)[0])


def test_plugin_specs_lists_the_specs_of_one_plugin():
    registry = registry_with(POWER)
    (subject,) = plugin_specs("fixtures", registry=registry)
    assert (subject.name, subject.spec, subject.plugin.name) == ("power", POWER, "fixtures")
    assert [s.name for s in plugin_specs("all", registry=registry)] == ["power"]
    with pytest.raises(UnknownLossError, match="no losskit plugin named 'nope'. Installed plugins: fixtures"):
        plugin_specs("nope", registry=registry)


def test_plugin_specs_takes_the_params_a_loss_needs():
    registry = registry_with(POWER)
    (subject,) = plugin_specs("fixtures", registry=registry, params={"power": {"scale": 3.0}})
    assert subject.build().scale == 3.0


def test_importing_the_kit_and_its_pytest_plugin_imports_neither_torch_nor_plugins():
    done = subprocess.run([sys.executable, "-c",
        "import sys, losskit.testing, losskit.testing.pytest_plugin; "
        "heavy = [m for m in sys.modules if m == 'torch' or m.startswith('losskit_') or m == 'losskit.registry']; "
        "print(heavy)"], capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_pytest_plugin_is_registered_under_pytest11():
    assert "losskit.testing.pytest_plugin" in {ep.value for ep in entry_points(group="pytest11")}


def test_the_pytest_plugin_runs_the_suite_on_an_installed_plugin(tmp_path):
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "--losskit-plugin", "losskit",
         "-k", "l2_penalty- and (reduction or shape or cuda)", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "losskit::l2_penalty-check_reduction PASSED" in done.stdout
    assert "losskit::l2_penalty-check_output_shape PASSED" in done.stdout
    assert "losskit::l2_penalty-check_cuda SKIPPED (not applicable: no CUDA device)" in done.stdout


def test_the_pytest_plugin_does_nothing_without_its_option(tmp_path):
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout


def test_the_pytest_plugin_reports_an_unknown_plugin(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--losskit-plugin", "nope", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )
    assert done.returncode != 0
    assert "--losskit-plugin nope: no losskit plugin named 'nope'" in done.stdout + done.stderr


def test_cli_check_prints_a_table_and_exits_zero_when_all_pass(capsys):
    from losskit.cli import main

    assert main(["check", "l2_penalty", "-c", "red", "-c", "check_output_shape", "-c", "cuda"]) == 0
    out = capsys.readouterr().out
    header, row = out.splitlines()[:2]
    assert header.split() == ["loss", "red", "shape", "cuda"]
    assert row.split() == ["l2_penalty", "✓", "✓", "-"]
    assert "1 losses: 2 passed, 0 failed, 1 not applicable" in out


def test_cli_check_exits_one_and_explains_each_failure(capsys, monkeypatch):
    import losskit.cli

    def sum_as_mean(self, input, target, *, weight=None):
        from tests.conformance.conformance_fixtures import power_loss

        out = power_loss(input, target, reduction="none")
        return out if self.reduction == "none" else out.sum()

    registry = registry_with(POWER, broken("sum_as_mean", sum_as_mean))
    monkeypatch.setattr(losskit.cli, "default_registry", lambda: registry)
    assert losskit.cli.main(["check", "-c", "red", "-c", "doc"]) == 1
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:3]}
    assert rows == {"power": ["✓", "✓"], "sum_as_mean": ["✗", "✓"]}
    assert "✗ sum_as_mean check_reduction: sum_as_mean: check_reduction: reduction='mean'" in out


def test_cli_check_shows_what_does_not_apply_as_a_dash_and_why_on_demand(capsys, monkeypatch):
    import losskit.cli

    registry = registry_with(POWER)
    monkeypatch.setattr(losskit.cli, "default_registry", lambda: registry)
    assert losskit.cli.main(["check", "-c", "ign", "-c", "shape"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["power", "-", "✓"]
    assert "✓ passed  ✗ failed  - does not apply (losskit check --why LOSS says why)" in out
    assert "1 losses: 1 passed, 0 failed, 1 not applicable" in out
    assert losskit.cli.main(["check", "--why", "power"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cuda = 0 if torch.cuda.is_available() else 1
    # power has no ignore_index and no class-index target: check_ignore_index and check_integer_targets do not apply
    assert lines[0] == f"power: {len(CHECKS) - 2 - cuda} of {len(CHECKS)} checks apply"
    assert len(lines) == 1 + len(CHECKS)
    (ignore,) = [line for line in lines if "check_ignore_index" in line]
    assert ignore.split()[0] == "-" and ignore.endswith("needs tag 'ignore_index': no 'ignore_index' tag")
    assert [line.split() for line in lines if "check_reduction" in line] == [["applies", "check_reduction"]]


def test_cli_check_names_an_unknown_loss(capsys):
    from losskit.cli import main

    assert main(["check", "focall_nope"]) == 2
    assert "no loss named 'focall_nope'" in capsys.readouterr().err


def test_cli_list_and_describe_still_work(capsys):
    from losskit.cli import main

    assert main(["list"]) == 0 and "l2_penalty" in capsys.readouterr().out
    assert main(["describe", "l2_penalty"]) == 0 and "source: Hoerl & Kennard" in capsys.readouterr().out
