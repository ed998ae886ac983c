"""Make docs/images/monitoring.png and measure the monitor's false-alarm rate, as docs/monitoring.md states them.

1. Trains a small MLP on 48 noisy samples with a composed loss (mse + 0.1 l1 +
   1e-5 l2_penalty), feeding ``loss.breakdown`` to a :class:`~losskit.monitor.Monitor`
   that records every value to a JSON lines log. Step 300's batch is corrupted
   (targets x 5), and the model, far larger than its data, overfits. The log is
   then analysed offline, exactly as ``losskit monitor run.jsonl --out ...`` would,
   and the plot written (about 100 KB).
2. Runs the default monitor over 1000 clean, noisy, decreasing runs
   (:func:`losskit.monitor.synthetic.clean_run`) and prints how many raised findings.

Run it after README's first set-up command (it needs the regression plugin and
matplotlib, ``pip install -c constraints.txt '.[monitor]'``)::

    python docs/monitoring_figures.py            # both, a few minutes on 2 cores
    python docs/monitoring_figures.py --runs 0   # the plot only
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from losskit import get_loss
from losskit.monitor import Monitor, analyze
from losskit.monitor.synthetic import measure_false_alarms

HERE = Path(__file__).resolve().parent


def train(log: Path, *, steps: int = 2000, corrupt_at: int = 300) -> None:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(8, 1, generator=g)

    def data(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n, 8, generator=g)
        return x, torch.tanh(x @ w / 2) + 0.3 * torch.randn(n, 1, generator=g)

    (x, y), (xv, yv) = data(48), data(1024)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 1))
    loss = get_loss("mse") + 0.1 * get_loss("l1") + 1e-5 * get_loss("l2_penalty")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    monitor = Monitor.for_loss(loss, actions=[], record=log)
    for step in range(steps):
        idx = torch.randint(0, 48, (16,), generator=g)
        target = y[idx] * (5.0 if step == corrupt_at else 1.0)
        out = loss.breakdown(model(x[idx]), target, model=model)
        monitor.update(out)
        optimizer.zero_grad()
        out.total.backward()
        optimizer.step()
        if step % 100 == 99:
            with torch.no_grad():
                monitor.validate(loss.breakdown(model(xv), yv, model=model))
    monitor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="clean runs for the false-alarm rate (0: none)")
    parser.add_argument("--out", type=Path, default=HERE / "images" / "monitoring.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "run.jsonl"
        train(log)
        report = analyze(log)
        print(report.text(remedies=False))
        report.plot(args.out, title="a real run: a corrupt batch at step 300, then overfitting (48 samples)")
        print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    if args.runs:
        start = time.perf_counter()
        result = measure_false_alarms(args.runs, seed=0)
        print(f"false alarms on {result['runs']} clean runs of 2000 steps (validation every 100): "
              f"{result['with_alarm']} with a warning or critical finding, {result['with_finding']} with any finding; "
              f"by detector: {result['by_detector']} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
