"""Time and peak memory of chunked linear_cross_entropy against the naive logits-then-cross-entropy,
and against torch's own chunked ``F.linear_cross_entropy`` (the function behind ``nn.LinearCrossEntropyLoss``)
where this torch has it. All are measured in the same run; compare the ratios.

Not a test: run it by hand, e.g. ``python benchmarks/bench_linear_cross_entropy.py --rows 4096 --vocab 32000``.
On CUDA the peak is ``torch.cuda.max_memory_allocated``. On CPU torch keeps no allocator statistics, so
the peak is the growth of the resident set during one forward + backward, sampled by a thread (Linux).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from losskit import get_loss


def naive(hidden, weight, target):
    return F.cross_entropy(hidden @ weight.T, target)


def chunked(chunk_size: int) -> Callable[..., torch.Tensor]:
    loss = get_loss("linear_cross_entropy", chunk_size=chunk_size)
    return lambda hidden, weight, target: loss(hidden, target, classifier_weight=weight)


def torch_chunked(hidden, weight, target):
    options = torch.nn.LinearCrossEntropyOptions()
    return F.linear_cross_entropy(hidden, weight, target, options=options)


VARIANTS = {"naive": lambda chunk_size: naive, "chunked": chunked, "torch": lambda chunk_size: torch_chunked}


def _inputs(args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(args.rows, args.hidden, generator=g).to(args.device).requires_grad_()
    weight = (torch.randn(args.vocab, args.hidden, generator=g) / args.hidden**0.5).to(args.device).requires_grad_()
    target = torch.randint(0, args.vocab, (args.rows,), generator=g).to(args.device)
    return hidden, weight, target


def _current_rss() -> int:
    with open("/proc/self/statm") as statm:  # Linux: resident pages are the second field
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_peak(fn, hidden, weight, target) -> int:
    """Growth of the resident set over one forward + backward, sampled every 0.2 ms by a thread.

    Run in a fresh process whose glibc mmaps every block over 128 KiB (``MALLOC_MMAP_THRESHOLD_``) and so
    returns it to the OS when freed: the resident set then follows the live tensors.
    """
    gc.collect()
    baseline, peak, done = _current_rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _current_rss())
            time.sleep(0.0002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        hidden.grad = weight.grad = None
        fn(hidden, weight, target).backward()
    finally:
        done.set()
        sampler.join()
    return max(peak[0] - baseline, 0)


def _cpu_peak_in_child(variant: str) -> int:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
    argv = [sys.executable, __file__, *sys.argv[1:], "--memory-child", variant]
    return int(subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout.split()[-1])


def measure(fn, hidden, weight, target, repeats: int) -> tuple[float, int | None]:
    """Seconds per forward + backward, and the peak bytes allocated on CUDA (``None`` on CPU)."""
    cuda = hidden.is_cuda
    fn(hidden, weight, target).backward()  # warm-up
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    start = time.perf_counter()
    for _ in range(repeats):
        hidden.grad = weight.grad = None
        fn(hidden, weight, target).backward()
    if cuda:
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / repeats
    return seconds, (torch.cuda.max_memory_allocated() - base if cuda else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=16384)
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--memory-child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:  # see _cpu_peak
        hidden, weight, target = _inputs(args)
        print(_cpu_peak(VARIANTS[args.memory_child](args.chunk_size), hidden, weight, target))
        return

    hidden, weight, target = _inputs(args)
    variants = ["naive", "chunked"]
    if hasattr(F, "linear_cross_entropy") and hasattr(torch.nn, "LinearCrossEntropyOptions"):
        variants.append("torch")
    results = {}
    for name in variants:
        seconds, peak = measure(VARIANTS[name](args.chunk_size), hidden, weight, target, args.repeats)
        results[name] = (seconds, peak if peak is not None else _cpu_peak_in_child(name))
    what = "peak allocated" if args.device.startswith("cuda") else "peak RSS growth"
    print(f"rows={args.rows} hidden={args.hidden} vocab={args.vocab} chunk_size={args.chunk_size} on {args.device}")
    for name, (seconds, peak) in results.items():
        print(f"{name:<8}: {seconds * 1e3:9.2f} ms  {peak / 2**20:9.1f} MiB {what}")
    ours = results["chunked"]
    for other in [n for n in variants if n != "chunked"]:
        t, m = results[other]
        print(f"ratio chunked/{other}: time {ours[0] / t:.2f}x, memory {ours[1] / max(m, 1):.3f}x")


if __name__ == "__main__":
    main()
