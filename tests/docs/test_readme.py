"""README's two set-up commands: CI runs exactly the test one, and both pin torch through constraints.txt."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
COMMANDS = [line for line in README.splitlines() if line.startswith("python3 -m venv")]


def test_readme_has_exactly_two_setup_commands_and_both_use_the_constraints():
    assert len(COMMANDS) == 2, COMMANDS
    demo, tests = COMMANDS
    assert "examples/demo.py" in demo and "nox" in tests
    assert all("-c constraints.txt" in c for c in COMMANDS)


def test_ci_runs_the_readme_test_command():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("python3 -m venv")]
    assert ci == [COMMANDS[1]]


def test_constraints_pin_the_local_cpu_torch():
    assert "torch==2.13.0+cpu" in (ROOT / "constraints.txt").read_text().split()
