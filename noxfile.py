"""Test sessions: each plugin installed alone with the core, then everything together.

``nox`` (no arguments) runs the sessions in ``nox.options.sessions``; this is what
README's test command and CI run. ``docs`` (the site, built strictly), ``browser``
(the site in headless Chromium) and ``build`` (wheels and sdists) run only when named:
``nox -s docs``. Plugin sessions are generated from ``plugins/*/pyproject.toml``, so a
new family gets its session by existing. Every install goes through
``constraints.txt`` (``PIP_CONSTRAINT``), which pins the local CPU torch wheel.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / "constraints.txt"
PLUGINS = sorted(p.parent.name.removeprefix("losskit-") for p in ROOT.glob("plugins/*/pyproject.toml"))
FIXTURES = sorted(str(p.parent) for p in ROOT.glob("tests/fixtures/*/pyproject.toml"))
EXAMPLE = ROOT / "docs" / "examples" / "losskit-example"
FAMILIES = [ROOT / "plugins" / f"losskit-{p}" for p in PLUGINS]
SITE = ROOT / "build" / "site"
DIST = ROOT / "dist"
# What the docs site is built with, beside what install() brings (everything still goes through the constraints).
DOCS_PACKAGES = (
    "mkdocs>=1.6",
    "mkdocs-material>=9.5",
    "mkdocstrings[python]>=0.26",
    "pymdown-extensions>=10",
    "django-static-mathjax>=3.2",  # MathJax 3's files, served by the site itself: formulas render offline
    "ruff>=0.6",  # mkdocstrings formats signatures with it
    "hydra-core>=1.3",  # the Hydra page's examples run
)

# Applies to every pip call nox makes, build environments included.
os.environ["PIP_CONSTRAINT"] = str(CONSTRAINTS)
os.environ["UV_CONSTRAINT"] = str(CONSTRAINTS)

nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "no"
# The default run (README's test command, CI). A new session is in it only when listed here.
nox.options.sessions = ["lint", "core", "plugin", "discovery", "example", "all"]


def install(session: nox.Session, *packages: str | Path) -> None:
    """One pip call, so a plugin's ``losskit`` requirement is met by the local core, not the index.

    ``--no-compile``: no .pyc for every installed file (torch's take most of a venv's install time);
    Python compiles what it imports, once.
    """
    session.install("--no-compile", "-c", str(CONSTRAINTS), "-r", "requirements-test.txt", ".", *map(str, packages))


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
    """The core alone: registry, composition, conformance kit, monitor (with its Lightning callback)."""
    install(session, "lightning>=2.0")
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
    """Every plugin and the example together: the repository's tests over every installed loss.

    The conformance kit over each loss runs in its plugin's session (its own tests); here every plugin must
    load beside the others, and the property tests and the config fuzzer see every loss.
    """
    install(session, *(ROOT / "plugins" / f"losskit-{p}" for p in PLUGINS), EXAMPLE)
    session.run("losskit", "list", "--plugins", env={"LOSSKIT_STRICT_PLUGINS": "1"})
    pytest(session, "tests")


def build_site(session: nox.Session) -> None:
    """``mkdocs build --strict`` into build/site: a warning (a broken link or anchor, a missing page) fails."""
    env = {"LOSSKIT_STRICT_PLUGINS": "1", "NO_MKDOCS_2_WARNING": "1"}
    session.run("mkdocs", "build", "--strict", "--site-dir", str(SITE), env=env)


@nox.session
def docs(session: nox.Session) -> None:
    """The docs site with every plugin installed: its pages' examples run, then it is built strictly.

    The catalogue (a page per family: formula, parameters, source and plot of each loss), the example
    package's page and the CLI help are generated at build time by docs/tooling/hooks.py.
    """
    install(session, *FAMILIES, EXAMPLE, *DOCS_PACKAGES)
    pytest(session, "docs/tooling/test_doc_pages.py")
    build_site(session)


@nox.session
def browser(session: nox.Session) -> None:
    """The built site as a reader sees it: served on localhost and loaded in headless Chromium.

    Installs Debian's chromium and chromium-driver when they are missing (docs/tooling/install-chromium.sh);
    screenshots are kept in build/browser/.
    """
    session.run("bash", str(ROOT / "docs" / "tooling" / "install-chromium.sh"), external=True)
    install(session, *FAMILIES, EXAMPLE, *DOCS_PACKAGES, "selenium>=4.20")
    build_site(session)
    pytest(session, "docs/tooling/test_site.py")


@nox.session
def build(session: nox.Session) -> None:
    """A wheel and an sdist of every distribution (the core, each plugin, the example) into dist/.

    Their metadata is checked with ``twine check``, and the wheels are installed together into this
    session's environment, where every plugin must load: ``pip install dist/*.whl`` works.
    """
    session.install("-c", str(CONSTRAINTS), "build>=1.2", "twine>=5")
    shutil.rmtree(DIST, ignore_errors=True)
    distributions = [ROOT, *FAMILIES, EXAMPLE]
    for folder in distributions:
        session.run("python", "-m", "build", "--outdir", str(DIST), str(folder))
    wheels, sdists = sorted(DIST.glob("*.whl")), sorted(DIST.glob("*.tar.gz"))
    if not len(wheels) == len(sdists) == len(distributions):
        session.error(f"expected {len(distributions)} wheels and sdists, got {len(wheels)} and {len(sdists)}")
    session.run("twine", "check", *map(str, wheels + sdists))
    session.install("-c", str(CONSTRAINTS), *map(str, wheels))
    session.run("losskit", "list", "--plugins", env={"LOSSKIT_STRICT_PLUGINS": "1"})


# The benchmark suite's peers, at the versions its value checks were matched against. --no-deps: their own
# requirements pull torchvision (no CPU wheel for the pinned torch), hub clients, image libraries; what their
# loss modules need to import is listed beside them (benchmarks/_peers.py enters smp and timm without the
# package __init__ that imports torchvision).
BENCH_PEERS = (
    "segmentation-models-pytorch==0.6.0",
    "monai==1.6.1",
    "kornia==0.9.0",
    "kornia_rs==0.2.0",
    "pytorch-metric-learning==2.9.0",
    "timm==1.0.31",
    "fairret==0.1.3",
)
BENCH_PEER_NEEDS = ("scipy", "tqdm")  # pytorch-metric-learning's imports


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite (benchmarks/): losskit against its peers and torch, values checked before anything is
    timed; ratios printed, results in build/bench/results.json. Not in the default run.

    ``nox -s bench -- --quick`` is a smoke run; ``-- --only dice jaccard`` picks rows; ``-- --help`` lists the options.
    """
    install(session, *FAMILIES, *BENCH_PEER_NEEDS)
    session.install("-c", str(CONSTRAINTS), "--no-deps", *BENCH_PEERS)
    session.run("python", "-m", "benchmarks", *session.posargs, env={"LOSSKIT_STRICT_PLUGINS": "1"})
