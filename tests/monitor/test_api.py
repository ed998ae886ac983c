"""The public surface of losskit.monitor: its names, what importing it pulls in, no host sync on CUDA."""

from __future__ import annotations

import ast
import inspect
import pkgutil
from pathlib import Path

import pytest
import torch

import losskit.monitor as monitor
from losskit import LossOutput

PUBLIC = [
    "DIAGNOSES", "SEVERITIES", "Action", "Balance", "Callback", "Detector", "Diagnosis", "Divergence", "Finding",
    "Log", "LogFormatError", "Monitor", "NonFinite", "Oscillation", "Overfitting", "Plateau", "Report", "SkipStep",
    "Spike", "Stop", "Underfitting", "analyze", "default_detectors", "read_findings", "read_log", "write_findings",
    "zero_skipped_grads",
]


def test_public_names_are_pinned():
    assert sorted(monitor.__all__) == sorted(PUBLIC)
    assert all(hasattr(monitor, name) for name in PUBLIC)


def test_only_the_lightning_module_imports_lightning_and_matplotlib_is_imported_when_plotting():
    """Module-level imports of every module (a static check: no interpreter to start)."""
    for path in Path(monitor.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {a.name.split(".")[0] for n in top if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in top if isinstance(n, ast.ImportFrom)}
        assert "matplotlib" not in names, path
        if path.name != "lightning.py":
            assert not names & {"lightning", "pytorch_lightning"}, path


def test_every_class_reads_in_one_screen_or_so():
    for info in pkgutil.walk_packages(monitor.__path__, "losskit.monitor."):
        if info.name == "losskit.monitor.lightning":
            continue  # imports Lightning; it is short as well
        module = __import__(info.name, fromlist=["_"])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                assert len(inspect.getsource(cls).splitlines()) < 200, cls


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA: a host sync is only observable there")
def test_update_does_not_synchronise_with_the_host_between_reads():
    m = monitor.Monitor(actions=[monitor.SkipStep()], read_every=64)
    total = torch.ones((), device="cuda")
    parts = {"a": torch.ones((), device="cuda"), "b": torch.ones((), device="cuda")}
    keep = m.update(LossOutput(total, parts))  # the first call allocates the buffers
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(62):
            keep = m.update(LossOutput(total * keep, parts))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert m.history.rows_seen == 0 and keep.device.type == "cuda"
