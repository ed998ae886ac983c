"""Writes the tables of a results file into docs/benchmarks.md (between its two markers).

    python -m benchmarks.render [build/bench/results.json] [--page docs/benchmarks.md]

The page's prose (method, how to read the tables) is written by hand; only the part between
``<!-- bench:results -->`` and ``<!-- /bench:results -->`` is replaced, so the numbers on the page
are always those of one real run, with its date, machine and command.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .startup import COUNTS, EXTRA_PLUGINS, TARGETS
from .suite import DEFAULT_OUT, ROOT, _ratio

PAGE = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:results -->", "<!-- /bench:results -->"
GROUPS = {
    "dense": "Dense losses (every pixel or anchor)",
    "metric": "Metric learning",
    "fairness": "Fairness penalties",
    "memory": "Memory: chunked linear cross-entropy",
    "hot path": "The hot path: small modules, composites, input checks",
    "torch.nn": "Every torch.nn loss losskit also has",
}


def _x(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}×"


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.1f}"


def _peak(contender: dict) -> str:
    """MiB, with ≥ where a custom op hid its allocations from the CPU tracker (a lower bound)."""
    return ("≥ " if contender.get("peak_unseen_ops") else "") + _mib(contender["peak_bytes"])


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _memory_ratios(row: dict, peer: str) -> dict:
    """The row's ratios to ``peer``, the memory ones recomputed from the bytes (by the suite's current rule)."""
    mine, theirs = row["contenders"]["losskit"], row["contenders"][peer]
    return row["ratios"][peer] | {
        "saved": _ratio(mine["saved_bytes"], theirs["saved_bytes"]),
        "peak": _ratio(mine["peak_bytes"], theirs["peak_bytes"]),
    }


def rows_tables(report: dict) -> list[str]:
    out: list[str] = []
    rows = [r for r in report["rows"] if "contenders" in r]
    for group, title in GROUPS.items():
        members = [r for r in rows if r["group"] == group]
        if not members:
            continue
        out += [f"### {title}", ""]
        out += [
            "| work (forward + backward) | dtype | losskit ms | fastest peer | peer ms | time | saved for backward "
            "(MiB) | peak (MiB) |",
            "|---|---|---:|---|---:|---:|---:|---:|",
        ]
        for r in members:
            mine = r["contenders"]["losskit"]
            peer = r.get("fastest_peer")
            if peer is None:
                out.append(f"| {_cell(r['title'])} | {r['dtype']} | {_ms(mine['median_s'])} | (no peer installed) "
                           "| | | | |")
                continue
            theirs, ratio = r["contenders"][peer], _memory_ratios(r, peer)
            work = r["title"] + ("" if r["backward"] else " (forward only)")
            if r.get("repeat", report["repeat"]) != report["repeat"]:
                work += f" ({r['repeat']} rounds)"
            out.append(
                f"| {_cell(work)} | {r['dtype']} | {_ms(mine['median_s'])} | {_cell(peer)} | {_ms(theirs['median_s'])} "
                f"| **{_x(ratio['time'])}** | {_x(ratio['saved'])} ({_mib(mine['saved_bytes'])} / "
                f"{_mib(theirs['saved_bytes'])}) | {_x(ratio['peak'])} ({_peak(mine)} / {_peak(theirs)}) |"
            )
        out.append("")
    return out


def peers_table(report: dict) -> list[str]:
    out = [
        "### Every peer",
        "",
        "Ratios losskit / that peer, and the value check (largest absolute difference of the compared values).",
        "",
        "| row | peer | time | saved | peak | value check |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in report["rows"]:
        if "agreement" not in r:
            continue
        for check in r["agreement"]:
            ratio = _memory_ratios(r, check["peer"]) if check["peer"] in r.get("ratios", {}) else None
            verdict = (f"ok ({check['max_abs_diff']:.1e})" if check["ok"] else
                       f"**differs** {check.get('error') or check.get('max_abs_diff')}")
            bound = ""
            if ratio:  # a lower-bound peak (see _peak) makes the ratio a bound too
                mine, theirs = r["contenders"]["losskit"], r["contenders"][check["peer"]]
                bound = "≤ " if theirs.get("peak_unseen_ops") else "≥ " if mine.get("peak_unseen_ops") else ""
            cells = (f"{_x(ratio['time'])} | {_x(ratio['saved'])} | {bound}{_x(ratio['peak'])}" if ratio else " | | ")
            out.append(f"| {_cell(r['title'])} | {_cell(check['peer'])} | {cells} | {verdict} |")
        for peer, why in r.get("missing", {}).items():
            out.append(f"| {_cell(r['title'])} | {_cell(peer)} | | | | not installed: {_cell(why)} |")
    return [*out, ""]


def startup_table(report: dict) -> list[str]:
    results = report.get("startup")
    if not results:
        return []
    labels = list(results)
    out = [
        "### Start-up",
        "",
        f"Medians over {results[labels[0]]['runs']} fresh interpreters per column, with bytecode caches; "
        f"`+{EXTRA_PLUGINS} plugins` adds {EXTRA_PLUGINS} plugin distributions on `PYTHONPATH` that list their "
        f"names (`losskit.losses` entry points), `+{EXTRA_PLUGINS} unlisted` {EXTRA_PLUGINS} that list none "
        "(each is imported by any lookup).",
        "",
        "| | " + " | ".join(labels) + " | target |",
        "|---|" + "---:|" * len(labels) + "---:|",
        "| import torch | " + " | ".join(f"{results[k]['import_torch_s'] * 1e3:.1f} ms" for k in labels) + " | |",
    ]
    for key, (title, target, unit, scale) in TARGETS.items():
        cells = " | ".join(f"{results[k][key] * scale:.1f} {unit}" for k in labels)
        out.append(f"| {title} | {cells} | ≤ {target * scale:.0f} {unit} |")
    for key, title in COUNTS.items():
        out.append(f"| {title} | " + " | ".join(str(int(results[k].get(key, 0))) for k in labels) + " | |")
    return [*out, ""]


def semantics_list(report: dict) -> list[str]:
    out = ["### How each pair was matched", ""]
    for r in report["rows"]:
        if "semantics" in r and r["group"] != "torch.nn":
            out.append(f"- **{r['title']}**: {r['semantics']}")
    return [*out, ""]


def render(report: dict) -> str:
    machine = report["machine"]
    versions = ", ".join(f"{name} {v}" for name, v in machine["versions"].items() if v)
    lines = [
        BEGIN,
        "",
        f"Run of {report['date']} on {report['device']}: `{report['command']}`, median of {report['repeat']} "
        f"interleaved rounds after {report['warmup']} warm-up rounds.",
        f"Machine: {machine['platform']}, Python {machine['python']}, {machine['cpus']} CPU cores "
        f"({machine['torch_threads']} torch threads){', ' + machine['cuda'] if machine['cuda'] else ''}"
        + (f", load average {machine['load_average'][0]:.1f} at the start" if machine.get("load_average") else "")
        + f"; {versions}.",
        "",
        *rows_tables(report),
        *peers_table(report),
        *startup_table(report),
        *semantics_list(report),
        END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.render", description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--page", type=Path, default=PAGE)
    args = parser.parse_args(argv)
    report = json.loads(args.results.read_text())
    page = args.page.read_text()
    if BEGIN not in page or END not in page:
        raise SystemExit(f"{args.page} has no {BEGIN} ... {END} block to fill")
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    args.page.write_text(head + render(report) + tail)
    print(f"wrote the tables of {args.results} into {args.page}")


if __name__ == "__main__":
    main()
