"""What ``losskit show`` reads out of docstrings: the import path, the formula, the example."""

from __future__ import annotations

import re
import sys
import textwrap
from typing import Any


def import_path(obj: Any) -> str:
    """``package.Name`` from the shortest package of its module that exports the object, else ``module.QualName``."""
    module, name = obj.__module__, obj.__qualname__
    parts = module.split(".")
    for i in range(1, len(parts)):
        package = sys.modules.get(".".join(parts[:i]))
        if package is not None and getattr(package, name, None) is obj:
            return f"{package.__name__}.{name}"
    return f"{module}.{name}"


def formula(obj: Any) -> str | None:
    """The ``.. math::`` blocks of the class's docstring (else its module's); else the docstring's opening
    ````literal```` when the docstring starts with one."""
    module = sys.modules.get(obj.__module__)
    for doc in (obj.__doc__, getattr(module, "__doc__", None)):
        blocks = _blocks(doc, ".. math::")
        if blocks:
            return "\n".join(blocks)
    literal = re.match(r"``(.+?)``", (obj.__doc__ or "").strip())
    return literal.group(1) if literal else None


def docstring_example(*docs: str | None) -> str | None:
    """The first ``Examples:`` section or ``.. code-block:: python`` of the docstrings, without ``# doctest:``
    directives."""
    for doc in docs:
        for block in _blocks(doc, "Examples:", "Example:", ".. code-block:: python"):
            return re.sub(r"[ \t]*# doctest:.*$", "", block, flags=re.MULTILINE)
    return None


def _blocks(doc: str | None, *heads: str) -> list[str]:
    """The text indented under each line that starts with one of ``heads`` (and what follows the head on its line)."""
    lines, blocks = (doc or "").expandtabs().splitlines(), []
    for i, line in enumerate(lines):
        head = next((h for h in heads if line.strip().startswith(h)), None)
        if head is None:
            continue
        indent, body = len(line) - len(line.lstrip()), []
        for text in lines[i + 1:]:
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            body.append(text)
        block = "\n".join(filter(None, (line.strip()[len(head):].strip(), textwrap.dedent("\n".join(body)).strip())))
        if block:
            blocks.append(block)
    return blocks


def indent(text: str, width: int) -> str:
    return "\n".join(" " * width + line for line in text.splitlines())
