"""The migration guide (docs/migration.md): every torch.nn loss has a row, and each row's torch call and
losskit call give the same value on the tensors of the page's first code block."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from losskit import default_registry
from losskit.errors import UnknownLossError

PAGE = Path(__file__).resolve().parents[2] / "docs" / "migration.md"
TEXT = PAGE.read_text()
SETUP = re.search(r"^```python\n(.*?)^```", TEXT, re.MULTILINE | re.DOTALL).group(1)
TABLE = TEXT.split("## Every torch.nn loss", 1)[1]
ROW = re.compile(r"^\| `(\w+)` \| `(\w+)`[^|]* \| `([^`]+)` \| `([^`]+)` \|", re.MULTILINE)
ROWS = {m.group(1): m.groups()[1:] for m in ROW.finditer(TABLE)}


def torch_losses() -> set[str]:
    """Every loss class torch.nn exports (the subclasses of its loss base class)."""
    return {
        name for name in dir(nn)
        if isinstance(getattr(nn, name), type) and issubclass(getattr(nn, name), nn.modules.loss._Loss)
    }


def test_every_torch_loss_has_a_row():
    assert len(ROWS) == TABLE.count("\n| `"), "a row of the table does not parse"
    assert set(ROWS) == torch_losses(), "torch.nn gained (or lost) a loss: add (or remove) its row"


def require(loss: str) -> None:
    """Skip where the row's loss is not installed (the core's session has no plugins)."""
    try:
        default_registry().get_spec(loss)
    except UnknownLossError:
        pytest.skip(f"no installed plugin provides {loss!r}")


@pytest.mark.parametrize("torch_name", sorted(ROWS))
def test_the_torch_name_resolves_to_the_row(torch_name):
    require(ROWS[torch_name][0])
    assert default_registry().get_spec(torch_name).name == ROWS[torch_name][0]


@pytest.mark.parametrize("torch_name", sorted(ROWS))
def test_the_row_matches_torch(torch_name):
    loss, torch_call, losskit_call = ROWS[torch_name]
    require(loss)
    namespace: dict = {}
    exec(compile(SETUP, str(PAGE), "exec"), namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # NLLLoss2d is deprecated in torch
        warnings.simplefilter("ignore", UserWarning)
        expected = eval(torch_call, namespace)  # noqa: S307 - the page's own example
    got = eval(losskit_call, namespace)  # noqa: S307
    torch.testing.assert_close(got, expected.to(got.dtype))
