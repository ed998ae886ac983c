"""A PyTorch Lightning callback around a :class:`~losskit.monitor.Monitor`.

Importing this module imports Lightning (``lightning`` or else
``pytorch_lightning``); ``import losskit.monitor`` does not. Return the
breakdown from your steps and add the callback:

.. code-block:: python

    from losskit.monitor import Stop
    from losskit.monitor.lightning import LossMonitor

    class Model(L.LightningModule):
        def training_step(self, batch, batch_idx):
            out = self.loss.breakdown(self(batch[0]), batch[1])
            return {"loss": out.total, "parts": out.parts}

        def validation_step(self, batch, batch_idx):
            out = self.loss.breakdown(self(batch[0]), batch[1])
            return {"loss": out.total, "parts": out.parts}

    trainer = L.Trainer(callbacks=[LossMonitor(actions=[Stop()])])

The callback feeds every training batch to the monitor (unless the module
already called ``monitor.update`` during that batch, to use the skip
multiplier), averages the validation batches of an epoch into one validation
point, and sets ``trainer.should_stop`` when the monitor asks to stop.
Validation during the sanity check is ignored.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from .buffer import stack_values
from .monitor import Monitor


def _import_lightning() -> Any:
    try:
        import lightning.pytorch as pl
    except ImportError:
        try:
            import pytorch_lightning as pl
        except ImportError:
            raise ImportError(
                "losskit.monitor.lightning needs PyTorch Lightning: `pip install lightning` (or pytorch-lightning). "
                "Without it, call Monitor.update() in your own loop."
            ) from None
    return pl


pl = _import_lightning()

__all__ = ["LossMonitor"]


def _as_output(outputs: Any) -> Any:
    """What a step returned, as the monitor's input: ``{"loss", "parts"}``, a bare loss, or None."""
    if isinstance(outputs, Tensor):
        return outputs
    if isinstance(outputs, dict) and "loss" in outputs:
        return (outputs["loss"], dict(outputs.get("parts") or {}))
    return None


class LossMonitor(pl.Callback):
    """Runs a :class:`Monitor` over the training and validation losses that the module's steps return.

    Args:
        monitor: the monitor to feed; by default one built from ``monitor_kwargs``
            (``actions``, ``detectors``, ``read_every``, ...).
    """

    def __init__(self, monitor: Monitor | None = None, **monitor_kwargs: Any) -> None:
        super().__init__()
        if monitor is not None and monitor_kwargs:
            raise TypeError("LossMonitor: give a monitor or its arguments, not both.")
        self.monitor = monitor if monitor is not None else Monitor(**monitor_kwargs)
        self._steps_before = 0
        self._val_names: tuple[str, ...] | None = None
        self._val_sum: Tensor | None = None
        self._val_batches = 0

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self._steps_before = self.monitor.next_step

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        out = _as_output(outputs)
        if out is not None and self.monitor.next_step == self._steps_before:  # the module did not feed it
            self.monitor.update(out)
        if self.monitor.should_stop:
            trainer.should_stop = True

    def on_validation_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int,
                                dataloader_idx: int = 0) -> None:
        out = _as_output(outputs)
        if trainer.sanity_checking or out is None:
            return
        names, row = stack_values(out)
        if self._val_sum is None:
            self._val_names, self._val_sum = names, row.clone()
        else:
            self._val_sum += row
        self._val_batches += 1

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self._val_sum is not None and not trainer.sanity_checking:
            mean = self._val_sum / self._val_batches
            self.monitor.validate(dict(zip(self._val_names, mean.unbind())))
            if self.monitor.should_stop:
                trainer.should_stop = True
        self._val_names, self._val_sum, self._val_batches = None, None, 0

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.monitor.close()
