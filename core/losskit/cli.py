"""``losskit`` on the command line: list, describe and check the installed losses."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._default import default_registry
from ._naming import normalize
from .errors import LosskitError
from .registry import Registry


def _list(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.plugins:
        if args.family:
            raise SystemExit("losskit list: --plugins lists plugins, not losses; --family does not apply to it.")
        print(f"{'plugin':<20} {'status':<8} {'distribution':<32} losses")
        for info in registry.list_plugins():
            dist = f"{info.distribution} {info.version}" if info.distribution else "-"
            line = f"{info.name:<20} {info.status:<8} {dist:<32} {len(info.losses)}"
            if info.error is not None:
                line += f"\n{'':<20} error: {type(info.error).__name__}: {info.error}"
            print(line)
        print(f"fingerprint: {registry.fingerprint()}")
        return 0
    if args.markdown:
        print(_catalogue(registry, args.family))
        return 0
    for name in registry.list_losses(family=args.family):
        spec = registry.get_spec(name)
        print(f"{name:<28} {spec.family:<16} {spec.summary}")
    return 0


def _catalogue(registry: Registry, family: str | None) -> str:
    """The loss catalogue as Markdown: one table per family, what docs/catalogue.md holds."""
    lines = []
    registry.list_losses(family=family)  # an unknown family is an error, not an empty catalogue
    for fam in registry.families():
        if family is not None and normalize(fam) != normalize(family):
            continue
        lines += [
            f"## {fam}",
            "",
            "| name | aliases | parameters | context | summary | source | plugin |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in registry.list_losses(family=fam):
            spec = registry.get_spec(name)
            params = ", ".join(f"`{p.name}={p.default!r}`" for p in spec.params or () if p.name != "reduction")
            keys = spec.context_keys
            context = ", ".join(
                f"`{k}`" + (" (required)" if k in keys.required else "") for k in sorted(keys.accepted)
            ) if keys else ""
            cells = [f"`{name}`", ", ".join(spec.aliases), params, context, spec.summary, spec.source,
                     registry.provider(name).distribution or ""]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _describe(args: argparse.Namespace) -> int:
    print(default_registry().describe(args.name))
    return 0


def _check(args: argparse.Namespace) -> int:
    from .testing.cli_table import print_why, run_and_print

    if args.why:
        return print_why(default_registry(), args.targets, only=args.check)
    return run_and_print(default_registry(), args.targets, only=args.check, verbose=args.verbose)


def _monitor(args: argparse.Namespace) -> int:
    """``losskit monitor LOG``: the findings on a logged run, and a PNG of its curves; exit 1 on any alarm."""
    from pathlib import Path

    from .monitor.report import analyze

    try:
        report = analyze(args.log)
    except OSError as exc:
        print(f"losskit monitor: cannot read {args.log}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(report.jsonl(), end="") if args.json else print(report.text())
    if not args.no_plot:
        out = Path(args.out) if args.out else Path(args.log).with_suffix(".png")
        try:
            report.plot(out)
        except ImportError as exc:
            print(f"losskit monitor: no plot: {exc}", file=sys.stderr)
            if args.out:
                return 2
        else:
            print(f"plot: {out}", file=sys.stderr if args.json else sys.stdout)
    return 1 if report.alarms else 0


def _add_monitor_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "monitor",
        help="report on a logged run: spikes, NaNs, plateaus, overfitting...; exit status 1 on any alarm",
        description="Run the loss monitor over a log of per-term values (JSON lines or CSV, one record per step; "
        "see losskit.monitor.logfile), print the findings with their likely causes and remedies, and write a "
        "PNG of the curves with the findings marked. Exit status: 0 no alarm, 1 warnings or critical findings, "
        "2 the log could not be read.",
    )
    p.add_argument("log", metavar="run.jsonl|run.csv", help="the log of per-step values")
    p.add_argument("--out", metavar="FILE.png", help="where to write the plot (default: the log's name with .png)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON lines")
    p.add_argument("--no-plot", action="store_true", help="do not write a plot")
    p.set_defaults(run=_monitor)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="losskit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("list", help="list the installed losses (or plugins)")
    p.add_argument("--family", help="only this family")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--plugins", action="store_true", help="list plugins with status and version (not by family)")
    what.add_argument("--markdown", action="store_true", help="print the catalogue as Markdown tables")
    p.set_defaults(run=_list)
    p = sub.add_parser("describe", help="show a loss's parameters, input contract and source")
    p.add_argument("name")
    p.set_defaults(run=_describe)
    p = sub.add_parser(
        "check",
        help="run the conformance suite: a table of losses by checks, exit status 1 on any failure",
        description="Run the conformance suite on installed losses. ✓ passed, ✗ failed, - does not apply "
        "(not run; --why says why), s skipped while running, x expected failure.",
    )
    p.add_argument("targets", nargs="*", metavar="NAME|PLUGIN", help="losses or plugins (default: everything installed)")
    p.add_argument("-c", "--check", action="append", metavar="CHECK", help="only this check (repeatable; e.g. check_reference or ref)")
    p.add_argument("-v", "--verbose", action="store_true", help="also print the messages of checks skipped while running")
    p.add_argument("--why", action="store_true", help="run nothing: list which checks apply to each loss, and why the others do not")
    p.set_defaults(run=_check)
    _add_monitor_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        return args.run(args)
    except LosskitError as exc:
        print(f"losskit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
