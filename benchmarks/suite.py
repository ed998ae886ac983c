"""losskit against its peers: same values first, then time, memory saved for backward and peak memory.

    python -m benchmarks [--quick] [--device cpu|cuda] [--only KEY ...] [--repeat 15] [--out build/bench/results.json]

For every row: (1) each peer's value is checked against losskit's (allclose; where the
definitions differ, the row's ``semantics`` says how they were matched, and a peer that does not
agree is reported and left out of the measurements); (2) forward + backward time, interleaved
(every contender once per round, the order rotated, after warm-up; medians), the bytes saved for
backward and the peak bytes (see ``benchmarks/_measure.py`` for how each is taken); (3) a table of
ratios losskit / fastest peer (< 1: losskit is faster or smaller) and the results as JSON. Then the
start-up benchmark (``benchmarks/startup.py``). Ratios, not times: the machine may be shared.
Exits 1 if a peer computes another value than losskit (a peer that raises is reported, e.g. one
without bfloat16 support). Not a test: nothing fails on timing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import torch

from . import _measure, _peers, rows_dense, rows_metric, rows_torch, startup
from ._row import Contender, Context, LossMissing, Row

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "build" / "bench" / "results.json"

ROWS: dict[str, Callable[[Context], Row]] = {**rows_dense.ROWS, **rows_torch.ROWS, **rows_metric.ROWS}


def build(key: str, ctx: Context) -> Row:
    row = ROWS[key](ctx)
    if row.key != key:
        raise RuntimeError(f"row {key!r} built a row named {row.key!r}")
    return row


def _value(contender: Contender) -> torch.Tensor:
    with torch.no_grad():
        if contender.value is not None:
            return contender.value().detach()
        return contender.to_ours(contender.forward()).detach()


def agreement(row: Row, ctx: Context) -> list[dict]:
    """Each peer's value against losskit's; a peer that disagrees (or fails) is removed from ``row.peers``."""
    rtol, atol = (row.rtol, row.atol) if ctx.dtype == torch.float32 else (3e-2, 1e-2)
    ours = _value(row.ours).double()
    checks, agreeing = [], []
    for peer in row.peers:
        check = {"peer": peer.name}
        try:
            theirs = _value(peer).double()
        except Exception as error:  # a peer that fails on these inputs is reported, not fatal
            check.update(ok=False, error=f"{type(error).__name__}: {error}")
        else:
            ok = theirs.shape == ours.shape and bool(torch.allclose(ours, theirs, rtol=rtol, atol=atol))
            diff = (ours - theirs).abs().max().item() if theirs.shape == ours.shape else None
            check.update(ok=ok, max_abs_diff=diff, ours=_summary(ours), theirs=_summary(theirs))
        checks.append(check)
        if check["ok"]:
            agreeing.append(peer)
    row.peers = agreeing
    return checks


def _summary(value: torch.Tensor) -> float | list[float]:
    return value.item() if value.numel() == 1 else [value.sum().item(), float(value.numel())]


def measure(row: Row, ctx: Context, *, repeat: int, warmup: int) -> dict:
    contenders = [row.ours, *row.peers]
    sample = 0.005 if ctx.quick else 0.02
    inner = 1 if row.heavy else max(_measure.calibrate(row.step(c), ctx.device, at_least=sample) for c in contenders)
    steps = {c.name: row.step(c, inner) for c in contenders}
    times = _measure.interleaved(steps, repeat=repeat, warmup=warmup, device=ctx.device)
    out = {"inner": inner, "contenders": {}}
    for c in contenders:
        saved = _measure.saved_bytes(c.forward, row.inputs) if row.backward else 0
        peak, opaque = _measure.peak_bytes(row.step(c), row.inputs, ctx.device)
        out["contenders"][c.name] = {
            "median_s": statistics.median(times[c.name]) / inner, "saved_bytes": saved, "peak_bytes": peak,
            "peak_unseen_ops": opaque,  # non-empty: the peak is a lower bound (see _measure.peak_bytes)
        }
    ratios = {}
    for peer in row.peers:
        mine, theirs = out["contenders"]["losskit"], out["contenders"][peer.name]
        ratios[peer.name] = {
            "time": _measure.median_ratio(times["losskit"], times[peer.name]),
            "saved": _ratio(mine["saved_bytes"], theirs["saved_bytes"]),
            "peak": _ratio(mine["peak_bytes"], theirs["peak_bytes"]),
        }
    out["ratios"] = ratios
    if row.peers:
        fastest = min(row.peers, key=lambda p: out["contenders"][p.name]["median_s"])
        out["fastest_peer"] = fastest.name
    return out


def _ratio(ours: int, theirs: int) -> float | None:
    """ours / theirs; under 1 KiB counts as none (a scalar output): None where the peer needs none, losskit some."""
    if theirs < 1024:
        return 1.0 if ours < 1024 else None
    return ours / theirs


def run_row(key: str, ctx: Context, *, repeat: int, warmup: int, timing: bool) -> dict:
    result: dict = {"key": key, "dtype": str(ctx.dtype).removeprefix("torch.")}
    try:
        row = build(key, ctx)
    except LossMissing as error:
        return result | {"skipped": str(error)}
    result.update(group=row.group, title=row.title, semantics=row.semantics, backward=row.backward,
                  missing=row.missing)
    result["agreement"] = agreement(row, ctx)
    if row.heavy:
        repeat, warmup = min(repeat, 3), min(warmup, 1)
    if timing:
        result.update(repeat=repeat, warmup=warmup)
        try:
            result.update(measure(row, ctx, repeat=repeat, warmup=warmup))
        except Exception:  # one broken contender must not lose the other rows' numbers
            result["error"] = traceback.format_exc(limit=4)
    return result


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.1f}"


def _x(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}×"


def table(results: list[dict]) -> str:
    """Losskit / fastest peer per row: time, saved for backward, peak (MiB in brackets: losskit vs that peer)."""
    head = f"{'row':<52} {'dtype':<8} {'losskit ms':>10}  {'fastest peer':<34} {'ms':>9} {'time':>7} " \
           f"{'saved (MiB)':>20} {'peak (MiB)':>20}  agree"
    lines = [head, "-" * len(head)]
    for r in results:
        if "skipped" in r:
            lines.append(f"{r['key']:<52} skipped: {r['skipped']}")
            continue
        agree = "ok" if all(c["ok"] for c in r["agreement"]) else "FAILED " + ", ".join(
            c["peer"] for c in r["agreement"] if not c["ok"])
        if not r["agreement"]:
            agree = "no peer installed" if r["missing"] else "-"
        if "error" in r:
            lines.append(f"{r['title']:<52} error: {r['error'].strip().splitlines()[-1]}")
            continue
        if "contenders" not in r:
            lines.append(f"{r['title']:<52} {r['dtype']:<8} {'':>10}  {'':<34} {'':>9} {'':>7} {'':>20} {'':>20}  {agree}")
            continue
        mine = r["contenders"]["losskit"]
        peer = r.get("fastest_peer")
        if peer is None:
            lines.append(f"{r['title']:<52} {r['dtype']:<8} {mine['median_s'] * 1e3:>10.3f}  {'(no peer)':<34}")
            continue
        theirs, ratio = r["contenders"][peer], r["ratios"][peer]
        saved = f"{_x(ratio['saved'])} ({_mib(mine['saved_bytes'])}/{_mib(theirs['saved_bytes'])})"
        peak = f"{_x(ratio['peak'])} ({_mib(mine['peak_bytes'])}/{_mib(theirs['peak_bytes'])})"
        lines.append(
            f"{r['title']:<52} {r['dtype']:<8} {mine['median_s'] * 1e3:>10.3f}  {peer[:34]:<34} "
            f"{theirs['median_s'] * 1e3:>9.3f} {_x(ratio['time']):>7} {saved:>20} {peak:>20}  {agree}"
        )
    return "\n".join(lines)


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,  # at the start: how shared it was
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "versions": {d: _peers.version(d) for d in ("losskit", *_peers.DISTRIBUTIONS)},
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--dtype", action="append", choices=["float32", "bfloat16"],
                        help="repeatable; default float32 on CPU, float32 and bfloat16 on CUDA")
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds: a smoke run")
    parser.add_argument("--only", nargs="+", metavar="KEY", choices=sorted(ROWS), help="these rows only")
    parser.add_argument("--repeat", type=int, help="timed rounds per row (default 15; --quick 3)")
    parser.add_argument("--warmup", type=int, help="untimed rounds first (default 3; --quick 1)")
    parser.add_argument("--lce-hidden", type=int, help="linear_cross_entropy hidden size (default 256 on 2 cores; issue 10 used 4096)")
    parser.add_argument("--startup-runs", type=int, help="fresh interpreters per start-up case (default 15; --quick 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads for every row (default 1: on a shared 2-core machine more threads "
                             "measure contention between them, not the losses)")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up benchmark")
    parser.add_argument("--agreement-only", action="store_true", help="check the values, measure nothing")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT.relative_to(ROOT)})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device here (torch.cuda.is_available() is False)")
    dtypes = args.dtype or (["float32", "bfloat16"] if device.type == "cuda" else ["float32"])
    repeat = args.repeat or (3 if args.quick else 15)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    keys = args.only or list(ROWS)
    started = datetime.datetime.now(datetime.timezone.utc)
    results: list[dict] = []
    report = {
        "date": started.isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
        "device": str(device),
        "quick": args.quick,
        "repeat": repeat,
        "warmup": warmup,
        "machine": machine(),
        "rows": results,
        "startup": None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for dtype in dtypes:
        ctx = Context(device, getattr(torch, dtype), args.quick, args.lce_hidden)
        for key in keys:
            print(f"  {key} ({dtype}) ...", file=sys.stderr, flush=True)
            results.append(run_row(key, ctx, repeat=repeat, warmup=warmup, timing=not args.agreement_only))
            args.out.write_text(json.dumps(report, indent=1))  # after every row: an interrupted run keeps its rows
    print(f"losskit / fastest peer (< 1: losskit faster or smaller), {device}, median of {repeat} interleaved "
          f"rounds after {warmup} warm-up")
    print(table(results))
    if not (args.no_startup or args.agreement_only):
        report["startup"] = startup.measure(args.startup_runs or (2 if args.quick else 15))
        print()
        print(startup.table(report["startup"]))
    args.out.write_text(json.dumps(report, indent=1))
    print(f"\nresults: {args.out}")
    checks = [(r["key"], c) for r in results for c in r.get("agreement", [])]
    failed = [f"{key}: {c['peer']}" for key, c in checks if not c["ok"] and "error" not in c]
    broken = [f"{key}: {c['peer']} ({c['error']})" for key, c in checks if "error" in c]
    if broken:  # e.g. a peer without bfloat16 support: reported, not a disagreement
        print("peers that failed to run: " + "; ".join(broken), file=sys.stderr)
    if failed:
        print("peers that disagree with losskit: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0
