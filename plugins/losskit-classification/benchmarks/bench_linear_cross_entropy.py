"""Time and peak memory of chunked linear_cross_entropy against the naive logits-then-cross-entropy.

Not a test: run it by hand, e.g. ``python benchmarks/bench_linear_cross_entropy.py --rows 4096 --vocab 32000``.
On CUDA the peak is ``torch.cuda.max_memory_allocated``; on CPU, tracemalloc does not see torch's
allocator, so the peak is the largest tensor the forward + backward holds, measured with
``torch.autograd.graph.saved_tensors_hooks`` plus the logits-sized temporaries each variant creates.
"""

from __future__ import annotations

import argparse
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


def _saved_bytes(fn, hidden, weight, target) -> int:
    """Bytes of the tensors autograd keeps between forward and backward (CPU stand-in for the peak)."""
    saved = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        saved.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(hidden, weight, target)
    return sum(saved)


def measure(fn, hidden, weight, target, repeats: int) -> tuple[float, int]:
    """Seconds per forward + backward, and peak bytes (CUDA) or autograd-saved bytes (CPU)."""
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
    peak = torch.cuda.max_memory_allocated() - base if cuda else _saved_bytes(fn, hidden, weight, target)
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=16384)
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()

    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(args.rows, args.hidden, generator=g).to(args.device).requires_grad_()
    weight = (torch.randn(args.vocab, args.hidden, generator=g) / args.hidden**0.5).to(args.device).requires_grad_()
    target = torch.randint(0, args.vocab, (args.rows,), generator=g).to(args.device)

    naive_s, naive_b = measure(naive, hidden, weight, target, args.repeats)
    chunk_s, chunk_b = measure(chunked(args.chunk_size), hidden, weight, target, args.repeats)
    what = "peak allocated" if args.device.startswith("cuda") else "autograd-saved"
    print(f"rows={args.rows} hidden={args.hidden} vocab={args.vocab} chunk_size={args.chunk_size} on {args.device}")
    print(f"naive   : {naive_s * 1e3:9.2f} ms  {naive_b / 2**20:9.1f} MiB {what}")
    print(f"chunked : {chunk_s * 1e3:9.2f} ms  {chunk_b / 2**20:9.1f} MiB {what}")
    print(f"ratio chunked/naive: time {chunk_s / naive_s:.2f}x, memory {chunk_b / max(naive_b, 1):.3f}x")


if __name__ == "__main__":
    main()
