"""mkdocs hooks (``hooks:`` in mkdocs.yml): what the docs site generates at build time.

- ``on_config``: the navigation, from the pages that exist (optional guides such as
  ``monitoring.md`` appear once they are written) and the installed loss families;
- ``on_files``: the catalogue (``losses/``: one page per family, an index, a plot per
  loss), the example package's page and MathJax, copied from the installed
  ``django-static-mathjax`` package so that formulas render offline;
- ``on_page_markdown``: the CLI help in ``cli.md``, and links to folders that have a
  generated page made to point at it.

Nothing generated is committed: it comes from the installed registry on every build.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

sys.path.insert(0, str(Path(__file__).parent))
import catalogue  # noqa: E402  (a sibling module; hooks are loaded by path)

from losskit import Registry  # noqa: E402

log = logging.getLogger("mkdocs.hooks.losskit")

DOCS = Path(__file__).resolve().parents[1]
EXAMPLE = DOCS / "examples" / "losskit-example"
EXAMPLE_URI = "examples/losskit-example/index.md"
CLI_MARKER = "<!-- losskit-cli-help -->"
CHECKS_MARKER = "<!-- losskit-checks -->"
CLI_COMMANDS = ("list", "show", "describe", "check", "plot", "validate", "schema", "demo")

# (title, page) or (title, [children]); a page that does not exist is left out, unless it is generated.
NAV: list[tuple[str, Any]] = [
    ("Home", "index.md"),
    ("Why losskit", "why.md"),
    ("Getting started", [("Install", "install.md"), ("Quickstart", "quickstart.md"), ("Coming from torch.nn", "migration.md")]),
    (
        "Guides",
        [
            ("Composing losses", "composing.md"),
            ("Cookbook", "cookbook.md"),
            ("Config format", "config.md"),
            ("Hydra", "hydra.md"),
            ("Fairness penalties", "fairness.md"),
            ("Distributed training", "distributed.md"),
            ("Monitoring", "monitoring.md"),
            ("Adversarial training", "adversarial.md"),
            ("Reinforcement learning", "rl.md"),
        ],
    ),
    ("Losses", "@losses"),
    (
        "Extending",
        [
            ("Writing a plugin", "plugin-guide.md"),
            ("Example package", EXAMPLE_URI),
            ("Conformance suite", "conformance.md"),
        ],
    ),
    (
        "Reference",
        [("CLI", "cli.md"), ("Guarantees", "guarantees.md"), ("Benchmarks", "benchmarks.md"), ("API", "api.md")],
    ),
]


class _State:
    registry: Registry
    entries: list[catalogue.Entry]
    generated: set[str]


state = _State()


def on_config(config: Any) -> Any:
    state.registry = Registry()
    state.entries = catalogue.entries(state.registry)
    families = sorted({e.spec.family for e in state.entries})
    state.generated = {"losses/index.md", EXAMPLE_URI, *(catalogue.family_uri(f) for f in families)}
    losses = [{"Overview": "losses/index.md"}, *({f: catalogue.family_uri(f)} for f in families)]
    losses.append({"Catalogue table": "catalogue.md"})
    nav, listed = [], set()
    for title, item in NAV:
        if item == "@losses":
            nav.append({title: losses})
            listed |= {uri for d in losses for uri in d.values()}
        elif isinstance(item, str):
            if _exists(item):
                nav.append({title: item})
                listed.add(item)
        else:
            children = [{t: p} for t, p in item if _exists(p)]
            listed |= {p for t, p in item if _exists(p)}
            if children:
                nav.append({title: children})
    others = sorted(
        str(p.relative_to(DOCS))
        for p in DOCS.rglob("*.md")
        if p.parts[len(DOCS.parts)] not in ("tooling", "examples") and str(p.relative_to(DOCS)) not in listed
    )
    if others:
        nav.append({"More": [{Path(o).stem.replace("-", " ").capitalize(): o} for o in others]})
    config["nav"] = nav
    return config


def _exists(uri: str) -> bool:
    return uri in state.generated or (DOCS / uri).is_file()


def on_files(files: Files, config: Any) -> Files:
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="losskit-docs-"))
    plots = {e.name: catalogue.make_plot(e, folder / "plots", state.registry) for e in state.entries}
    for plot in plots.values():
        if plot.path is not None:
            files.append(File.generated(config, f"losses/plots/{plot.path.name}", abs_src_path=str(plot.path)))
    index = catalogue.index_page(state.entries, plots, state.registry.fingerprint())
    files.append(File.generated(config, "losses/index.md", content=index))
    for family in sorted({e.spec.family for e in state.entries}):
        own = [e for e in state.entries if e.spec.family == family]
        files.append(File.generated(config, catalogue.family_uri(family), content=catalogue.family_page(family, own, plots)))
    # the folder holds the package's sources (excluded from the site); its page is generated
    files.append(File.generated(config, EXAMPLE_URI, content=example_page(), inclusion=InclusionLevel.INCLUDED))
    files.append(File.generated(config, "assets/mathjax/tex-svg.js", abs_src_path=str(mathjax())))
    drawn = sum(p.path is not None for p in plots.values())
    log.info(f"losskit: catalogue of {len(state.entries)} losses, {drawn} plots, in {time.perf_counter() - started:.1f} s")
    return files


def mathjax() -> Path:
    """MathJax 3's self-contained SVG build, from the ``mathjax`` package that django-static-mathjax installs."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the docs need MathJax: pip install django-static-mathjax (nox -s docs installs it)")
    path = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5" / "tex-svg.js"
    if not path.is_file():
        raise SystemExit(f"MathJax's tex-svg.js is not where django-static-mathjax puts it: {path}")
    return path


