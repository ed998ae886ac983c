"""The log file the offline mode reads: per-step values of each term, as JSON lines or CSV.

One record (a JSON object, or a CSV row) per logged step::

    {"step": 120, "split": "train", "total": 0.82, "focal": 0.61, "dice": 0.42}
    {"step": 120, "split": "val", "total": 0.91}

* the step is ``step`` (or ``global_step``, ``iteration``, ``iter``, ``_step``); without one, the record's position;
* the split is ``split`` (or ``stage``, ``phase``, ``mode``), ``train`` by default, or a key prefix:
  ``train/dice``, ``val_loss``, ``validation/total`` (as Lightning's CSVLogger writes them);
* ``total`` (or ``loss``) is the total; without it, a single term is the total and several are summed;
* values are numbers (``NaN``, ``"nan"``, ``"inf"`` are non-finite values; ``null`` or an empty CSV cell is
  no value); a nested ``"parts": {...}`` is flattened; ``epoch``, learning rates, times and metrics (``*acc``, ``*f1``, ...) are ignored.

A term present in fewer than half of a split's records is left out; a record lacking a kept term is dropped.
A record ``{"weights": {"focal": 1.0, "dice": 0.5}}`` gives the composite's weights (for the balance detector).
:class:`ValuesLog` writes this format (``Monitor(record=...)``, weights first); :func:`read_log` reads it.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from ..distributed import is_distributed
from ..errors import LosskitError
from .records import TOTAL

__all__ = ["LogFormatError", "LoggedRun", "ValuesLog", "read_log"]

STEP_KEYS = ("step", "global_step", "iteration", "iter", "_step")
SPLIT_KEYS = ("split", "stage", "phase", "mode")
SPLITS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "eval": "val"}
IGNORED = re.compile(  # bookkeeping and metrics that are not loss values
    r"^(epoch|lr|learning_rate|lr[-_/].*|.*[-_/]lr|time|timestamp|wall_time|created_at|_runtime|.*grad_norm"
    r"|.*(acc|accuracy|auc|auroc|f1|precision|recall|iou|top\d+|samples_per_sec(ond)?|throughput))$",
    re.IGNORECASE,
)
PREFIX = re.compile(r"^(train|training|val|valid|validation|eval)[/_.-](.+)$")


class LogFormatError(LosskitError, ValueError):
    """A log file the offline monitor cannot read: no per-step loss values in it."""


class ValuesLog:
    """Appends rows of per-term values to a JSON lines file, on rank 0 only (the format above)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def write_weights(self, weights: Mapping[str, float]) -> None:
        """Record the composite's weights, so that an offline analysis weighs the parts alike."""
        if weights and not (is_distributed() and _rank() != 0):
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"weights": dict(weights)}) + "\n")

    def write(self, names: Sequence[str], steps: Sequence[int], rows: Tensor, *, split: str) -> None:
        if is_distributed() and _rank() != 0:
            return
        with open(self.path, "a", encoding="utf-8") as handle:
            for step, row in zip(steps, rows.tolist()):
                record: dict[str, Any] = {"step": int(step), "split": split}
                record.update((n, _number(v)) for n, v in zip(names, row))
                handle.write(json.dumps(record) + "\n")


def _rank() -> int:
    import torch.distributed as dist

    return dist.get_rank()


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))


@dataclass
class LoggedRun:
    """What :func:`read_log` found: train and validation curves, ``"total"`` first, and what it left out."""

    train_steps: list[int] = field(default_factory=list)
    train: dict[str, list[float]] = field(default_factory=dict)
    val_steps: list[int] = field(default_factory=list)
    val: dict[str, list[float]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_log(path: str | Path) -> LoggedRun:
    """Read a ``.jsonl``/``.json`` (JSON lines) or ``.csv`` log of per-term loss values."""
    path = Path(path)
    records = list(_records(path))
    run = LoggedRun()
    for record in records:
        if isinstance(record.get("weights"), Mapping) and not any(k in record for k in STEP_KEYS):
            run.weights.update({str(k): float(v) for k, v in record["weights"].items()})
    records = [r for r in records if not (isinstance(r.get("weights"), Mapping) and not any(k in r for k in STEP_KEYS))]
    by_split: dict[str, list[tuple[int, dict[str, float]]]] = {"train": [], "val": []}
    for position, record in enumerate(records):
        for split, step, values in _entries(record, position):
            by_split[split].append((step, values))
    run.train_steps, run.train = _table(by_split["train"], "train", run.notes)
    run.val_steps, run.val = _table(by_split["val"], "val", run.notes)
    if not run.train_steps and not run.val_steps:
        raise LogFormatError(
            f"{path}: no per-step loss values found in {len(records)} records. Expected JSON lines or CSV with a "
            "'step' and one number per term, e.g. {\"step\": 1, \"total\": 0.9, \"dice\": 0.4} (see losskit.monitor.logfile)."
        )
    return run


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LogFormatError(f"{path}:{number}: not a JSON object ({exc.msg}); expected JSON lines.") from None
            if isinstance(record, dict) and "detector" not in record:  # findings lines are not values
                yield record


def _entries(record: dict[str, Any], position: int) -> Iterator[tuple[str, int, dict[str, float]]]:
    record = dict(record)
    record.update(record.pop("parts", None) or {})
    step = next((int(float(record[k])) for k in STEP_KEYS if _present(record.get(k))), position)
    split_value = next((str(record[k]).lower() for k in SPLIT_KEYS if _present(record.get(k))), "train")
    default_split = SPLITS.get(split_value)
    found: dict[str, dict[str, float]] = {}
    for key, raw in record.items():
        if key in STEP_KEYS or key in SPLIT_KEYS or IGNORED.match(key) or not _present(raw):
            continue
        value = _float(raw)
        if value is None:
            continue
        prefixed = PREFIX.match(key)
        split, name = (SPLITS[prefixed.group(1)], prefixed.group(2)) if prefixed else (default_split, key)
        if split is None:  # a split we do not read, such as "test"
            continue
        found.setdefault(split, {})[TOTAL if name == "loss" else name] = value
    for split, values in found.items():
        yield split, step, values


def _present(raw: Any) -> bool:
    return raw is not None and raw != ""


def _float(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _table(entries: list[tuple[int, dict[str, float]]], split: str, notes: list[str]) -> tuple[list[int], dict]:
    if not entries:
        return [], {}
    counts: dict[str, int] = {}
    for _, values in entries:
        for name in values:
            counts[name] = counts.get(name, 0) + 1
    kept = [n for n, c in counts.items() if c * 2 >= len(entries)]
    left_out = sorted(set(counts) - set(kept))
    if left_out:
        notes.append(f"{split}: left out {left_out}, present in fewer than half of the records")
    rows = [(s, v) for s, v in entries if all(n in v for n in kept)]
    if len(rows) < len(entries):
        notes.append(f"{split}: dropped {len(entries) - len(rows)} records lacking one of {kept}")
    rows.sort(key=lambda r: r[0])
    table = {n: [v[n] for _, v in rows] for n in kept}
    if TOTAL not in table:
        if len(table) > 1:
            notes.append(f"{split}: no 'total' or 'loss' column; the total is the unweighted sum of {kept}")
        table = {TOTAL: [sum(v) for v in zip(*table.values())], **(table if len(table) > 1 else {})}
    table = {TOTAL: table.pop(TOTAL), **table}
    return [s for s, _ in rows], table
