"""Every Python block of the site's own pages runs (``nox -s docs``); the older pages are checked by
``tests/docs/test_doc_blocks.py``. A block that imports a module that is not installed is skipped; a
script (``if __name__ == "__main__":``, e.g. one that spawns processes) runs as ``python script.py``."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

DOCS = Path(__file__).resolve().parents[1]
PAGES = ("why.md", "install.md", "composing.md", "hydra.md", "fairness.md", "distributed.md", "conformance.md",
         "cli.md", "guarantees.md")
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
IMPORTS = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)


def blocks():
    for page in PAGES:
        text = (DOCS / page).read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield pytest.param(page, match.group(1), id=f"{page}:{line}")


@pytest.mark.parametrize(("page", "code"), list(blocks()))
def test_python_block_runs(page, code, tmp_path, monkeypatch):
    for module in set(IMPORTS.findall(code)):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"needs the optional module {module!r}")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "doc_block.py"
    path.write_text(code)
    if 'if __name__ == "__main__":' in code:
        subprocess.run([sys.executable, str(path)], check=True, cwd=tmp_path, timeout=600)
        return
    torch.manual_seed(0)
    exec(compile(code, str(path), "exec"), {"__name__": "doc_block"})
