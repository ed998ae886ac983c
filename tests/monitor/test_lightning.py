"""The Lightning callback: fed by the steps' returned breakdowns, validation averaged per epoch, Stop honoured.

Skipped unless ``lightning`` (or ``pytorch_lightning``) is installed.
"""

from __future__ import annotations

import importlib.util
import math
import warnings

import pytest
import torch

if importlib.util.find_spec("lightning") is None and importlib.util.find_spec("pytorch_lightning") is None:
    pytest.skip("needs lightning or pytorch_lightning", allow_module_level=True)

from losskit.monitor import Monitor, Stop  # noqa: E402
from losskit.monitor.lightning import LossMonitor, pl  # noqa: E402
from losskit.terms.penalties import L2Penalty  # noqa: E402

from .test_training import SquaredError  # noqa: E402


class Regression(pl.LightningModule):
    def __init__(self, nan_at: int | None = None):
        super().__init__()
        self.net = torch.nn.Linear(4, 1)
        self.loss = SquaredError() + 1e-3 * L2Penalty()
        self.nan_at = nan_at

    def _breakdown(self, batch):
        x, y = batch
        return self.loss.breakdown(self.net(x), y, model=self.net)

    def training_step(self, batch, batch_idx):
        out = self._breakdown(batch)
        total = out.total * (math.nan if self.global_step == self.nan_at else 1.0)
        return {"loss": total, "parts": out.parts}

    def validation_step(self, batch, batch_idx):
        out = self._breakdown(batch)
        return {"loss": out.total, "parts": out.parts}

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.05)


def loader(seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]]) + 0.1 * torch.randn(256, 1, generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def fit(module, callback, max_steps=120):
    trainer = pl.Trainer(
        callbacks=[callback], max_steps=max_steps, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, val_check_interval=40, limit_val_batches=4,
        num_sanity_val_steps=1, check_val_every_n_epoch=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice on workers and logging is not under test
        trainer.fit(module, loader(0), loader(1))
    return trainer


def test_the_callback_feeds_train_and_validation_values():
    callback = LossMonitor(read_every=20)
    fit(Regression(), callback)
    monitor = callback.monitor
    assert monitor.history.names == ("total", "monitor_test_squared_error", "l2_penalty")
    assert monitor.history.rows_seen == 120  # every batch, read in batches of 20; close() read the rest
    assert monitor.history.val_steps.numel() == 3  # one point per validation run; the sanity check ignored
    assert monitor.history.column("total")[-20:].median() < monitor.history.column("total")[:10].median()
    assert monitor.alarms == []


def test_stop_on_a_nan_stops_the_trainer():
    callback = LossMonitor(Monitor(actions=[Stop()], read_every=10))
    trainer = fit(Regression(nan_at=55), callback, max_steps=400)
    monitor = callback.monitor
    assert monitor.should_stop and monitor.stop_reason.detector == "nonfinite"
    assert monitor.stop_reason.step == 55
    assert trainer.global_step <= 60  # stopped at the read after the NaN, not at max_steps
