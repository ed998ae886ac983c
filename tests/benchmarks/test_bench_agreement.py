"""The benchmark suite's value checks, in its --quick sizes: every peer importable here computes losskit's value.

The default test environments have no peer libraries: their columns are skipped, but the rows against
torch itself (torch.nn modules, handwritten sums, F.triplet_margin_loss, F.linear_cross_entropy, the
inline torchvision focal formula) run wherever their losskit plugin is installed. Nothing here times anything.
"""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks import _measure, suite
from benchmarks._row import Context, LossMissing

QUICK = Context(torch.device("cpu"), torch.float32, quick=True)
TORCH_ONLY = {"mse_module", "bce_forward", "composite2_call", "composite2_breakdown", "composite3_call",
              "composite3_breakdown", "linear_cross_entropy", "sigmoid_focal", "triplet"}


@pytest.mark.parametrize("key", sorted(suite.ROWS))
def test_peers_compute_losskit_value(key: str) -> None:
    try:
        row = suite.build(key, QUICK)
    except LossMissing as error:
        pytest.skip(f"losskit loss not installed: {error}")
    if key in TORCH_ONLY or key.startswith("nn."):
        assert row.peers, f"{key}: its torch peer must always be there ({row.missing})"
    if not row.peers:
        pytest.skip(f"no peer importable: {row.missing}")
    checks = suite.agreement(row, QUICK)
    assert [c["peer"] for c in checks if not c["ok"]] == [], checks


def test_saved_bytes_counts_what_autograd_keeps_beyond_the_inputs() -> None:
    x = torch.randn(1000, 1000, requires_grad=True)
    # exp saves its result (4 MB); the multiplication by a Python number saves nothing; x itself is excluded.
    assert _measure.saved_bytes(lambda: (x * 2).exp().sum(), [x]) == 4_000_000
    # sigmoid saves its result too, x * x saves x twice (excluded): still the one 4 MB result
    assert _measure.saved_bytes(lambda: (x * x).sigmoid().sum(), [x]) == 4_000_000


def test_suite_writes_its_json(tmp_path) -> None:
    out = tmp_path / "results.json"
    # --agreement-only: the measurements' first use imports torch._dynamo (a TorchDispatchMode), ~10 s here.
    status = suite.main(["--quick", "--agreement-only", "--only", "composite2_call", "mse_module", "--out", str(out)])
    report = json.loads(out.read_text())
    rows = [row for row in report["rows"] if "skipped" not in row]
    if not rows:
        pytest.skip(report["rows"][0]["skipped"])
    assert status == 0
    assert [(row["key"], [c["ok"] for c in row["agreement"]]) for row in rows] == [
        ("composite2_call", [True]), ("mse_module", [True])
    ]
    assert report["quick"] and report["machine"]["versions"]["torch"] == torch.__version__
