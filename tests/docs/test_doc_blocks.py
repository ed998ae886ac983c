"""Every fenced block of the quickstart, the cookbook, the composing and the config docs runs: Python is executed,
configs are built.

A block that names a loss no installed plugin provides is skipped with the
name, so that the docs can be written ahead of the families they use.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import torch

from losskit import UnknownLossError, build_loss, default_registry

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(python|yaml|json|toml)\n(.*?)^```", re.MULTILINE | re.DOTALL)
NAMES = re.compile(
    r"""get_loss\(\s*["']([\w:-]+)|\bname:\s*([\w:-]+)|"name":\s*"([\w:-]+)"|\bname\s*=\s*"([\w:-]+)\""""
)
IMPORTS = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)
REGISTERED = re.compile(r"""register_loss\(\s*["']([\w-]+)""")  # names a block registers itself


def blocks():
    for doc in ("quickstart.md", "cookbook.md", "composing.md", "config.md"):
        text = (DOCS / doc).read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield pytest.param(match.group(1), match.group(2), id=f"{doc}:{line}:{match.group(1)}")


def skip_unless_available(code: str) -> None:
    for module in set(IMPORTS.findall(code)):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs the optional module {module!r}")
    names = {n for groups in NAMES.findall(code) for n in groups if n} - {"sum", "multitask", *REGISTERED.findall(code)}
    missing = []
    for name in sorted(names):
        try:
            default_registry().get_spec(name)
        except UnknownLossError:
            missing.append(name)
    if missing:
        pytest.skip(f"no installed plugin provides {', '.join(missing)} yet")


@pytest.mark.parametrize(("language", "code"), list(blocks()))
def test_doc_block_runs(language, code):
    skip_unless_available(code)
    torch.manual_seed(0)
    if language == "python":
        exec(compile(code, "<doc block>", "exec"), {"__name__": "doc_block"})
        return
    loss = build_loss(code, format=language)
    config = loss.to_config()
    assert json.loads(json.dumps(config)) == config
    assert build_loss(config).to_config() == config


def test_the_docs_have_blocks_of_every_kind():
    kinds = {p.values[0] for p in blocks()}
    assert kinds == {"python", "yaml", "json", "toml"}
