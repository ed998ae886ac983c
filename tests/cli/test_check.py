"""``losskit check --json``, ``--junit FILE``, ``--why --json`` and the table on a terminal (the plain table and
``--why`` text are tested in tests/conformance/test_api.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import losskit.cli
from tests.conformance.conformance_fixtures import POWER, broken, power_loss, registry_with


def sum_as_mean(self, input, target, *, weight=None):
    out = power_loss(input, target, reduction="none")
    return out if self.reduction == "none" else out.sum()


@pytest.fixture
def powers(monkeypatch):
    """``power`` (correct) and ``sum_as_mean`` (its 'mean' is a sum) as the CLI's registry."""
    registry = registry_with(POWER, broken("sum_as_mean", sum_as_mean))
    monkeypatch.setattr(losskit.cli, "default_registry", lambda: registry)
    return registry


def test_json_lists_every_result_and_the_counts(powers, cli):
    ran = cli("check", "power", "-c", "red", "-c", "ign", "--json")
    assert ran.status == 0
    data = ran.json()
    assert data["checks"] == {"red": "check_reduction", "ign": "check_ignore_index"}
    assert data["results"] == [
        {"loss": "power", "check": "check_reduction", "status": "passed", "message": ""},
        {"loss": "power", "check": "check_ignore_index", "status": "n/a", "message": "no 'ignore_index' tag"},
    ]
    assert data["summary"] == {"losses": 1, "passed": 1, "failed": 0, "warned": 0, "skipped": 0, "xfail": 0,
                               "not_applicable": 1}


def test_json_exits_1_on_a_failure_with_its_message(powers, cli):
    ran = cli("check", "-c", "red", "--json")
    assert ran.status == 1
    failed = [r for r in ran.json()["results"] if r["status"] == "failed"]
    assert [r["loss"] for r in failed] == ["sum_as_mean"] and "reduction='mean'" in failed[0]["message"]


def test_junit_has_a_testcase_per_loss_and_check(powers, cli, tmp_path):
    path = tmp_path / "reports" / "check.xml"
    ran = cli("check", "-c", "red", "-c", "ign", "--junit", str(path))
    assert ran.status == 1 and f"junit: {path}" in ran.out and "sum_as_mean" in ran.out
    suite = ET.parse(path).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "2")
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert set(cases) == {(f"losskit.{loss}", check) for loss in ("power", "sum_as_mean")
                          for check in ("check_reduction", "check_ignore_index")}
    failure = cases["losskit.sum_as_mean", "check_reduction"].find("failure")
    assert "reduction='mean'" in failure.get("message") and failure.text.startswith("sum_as_mean: check_reduction")
    skipped = cases["losskit.power", "check_ignore_index"].find("skipped")
    assert skipped.get("message") == "does not apply: no 'ignore_index' tag"
    assert cases["losskit.power", "check_reduction"].find("*") is None  # passed: no child


def test_json_and_junit_together(powers, cli, tmp_path):
    ran = cli("check", "power", "-c", "red", "--json", "--junit", str(tmp_path / "c.xml"))
    assert ran.status == 0 and ran.json()["summary"]["passed"] == 1 and (tmp_path / "c.xml").exists()


def test_a_coloured_table_on_a_terminal(powers, cli, terminal):
    ran = cli("check", "-c", "red", "-c", "ign")
    assert ran.status == 1 and "\x1b[" in ran.out
    assert "power" in ran.out and "sum_as_mean check_reduction:" in ran.out
    assert "2 losses:" in ran.out and "1 failed" in ran.out and "2 not applicable" in ran.out


def test_why_json_says_what_applies_and_why_not(powers, cli):
    data = cli("check", "power", "--why", "--json", "-c", "red", "-c", "ign").json()
    (loss,) = data["losses"]
    reduction, ignore = loss["checks"]
    assert loss["name"] == "power" and reduction["check"] == "check_reduction"
    assert reduction["applies"] is True and reduction["reason"] is None and reduction["needs"]
    assert ignore == {"check": "check_ignore_index", "applies": False, "needs": ["tag 'ignore_index'"],
                      "reason": "no 'ignore_index' tag"}
    assert cli("check", "--why", "--junit", "x.xml").status == 2


def test_an_unknown_check_is_an_error(powers, cli):
    ran = cli("check", "-c", "nope", "--json")
    assert ran.status == 2 and "unknown check 'nope'" in ran.err


def test_a_narrow_terminal_stacks_the_headers_and_keeps_every_column(powers, cli, terminal, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    checks = ["disc", "def", "name", "inv", "doc", "shape", "red", "ign", "wgt", "cfg"]
    ran = cli("check", "power", *(a for c in checks for a in ("-c", c)))
    plain = re.sub(r"\x1b\[[0-9;]*m", "", ran.out)
    (row,) = [line for line in plain.splitlines() if line.strip().startswith("power ")]
    assert len(row.split()) == 1 + len(checks) and max(map(len, plain.splitlines()[:8])) <= 40
