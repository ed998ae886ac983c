"""``losskit demo``: the two runs, the table, the files it leaves, ``--config`` and ``--json``; what the default
composite is there to show; examples/demo.py as a pointer to it."""

from __future__ import annotations

import importlib.util
import json
import runpy
import sys
from pathlib import Path

import pytest

from losskit import ConfigError, Registry
from losskit.contract import EMBEDDINGS_AND_LABELS
from losskit.demo import DEFAULT_CONFIG, run_demo
from losskit.demo.training import BINARY, TWO_CLASSES, head_for
from losskit.monitor import read_log
from tests.core.registry_helpers import plugin_module, spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def classification():
    pytest.importorskip("losskit_classification")


def test_the_demo_prints_the_table_and_leaves_its_files(classification, cli, tmp_path):
    ran = cli("demo", "--steps", "3", "--out", str(tmp_path))
    assert ran.status == 0, ran.err
    lines = ran.out.splitlines()
    assert "  composite: sum" in lines and "    - 0.5 * demographic_parity(" in ran.out
    (header,) = [line for line in lines if line.split() == ["cross-entropy", "composite"]]
    rows = {line[: header.index("cross-entropy")].strip(): line.split()[-2:] for line in lines
            if line.startswith(("accuracy", "balanced", "demographic-parity gap"))}
    assert set(rows) == {"accuracy", "balanced accuracy", "demographic-parity gap"}
    assert all(0 <= float(v) <= 1 for cells in rows.values() for v in cells)
    for term in ("bce_with_logits", "sigmoid_focal", "l2_penalty", "demographic_parity"):
        assert any(line.strip().startswith(term) for line in lines), term
    metrics = json.loads((tmp_path / "metrics.json").read_text())["runs"]
    assert [r["run"] for r in metrics] == ["cross-entropy", "composite"]
    assert metrics[1]["loss"]["terms"][0]["name"] == "sigmoid_focal"
    run = read_log(tmp_path / "composite.jsonl")  # the format losskit monitor reads
    assert list(run.train) == ["total", "sigmoid_focal", "l2_penalty", "demographic_parity"]
    assert run.train_steps == [0, 1, 2]
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "loss_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"wrote {tmp_path / 'loss_curves.png'}" in lines


def test_json(classification, cli, tmp_path):
    data = cli("demo", "--steps", "2", "--out", str(tmp_path), "--json").json()
    ce, composite = data["runs"]
    assert set(ce) >= {"accuracy", "balanced_accuracy", "demographic_parity_gap", "final_loss"}
    assert set(composite["final_loss"]) == {"total", "sigmoid_focal", "l2_penalty", "demographic_parity"}
    assert str(tmp_path / "metrics.json") in data["files"]


def test_another_composite_with_class_indices_trains_two_logits(classification, cli, tmp_path):
    config = tmp_path / "two_class.yaml"
    config.write_text("name: sum\nterms:\n  - {name: cross_entropy, label_smoothing: 0.1}\n"
                      "  - {name: focal, weight: 0.5}\n  - {name: l2_penalty, weight: 1.0e-4}\n")
    ran = cli("demo", "--config", str(config), "--steps", "2", "--out", str(tmp_path / "out"))
    assert ran.status == 0, ran.err
    runs = json.loads((tmp_path / "out" / "metrics.json").read_text())["runs"]
    assert [r["run"] for r in runs] == ["cross-entropy", "two_class"]
    assert runs[0]["loss"]["name"] == "cross_entropy" and (tmp_path / "out" / "two_class.jsonl").exists()


def test_a_composite_the_classifier_cannot_feed_is_refused_with_its_path(classification, cli, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("name: sum\nterms:\n  - {name: sigmoid_focal}\n  - {name: ctc}\n")
    ran = cli("demo", "--config", str(config), "--out", str(tmp_path / "out"))
    assert ran.status == 2 and ran.err.startswith("losskit: ConfigError: terms[1]: ctc takes log_probabilities input")
    ran = cli("demo", "--config", str(tmp_path / "missing.yaml"))
    assert ran.status == 2 and "no such config file" in ran.err


def test_the_output_form_follows_the_terms():
    registry = Registry(discover=False, strict=False)  # the core's own terms: penalties and fairness
    registry.register_plugin(plugin_module(spec(), spec("embedded", contract=EMBEDDINGS_AND_LABELS)), "fix")
    fair = registry.get_loss("demographic_parity") + 1e-4 * registry.get_loss("l2_penalty")
    assert head_for(fair, registry) is BINARY
    assert head_for(registry.get_loss("l2_penalty"), registry) is BINARY  # one logit wherever both would do
    with pytest.raises(ConfigError, match=r"^terms\[1\]: embedded takes embeddings input and labels targets"):
        head_for(registry.get_loss("scaled_abs") + registry.get_loss("embedded"), registry)
    with pytest.raises(ConfigError, match="needs the context keyword 'weight'; the demo gives only model, groups"):
        head_for(_needs_weight(registry), registry)
    assert TWO_CLASSES.outputs == 2


def _needs_weight(registry):
    """A loss whose context keyword 'weight' is required."""
    from losskit import Loss

    class NeedsWeight(Loss, name="needs_weight"):
        """A fixture whose weight context is required."""

        def forward(self, input, target, *, weight):
            return (weight * (input - target)).mean()

    registry.register(spec("needs_weight", factory=NeedsWeight, params=()), plugin="fix2")
    return registry.get_loss("needs_weight")


def test_the_default_composite_narrows_the_parity_gap_and_lifts_balanced_accuracy(classification, tmp_path):
    """What the demo is there to show, on its default data, steps and seed."""
    ce, composite = run_demo(out=tmp_path, plot=False).runs
    assert composite.scores.parity_gap < 0.5 * ce.scores.parity_gap
    assert composite.scores.balanced_accuracy > ce.scores.balanced_accuracy + 0.02
    assert ce.trained == ("bce_with_logits",) and "demographic_parity" in ce.curves  # measured on it too
    assert DEFAULT_CONFIG.read_text().startswith("# The composite")


def test_examples_demo_py_runs_losskit_demo(classification, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["demo.py", "--steps", "2", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(ROOT / "examples" / "demo.py"), run_name="__main__")
    assert exit.value.code == 0 and "demographic-parity gap" in capsys.readouterr().out
