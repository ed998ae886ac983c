"""docs/monitoring.md: its plot exists and is small, its table gives the code's defaults, its loop runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from losskit import UnknownLossError, get_spec
from losskit.monitor import (
    Balance,
    Divergence,
    NonFinite,
    Oscillation,
    Overfitting,
    Plateau,
    Spike,
    Underfitting,
    default_detectors,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "monitoring.md").read_text()


def test_the_plot_is_a_commit_sized_png_made_by_the_script():
    image = DOCS / "images" / "monitoring.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.stat().st_size < 200_000
    assert "images/monitoring.png" in PAGE and (DOCS / "monitoring_figures.py").exists()


def table_row(name: str) -> str:
    (row,) = [line for line in PAGE.splitlines() if line.startswith(f"| `{name}` |")]
    return row


# What each detector's row must say, from the code's defaults: the facts are written once, in the code.
EXPECTED = {
    NonFinite: lambda d: ["NaN or inf", "critical"],
    Spike: lambda d: [f"previous {d.window} values", f"z > {d.threshold:g}", f"{d.warmup} values"],
    Divergence: lambda d: [f"last {d.window} values", f"ratio >= {d.ratio:g}", "`cap`"],
    Plateau: lambda d: [f"median of {d.window} values", f"< {d.min_delta:.0%} for {d.patience} steps",
                        f"above {d.high:.0%} of the start"],
    Oscillation: lambda d: [f"over {d.window} steps", f"< {d.threshold:g}", f"swings >= {d.min_amplitude:.0%}"],
    Overfitting: lambda d: [f"> {d.tolerance:.0%} at {d.patience} validations"],
    Underfitting: lambda d: [f"last {d.patience} validations", f"< {d.min_delta:.0%}", f"above {d.high:.0%}"],
    Balance: lambda d: [f"medians of {d.window} values", f">= {d.dominate:.0%} dominating", f"<= {d.vanish:.0%}"],
}


@pytest.mark.parametrize("detector", default_detectors(), ids=lambda d: d.name)
def test_the_table_states_each_detectors_defaults(detector):
    row = table_row(detector.name)
    for fact in EXPECTED[type(detector)](detector):
        assert fact in row, f"docs/monitoring.md: the {detector.name} row should say {fact!r}: {row}"


def test_the_plain_loop_example_runs(tmp_path, monkeypatch):
    try:
        get_spec("mse")
    except UnknownLossError:
        pytest.skip("the example uses mse, from losskit-regression, which is not installed")
    code = re.search(r"```python\n(.*?)```", PAGE, re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/monitoring.md", "exec"), {})
    assert (tmp_path / "run.jsonl").stat().st_size > 0
