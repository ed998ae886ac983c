"""Overhead of losskit's losses against torch.nn's, measured in the same run.

Prints, for every installed loss that torch.nn also has, the ratio of
losskit's forward+backward time to torch's on the same inputs (1.00 = same
speed). Ratios, not absolute times: the machine is shared and noisy. Not a
test; nothing fails on timing.

    python benchmarks/bench_vs_torch.py [--batch 4096] [--device cpu|cuda] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import losskit

TORCH_EQUIVALENTS = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "huber": nn.HuberLoss,
    "smooth_l1": nn.SmoothL1Loss,
    "poisson_nll": nn.PoissonNLLLoss,
    "cross_entropy": nn.CrossEntropyLoss,
    "nll": nn.NLLLoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "kl_div": lambda: nn.KLDivLoss(reduction="batchmean"),
    "multi_margin": nn.MultiMarginLoss,
    "multilabel_margin": nn.MultiLabelMarginLoss,
    "multilabel_soft_margin": nn.MultiLabelSoftMarginLoss,
    "soft_margin": nn.SoftMarginLoss,
}


def _step(fn, x: torch.Tensor, y: torch.Tensor, device: str) -> float:
    x.grad = None
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn(x, y).backward()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _ratio(ours, theirs, x: torch.Tensor, y: torch.Tensor, repeat: int, device: str) -> float:
    """Median of per-round ratios, the two timed back to back in alternating order.

    Interleaving matters on a shared machine: a burst of load from another
    process then hits both sides of a round instead of one side of the run.
    """
    for _ in range(3):  # warm-up
        _step(ours, x, y, device), _step(theirs, x, y, device)
    ratios = []
    for i in range(repeat):
        if i % 2:
            b, a = _step(theirs, x, y, device), _step(ours, x, y, device)
        else:
            a, b = _step(ours, x, y, device), _step(theirs, x, y, device)
        ratios.append(a / b)
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    registry = losskit.default_registry()
    print(f"{'loss':<24} {'losskit / torch.nn':>18}   (median of {args.repeat} interleaved rounds, batch {args.batch}, {args.device})")
    for name, make_torch in TORCH_EQUIVALENTS.items():
        try:
            spec = registry.get_spec(name)
        except losskit.LosskitError:
            continue
        example = spec.example(
            torch.Generator().manual_seed(0), dtype=torch.float32, device=args.device, batch_size=args.batch
        )
        if example.context:
            continue
        x = example.input.detach().clone().requires_grad_(True)
        ratio = _ratio(registry.get_loss(name), make_torch(), x, example.target, args.repeat, args.device)
        print(f"{name:<24} {ratio:>18.2f}")


if __name__ == "__main__":
    main()
