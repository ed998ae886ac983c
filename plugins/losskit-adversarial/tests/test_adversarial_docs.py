"""The ```python blocks of docs/adversarial.md run; a block naming a loss of a family not installed is skipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from losskit import UnknownLossError, get_spec

DOC = Path(__file__).resolve().parents[3] / "docs" / "adversarial.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
NAMES = re.compile(r"""get_loss\(\s*["']([\w:-]+)|["']name["']:\s*["']([\w:-]+)""")


def blocks():
    text = DOC.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield pytest.param(match.group(1), id=f"adversarial.md:{line}")


def test_the_page_has_a_recipe():
    assert len(list(blocks())) >= 1


@pytest.mark.parametrize("code", list(blocks()))
def test_doc_block_runs(code):
    for name in {n for pair in NAMES.findall(code) for n in pair if n}:
        try:
            get_spec(name)
        except UnknownLossError:
            pytest.skip(f"needs {name!r}, from a family that is not installed")
    torch.manual_seed(0)
    exec(compile(code, str(DOC), "exec"), {"__name__": "doc_block"})
