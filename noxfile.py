"""Test sessions: each plugin installed alone with the core, then everything together.

``nox`` (no arguments) runs every session; this is what README's test command and
CI run. Plugin sessions are generated from ``plugins/*/pyproject.toml``, so a
new family gets its session by existing. Every install goes through
``constraints.txt`` (``PIP_CONSTRAINT``), which pins the local CPU torch wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / "constraints.txt"
PLUGINS = sorted(p.parent.name.removeprefix("losskit-") for p in ROOT.glob("plugins/*/pyproject.toml"))
FIXTURES = sorted(str(p.parent) for p in ROOT.glob("tests/fixtures/*/pyproject.toml"))
EXAMPLE = ROOT / "docs" / "examples" / "losskit-example"

# Applies to every pip call nox makes, build environments included.
os.environ["PIP_CONSTRAINT"] = str(CONSTRAINTS)
os.environ["UV_CONSTRAINT"] = str(CONSTRAINTS)

nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "no"


def install(session: nox.Session, *packages: str | Path) -> None:
    """One pip call, so a plugin's ``losskit`` requirement is met by the local core, not the index."""
    session.install("-c", str(CONSTRAINTS), "-r", "requirements-test.txt", ".", *map(str, packages))


def pytest(session: nox.Session, *paths: str | Path, strict: bool = True) -> None:
    env = {"LOSSKIT_STRICT_PLUGINS": "1"} if strict else {"LOSSKIT_STRICT_PLUGINS": "0"}
    session.run("python", "-m", "pytest", *map(str, paths), *session.posargs, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over every package, tests and docs examples (settings in pyproject.toml)."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session
def core(session: nox.Session) -> None:
    """The core alone: registry, composition, conformance kit; no loss family installed."""
    install(session)
    pytest(session, "tests")


@nox.session
@nox.parametrize("plugin", PLUGINS, ids=PLUGINS)
def plugin(session: nox.Session, plugin: str) -> None:
    """One family installed alone with the core, running its own tests (conformance kit included)."""
    folder = ROOT / "plugins" / f"losskit-{plugin}"
    install(session, folder)
    pytest(session, folder / "tests")


@nox.session
def discovery(session: nox.Session) -> None:
    """Entry-point discovery against real installed fixture plugins (broken, clashing, blocked, misspelled)."""
    install(session, ROOT / "plugins" / "losskit-regression", *FIXTURES)
    pytest(session, "tests/discovery", strict=False)


@nox.session
def example(session: nox.Session) -> None:
    """The documented third-party example package, installed from its folder with the core."""
    install(session, EXAMPLE)
    pytest(session, EXAMPLE / "tests")


@nox.session(name="all")
def all_together(session: nox.Session) -> None:
    """Every plugin and the example together: the conformance kit over every installed loss."""
    install(session, *(ROOT / "plugins" / f"losskit-{p}" for p in PLUGINS), EXAMPLE)
    pytest(session, "tests")
    session.run("losskit", "check", env={"LOSSKIT_STRICT_PLUGINS": "1"})
