"""The plugin guide shows the example plugin's loss module as it is, so the form it teaches is the one that runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "plugin-guide.md").read_text()
TUKEY = (ROOT / "docs" / "examples" / "losskit-example" / "losskit_example" / "tukey.py").read_text()


def test_the_guide_shows_the_example_loss_module_verbatim():
    blocks = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.DOTALL)
    assert TUKEY in blocks, "docs/plugin-guide.md section 3 must show losskit_example/tukey.py unchanged"


def _code_without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body[0].value.value = ""
    return ast.unparse(tree)


def test_each_parameter_and_its_default_is_written_once():
    code = _code_without_docstrings(TUKEY)
    assert code.count("4.685") == 1  # the default, in its param(...)
    assert TUKEY.count('name="tukey_biweight"') == 1  # the registered name, in the class statement
    assert "loss_name" not in TUKEY and "LossSpec(" not in TUKEY
