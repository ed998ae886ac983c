"""The CLI against an isolated registry of fixture losses; ``terminal`` makes rich draw as on a terminal."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

import losskit.cli
from losskit import Registry
from tests.core.registry_helpers import plugin_module, spec


@dataclass
class Ran:
    status: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def registry(monkeypatch) -> Registry:
    """scaled_abs and ``other`` (family Robust) from a plugin ``fix``; the CLI's default registry."""
    registry = Registry(discover=False, builtins=False, strict=False)
    registry.register_plugin(plugin_module(spec(), spec("other", family="Robust")), "fix", distribution="fix-losses",
                             version="1.2")
    monkeypatch.setattr(losskit.cli, "default_registry", lambda: registry)
    return registry


@pytest.fixture
def cli(capsys):
    """``cli("list", "--json")`` runs ``losskit list --json`` in this process and returns its status and output."""

    def run(*args: str) -> Ran:
        status = losskit.cli.main(list(args))
        captured = capsys.readouterr()
        return Ran(status, captured.out, captured.err)

    return run


@pytest.fixture
def terminal(monkeypatch):
    """rich's consoles behave as on a 200-column colour terminal (the default for tests is a pipe)."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NO_COLOR", raising=False)
