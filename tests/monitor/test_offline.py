"""Offline mode: a log file of per-term values (JSON lines or CSV) in, findings and a PNG out; the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from losskit import LossOutput
from losskit.cli import main
from losskit.monitor import LogFormatError, Monitor, analyze, read_log
from losskit.monitor.synthetic import clean_curve, overfitting_run


def online_run(path):
    """A monitored loop with a spike in 'dice' at step 300 and a NaN in it at 700, recorded to ``path``."""
    g = torch.Generator().manual_seed(11)
    focal, dice = clean_curve(800, g, noise=0.05), clean_curve(800, g, noise=0.05)
    dice[300] *= 5
    dice[700:] = math.nan
    monitor = Monitor(actions=[], read_every=64, record=path)
    for step in range(800):
        parts = {"focal": torch.tensor(float(focal[step])), "dice": torch.tensor(float(dice[step]))}
        monitor.update(LossOutput(parts["focal"] + parts["dice"], parts))
        if step % 200 == 199:
            monitor.validate({"total": float(focal[step] + 1.1 * dice[step])})
    monitor.close()
    return monitor


def key(findings):
    return [(f.detector, f.term, f.step, f.split) for f in findings]


def test_a_recorded_run_read_back_gives_the_same_findings(tmp_path):
    path = tmp_path / "run.jsonl"
    online = online_run(path)
    first = json.loads(path.read_text().splitlines()[0])
    assert first["step"] == 0 and first["split"] == "train" and set(first) == {"step", "split", "total", "focal", "dice"}
    report = analyze(path)
    assert key(report.findings) == key(online.findings)
    assert ("spike", "dice", 300, "train") in key(report.findings)
    assert ("nonfinite", "dice", 700, "train") in key(report.findings)
    assert report.history.val_steps.tolist() == [199, 399, 599, 799]
    text = report.text()
    assert "step 700: critical [nonfinite] dice" in text and "try: lower the learning rate" in text


def lightning_style_csv(path):
    """What Lightning's CSVLogger writes: train rows and validation rows, blank cells for the other split."""
    train, val_steps, val = overfitting_run(2000, 100, torch.Generator().manual_seed(7), turn=800)
    val_at = dict(zip(val_steps.tolist(), val.tolist()))
    lines = ["epoch,step,train_loss,train/dice,lr-SGD,val_loss,val_acc"]
    for step, value in enumerate(train.tolist()):
        lines.append(f"{step // 100},{step},{value},{0.5 * value},0.1,,")
        if step in val_at:
            lines.append(f"{step // 100},{step},,,,{val_at[step]},0.8")
    path.write_text("\n".join(lines) + "\n")


def test_a_lightning_csv_log_is_read_by_its_prefixes(tmp_path):
    path = tmp_path / "metrics.csv"
    lightning_style_csv(path)
    run = read_log(path)
    assert list(run.train) == ["total", "dice"] and list(run.val) == ["total"]  # lr and accuracy are no losses
    assert len(run.train_steps) == 2000 and len(run.val_steps) == 20
    findings = analyze(path).findings
    assert [(f.detector, f.split) for f in findings if f.detector == "overfitting"] == [("overfitting", "val")]


def test_cli_prints_findings_writes_a_png_and_exits_1_on_alarms(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    log, png = tmp_path / "run.jsonl", tmp_path / "curves.png"
    online_run(log)
    assert main(["monitor", str(log), "--out", str(png)]) == 1
    out = capsys.readouterr().out
    assert "[spike] dice" in out and f"plot: {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert main(["monitor", str(log), "--json"]) == 1  # default plot: run.png beside the log
    lines = capsys.readouterr().out.splitlines()
    assert {json.loads(line)["detector"] for line in lines} >= {"spike", "nonfinite"}
    assert (tmp_path / "run.png").exists()


def test_cli_on_a_healthy_run_exits_0(tmp_path, capsys):
    log = tmp_path / "clean.jsonl"
    curve = clean_curve(600, torch.Generator().manual_seed(5), noise=0.05)
    log.write_text("".join(json.dumps({"step": s, "loss": v}) + "\n" for s, v in enumerate(curve.tolist())))
    assert main(["monitor", str(log), "--no-plot"]) == 0
    assert "no findings" in capsys.readouterr().out


def test_cli_errors_exit_2_and_say_why(tmp_path, capsys):
    assert main(["monitor", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"step": 1, "note": "no numbers here"}\n')
    with pytest.raises(LogFormatError, match="no per-step loss values"):
        read_log(bad)
    assert main(["monitor", str(bad)]) == 2
    assert "LogFormatError" in capsys.readouterr().err