def example_page() -> str:
    """The example plugin package, file by file, as the plugin guide refers to it."""
    lines = [
        "# The example plugin package",
        "",
        "`docs/examples/losskit-example/` in the repository: a complete third-party plugin, Tukey's biweight "
        "loss, that the [plugin guide](../../plugin-guide.md) walks through. Install it from a checkout with "
        "`pip install ./docs/examples/losskit-example`; `nox -s example` runs its tests.",
        "",
    ]
    language = {".py": "python", ".toml": "toml", ".md": "markdown"}
    for path in sorted(EXAMPLE.rglob("*")):
        relative = path.relative_to(EXAMPLE)
        if not path.is_file() or path.suffix not in language:
            continue
        if any(part in ("build", "__pycache__") or part.endswith(".egg-info") for part in relative.parts):
            continue
        lines += [f"## `{relative}`", "", f"```{language[path.suffix]}", path.read_text().rstrip(), "```", ""]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    # links to a folder whose page is generated: examples/losskit-example/ -> examples/losskit-example/index.md
    markdown = re.sub(r"\]\((examples/losskit-example)/\)", r"](\1/index.md)", markdown)
    if page.file.src_uri == "cli.md" and CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_help())
    if page.file.src_uri == "conformance.md" and CHECKS_MARKER in markdown:
        markdown = markdown.replace(CHECKS_MARKER, checks_table())
    return markdown


def checks_table() -> str:
    """One row per check of the installed suite: its name and the first paragraph of its docstring."""
    from losskit.testing import CHECKS

    rows = ["| check | what it verifies |", "|---|---|"]
    for check in CHECKS:
        doc = " ".join((check.__doc__ or "").strip().split("\n\n")[0].split())
        rows.append(f"| `{check.__name__}` | {catalogue.cell(doc)} |")
    return "\n".join(rows)


def cli_help() -> str:
    """``losskit --help`` and each command's ``--help``, as the installed CLI prints them."""
    exe = Path(sys.executable).parent / "losskit"
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
    blocks = []
    for args in (["--help"], *([c, "--help"] for c in CLI_COMMANDS)):
        try:
            run = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning(f"losskit: `losskit {' '.join(args)}` did not run: {exc}")
            continue
        if run.returncode != 0:
            continue  # a command this version of the CLI does not have
        title = "losskit" if args == ["--help"] else f"losskit {args[0]}"
        blocks += [f"### `{title}`", "", "```text", run.stdout.rstrip(), "```", ""]
    if not blocks:
        log.warning("losskit: no CLI help could be captured")
    return "\n".join(blocks)
