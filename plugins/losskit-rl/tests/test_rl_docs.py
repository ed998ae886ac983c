"""The ```python blocks of docs/rl.md run, and its YAML block builds the objective ppo_config() writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from losskit import build_loss
from losskit_rl import ppo_objective

DOC = Path(__file__).resolve().parents[3] / "docs" / "rl.md"
FENCE = re.compile(r"^```(python|yaml)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language):
    text = DOC.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        if match.group(1) == language:
            line = text.count("\n", 0, match.start()) + 1
            yield pytest.param(match.group(2), id=f"rl.md:{line}")


def test_the_page_has_a_recipe():
    assert len(list(blocks("python"))) >= 1


@pytest.mark.parametrize("code", list(blocks("python")))
def test_python_block_runs(code):
    torch.manual_seed(0)
    exec(compile(code, str(DOC), "exec"), {"__name__": "doc_block"})


@pytest.mark.parametrize("code", list(blocks("yaml")))
def test_yaml_block_builds_the_ppo_objective(code):
    pytest.importorskip("yaml")
    loss = build_loss(code, format="yaml")
    expected = ppo_objective(policy={"clip_epsilon": 0.2}, value={"clip_epsilon": 0.2}).to_config()
    assert loss.to_config() == expected
