"""Run a function in several ``torch.distributed`` processes on CPU, for testing batch-coupled losses.

A loss that gathers over ranks (see :mod:`losskit.distributed`) is tested by
running it in a few gloo processes and comparing each rank's value and
gradients with one process over the global batch::

    from losskit.testing import run_in_processes

    def worker(rank):                       # module level: the processes are spawned
        ...                                 # the process group is initialised here
        return value, grad                  # anything torch.save can write

    per_rank = run_in_processes(worker, 3)  # [rank 0's return value, rank 1's, rank 2's]

That a loss called on one rank alone fails with a clear error instead of
hanging, and that ``gather=False`` needs no other rank, is tested with
:func:`run_on_one_rank` and :func:`collective_failure`::

    def alone():                            # module level; runs on rank 0 only
        return collective_failure(MyLoss(), x, y)

    message, waited = run_on_one_rank(alone, collective_timeout=1)
"""

from __future__ import annotations

import datetime
import os
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ..distributed import ENV_TIMEOUT
from ..errors import CollectiveError

__all__ = ["collective_failure", "run_in_processes", "run_on_one_rank"]


def run_in_processes(
    fn: Callable[..., Any], world_size: int = 3, *, args: Sequence[Any] = (), timeout: float = 60.0
) -> list[Any]:
    """Call ``fn(rank, *args)`` in ``world_size`` gloo processes; return their results in rank order.

    Each process initialises the default process group (gloo over TCP on
    127.0.0.1, 30 s timeout), calls ``fn``, and destroys the group even if
    ``fn`` raises. The processes are *spawned*, so ``fn`` must be a module-level
    function (picklable by reference, no lambda or closure) and ``args`` must
    be picklable; return values travel through ``torch.save``/``torch.load``.

    Raises:
        RuntimeError: a rank failed; the message names the rank and carries its traceback.
        TimeoutError: the processes did not all finish within ``timeout`` seconds.
    Stragglers are killed in every case.
    """
    return _spawn("run_in_processes", fn, fn, tuple(args), world_size, timeout)


def _spawn(
    caller: str, named: Callable[..., Any], fn: Callable[..., Any], args: tuple, world_size: int, timeout: float
) -> list[Any]:
    """:func:`run_in_processes`, its errors naming ``caller`` and the function ``named`` (the user's)."""
    with tempfile.TemporaryDirectory(prefix="losskit-ranks-") as out_dir:
        context = mp.start_processes(
            _run_rank,
            args=(fn, args, world_size, _free_port(), out_dir),
            nprocs=world_size,
            join=False,
            start_method="spawn",
        )
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=1):
                if time.monotonic() > deadline:
                    running = [rank for rank, p in enumerate(context.processes) if p.is_alive()]
                    raise TimeoutError(
                        f"{caller}: {_name(named)} did not finish within {timeout} s on {world_size} "
                        f"processes; ranks {running} were still running (a collective that not every rank calls "
                        "waits forever)."
                    )
        except (mp.ProcessRaisedException, mp.ProcessExitedException) as exc:
            raise RuntimeError(
                f"{caller}: rank {exc.error_index} of {world_size} failed in {_name(named)}:\n{exc.msg.strip()}"
            ) from None  # the message already carries the rank's traceback
        finally:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
        # weights_only=False: these files were written just now by our own processes, and may hold any object.
        return [torch.load(Path(out_dir) / f"rank{rank}.pt", weights_only=False) for rank in range(world_size)]


def run_on_one_rank(
    fn: Callable[..., Any], *, args: Sequence[Any] = (), collective_timeout: float = 1.0, timeout: float = 60.0
) -> Any:
    """Call ``fn(*args)`` on rank 0 of two gloo processes whose rank 1 calls nothing; return its result.

    Rank 1 stays in the process group, making no call, until ``fn`` returns or
    raises; so on rank 0 a loss built with ``gather=False`` must complete, and
    one that gathers must raise :class:`~losskit.errors.CollectiveError` after
    ``collective_timeout`` seconds (``LOSSKIT_COLLECTIVE_TIMEOUT``, set on rank 0
    only). ``fn`` and ``args`` follow the rules of :func:`run_in_processes`, whose
    errors this raises; ``timeout`` bounds the whole run.
    """
    with tempfile.TemporaryDirectory(prefix="losskit-alone-") as flag_dir:
        flag = str(Path(flag_dir) / "done")
        return _spawn("run_on_one_rank", fn, _run_alone, (fn, tuple(args), collective_timeout, flag), 2, timeout)[0]


def collective_failure(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, float]:
    """Call ``fn(*args, **kwargs)``; return the message of the :class:`~losskit.errors.CollectiveError` it raised
    and the seconds it took, or ``("completed", seconds)`` when it raised none."""
    start = time.monotonic()
    try:
        fn(*args, **kwargs)
    except CollectiveError as exc:
        return str(exc), time.monotonic() - start
    return "completed", time.monotonic() - start


def _run_alone(rank: int, fn: Callable[..., Any], args: tuple, collective_timeout: float, flag: str) -> Any:
    if rank == 1:  # no collective to wait on: rank 0 is out of step after its timeouts
        while not os.path.exists(flag):
            time.sleep(0.05)
        return None
    os.environ[ENV_TIMEOUT] = str(collective_timeout)
    try:
        return fn(*args)
    finally:
        Path(flag).touch()


def _run_rank(rank: int, fn: Callable[..., Any], args: tuple, world_size: int, port: int, out_dir: str) -> None:
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=30),
    )
    try:
        result = fn(rank, *args)
    finally:
        dist.destroy_process_group()
    torch.save(result, Path(out_dir) / f"rank{rank}.pt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
