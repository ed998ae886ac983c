"""What the suite measures about one callable: time, memory saved for backward, peak memory.

Every measure runs ``step()``, one forward (and backward, unless the row is forward-only) of a
loss on inputs the row built beforehand; the inputs' own storages never count as memory.

- **time**: :func:`interleaved` runs every contender of a row once per round, the order rotated
  each round, after warm-up rounds; the medians of the per-round times and of the per-round
  ratios are what the tables show. On a shared machine a burst of load then hits every
  contender of the round instead of one contender's whole run.
- **saved for backward**: :func:`saved_bytes` sums the bytes of the distinct storages handed to
  ``torch.autograd.graph.saved_tensors_hooks`` during the forward pass (deduplicated by storage,
  the inputs' storages left out: what the graph keeps alive beyond the inputs). A custom
  ``autograd.Function`` that keeps tensors as plain ``ctx`` attributes instead of
  ``save_for_backward`` hides them from the hooks; the peak still counts them.
- **peak**: on CUDA, ``torch.cuda.max_memory_allocated`` above the level before the step. On CPU
  torch keeps no allocator statistics, so :class:`LiveBytes` follows every storage that an ATen
  op returns during forward + backward (a ``TorchDispatchMode`` sees each op, a weak reference
  tells when its storage is freed) and records the largest sum alive at an op boundary. This is
  exact for tensors (gradients included) and deterministic, unlike resident-set sampling; a
  scratch buffer that a kernel allocates and frees inside itself is not seen, nor is anything a
  custom op (``torch.library``, outside ``aten``) allocates inside: such ops are listed with the
  result, whose peak is then a lower bound.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

Step = Callable[[], None]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(
    steps: dict[str, Step], *, repeat: int, warmup: int, device: torch.device
) -> dict[str, list[float]]:
    """Seconds of each step per round, ``repeat`` rounds after ``warmup``; round ``i`` starts at contender ``i``."""
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(warmup + repeat):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            synchronize(device)
            start = time.perf_counter()
            steps[name]()
            synchronize(device)
            if round_ >= warmup:
                times[name].append(time.perf_counter() - start)
    return times


def median_ratio(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """Median of the per-round ratios ours / theirs (rounds paired as :func:`interleaved` ran them)."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def calibrate(step: Step, device: torch.device, *, at_least: float) -> int:
    """How many calls of ``step`` make one timed sample of at least ``at_least`` seconds (tiny losses)."""
    step()  # the first call pays for lazy initialisation
    synchronize(device)
    start = time.perf_counter()
    step()
    synchronize(device)
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(10_000, round(at_least / once)))


def _storage_keys(tensors: Iterable[torch.Tensor]) -> set[int]:
    return {t.untyped_storage().data_ptr() for t in tensors}


def saved_bytes(forward: Callable[[], torch.Tensor], inputs: Iterable[torch.Tensor]) -> int:
    """Bytes of the distinct storages that autograd saves for backward in ``forward()``, inputs excluded."""
    excluded = _storage_keys(inputs)
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in excluded and storage.device.type != "meta":
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out = forward()
    del out  # frees the graph
    return sum(seen.values())


class LiveBytes(TorchDispatchMode):
    """Bytes of the storages created by ATen ops while active and still alive; ``peak`` their maximum."""

    def __init__(self, inputs: Iterable[torch.Tensor]) -> None:
        super().__init__()
        self._excluded = _storage_keys(inputs)
        self._live: dict[int, tuple[StorageWeakRef, int]] = {}
        self.now = self.peak = 0
        self.opaque: set[str] = set()  # ops outside aten (custom ops): what they allocate inside is not seen

    def sweep(self) -> None:
        for key, (ref, nbytes) in list(self._live.items()):
            if ref.expired():
                del self._live[key]
                self.now -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 (torch's protocol)
        out = func(*args, **(kwargs or {}))
        if func.namespace not in ("aten", "prim"):
            self.opaque.add(str(func))
        self.sweep()  # what the previous ops freed, before this op's outputs count
        for leaf in tree_leaves(out):
            if isinstance(leaf, torch.Tensor):
                storage = leaf.untyped_storage()
                key = storage.data_ptr()
                if key and key not in self._excluded and key not in self._live:
                    self._live[key] = (StorageWeakRef(storage), storage.nbytes())
                    self.now += storage.nbytes()
        self.peak = max(self.peak, self.now)
        return out


def peak_bytes(step: Step, inputs: Sequence[torch.Tensor], device: torch.device) -> tuple[int, list[str]]:
    """Peak bytes allocated during one ``step()`` beyond what was allocated before it, and the custom ops
    whose insides the CPU tracker could not see (where any, the peak is a lower bound)."""
    if device.type == "cuda":
        synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        synchronize(device)
        return torch.cuda.max_memory_allocated(device) - base, []
    tracker = LiveBytes(inputs)
    with tracker:
        step()
    return tracker.peak, sorted(tracker.opaque)
