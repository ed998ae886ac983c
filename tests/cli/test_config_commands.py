"""``losskit validate CONFIG`` (the tree, or the culprit's path and status 1) and ``losskit schema``."""

from __future__ import annotations

import json
import re

import pytest

VALID = """\
name: sum
terms:
  - {name: scaled_abs, scale: 2.0}
  - {name: other, weight: 0.5}
"""


@pytest.fixture
def config(tmp_path):
    def write(text: str, name: str = "loss.yaml"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def test_validate_prints_the_tree(registry, cli, config):
    path = config(VALID)
    ran = cli("validate", str(path))
    assert ran.status == 0
    assert ran.out.splitlines() == [
        f"{path}: valid",
        "sum",
        "  - scaled_abs(scale=2.0, reduction='mean')",
        "  - 0.5 * other(scale=1.0, reduction='mean')",
    ]


def test_validate_json_gives_the_built_config(registry, cli, config):
    data = cli("validate", str(config(VALID)), "--json").json()
    assert data["valid"] is True
    assert data["loss"] == {"name": "sum", "terms": [{"name": "scaled_abs", "scale": 2.0, "reduction": "mean"},
                                                     {"name": "other", "scale": 1.0, "reduction": "mean",
                                                      "weight": 0.5}]}


def test_validate_names_the_culprit_and_exits_1(registry, cli, config):
    path = config(VALID.replace("scale: 2.0", "scale: -1"))
    ran = cli("validate", str(path))
    assert ran.status == 1 and ran.out == ""
    assert ran.err.startswith(f"losskit validate: {path}: ConfigError: terms[0].scale:")
    data = cli("validate", str(path), "--json").json()
    assert data["valid"] is False and data["type"] == "ConfigError" and data["error"].startswith("terms[0].scale:")


def test_validate_a_missing_file_or_an_unknown_name(registry, cli, config, tmp_path):
    ran = cli("validate", str(tmp_path / "nope.yaml"))
    assert ran.status == 1 and "no such config file" in ran.err
    ran = cli("validate", str(config('{"name": "sum", "terms": [{"name": "scaled_ab"}]}', "loss.json")))
    assert ran.status == 1 and "terms[0].name" in ran.err and "scaled_abs" in ran.err


def test_validate_a_multitask_config(registry, cli, config):
    path = config("name: multitask\ntasks:\n  a: {name: scaled_abs}\n  b: {name: other}\nweights: {a: 1.0, b: 2.0}\n")
    ran = cli("validate", str(path))
    assert ran.status == 0 and "  - a: scaled_abs(scale=1.0, reduction='mean')" in ran.out.splitlines()


def test_validate_on_a_terminal_draws_a_tree(registry, cli, config, terminal):
    ran = cli("validate", str(config(VALID)))
    assert ran.status == 0 and "\x1b[" in ran.out and "├── " in ran.out and "0.5 * other" in ran.out


def test_schema_is_the_config_schema_as_json(registry, cli, tmp_path, terminal):
    from losskit import config_schema

    coloured = cli("schema").out
    assert "\x1b[" in coloured and json.loads(re.sub(r"\x1b\[[0-9;]*m", "", coloured)) == config_schema(registry)
    out = tmp_path / "schema.json"
    ran = cli("schema", "--out", str(out))
    assert ran.status == 0 and json.loads(out.read_text()) == config_schema(registry)


def test_schema_piped_is_plain_json(registry, cli):
    data = cli("schema").json()
    assert data["$schema"].endswith("2020-12/schema") and "loss:fix:scaled_abs" in data["$defs"]
