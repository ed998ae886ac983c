"""README's set-up commands and command-line summary: CI runs exactly the test command, both commands pin torch
through constraints.txt, the demo command installs what ``losskit demo`` needs and names commands that exist."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from losskit.cli import app

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
COMMANDS = [line for line in README.splitlines() if line.startswith("python3 -m venv")]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_readme_has_exactly_two_setup_commands_and_both_use_the_constraints():
    assert len(COMMANDS) == 2, COMMANDS
    demo, tests = COMMANDS
    assert demo.endswith("&& .venv/bin/losskit demo") and "nox" in tests
    assert all("-c constraints.txt" in c for c in COMMANDS)


def test_ci_runs_the_readme_test_command():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("python3 -m venv")]
    assert ci == [COMMANDS[1]]


def test_constraints_pin_the_local_cpu_torch():
    assert "torch==2.13.0+cpu" in (ROOT / "constraints.txt").read_text().split()


def test_the_demo_command_installs_what_the_demo_imports():
    (extras,) = re.findall(r'"\.\[([a-z,]+)\]"', COMMANDS[0])
    installed = list(PYPROJECT["dependencies"])
    for extra in extras.split(","):
        assert extra in PYPROJECT["optional-dependencies"], f"README installs an extra the core lacks: {extra}"
        installed += PYPROJECT["optional-dependencies"][extra]
    names = {re.split(r"[<>=;\[ ]", requirement)[0].lower() for requirement in installed}
    # the CLI and the demo's table and progress bars, its YAML config, its PNG, and what silences torch's warning
    assert {"click", "rich", "pyyaml", "matplotlib", "numpy"} <= names
    assert "./plugins/*/" in COMMANDS[0]  # the default composite's focal loss is in losskit-classification


def test_the_demo_config_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["losskit"]
    shipped = [p for pattern in patterns for p in (ROOT / "core" / "losskit").glob(pattern)]
    assert ROOT / "core" / "losskit" / "demo" / "composite.yaml" in shipped


def test_the_command_line_section_lists_every_command_and_only_those():
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^losskit (\w+)", section, flags=re.MULTILINE))
    commands = {name for name, command in app.commands.items() if name != "describe"}
    assert named == commands
    ctx = click.Context(app)
    for line in re.findall(r"^losskit \w+.*$", section, flags=re.MULTILINE):
        command = app.commands[line.split()[1]]
        options = {o for p in command.get_params(ctx) for o in p.opts}
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line):
            assert option in options, f"README: {line.split()[1]} has no option {option}"
