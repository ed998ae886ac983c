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
    from .testing.cli_table import run_and_print

    return run_and_print(default_registry(), args.targets, only=args.check, verbose=args.verbose)


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
        description="Run the conformance suite on installed losses. ✓ passed, ✗ failed, - does not apply.",
    )
    p.add_argument("targets", nargs="*", metavar="NAME|PLUGIN", help="losses or plugins (default: everything installed)")
    p.add_argument("-c", "--check", action="append", metavar="CHECK", help="only this check (repeatable; e.g. check_reference or ref)")
    p.add_argument("-v", "--verbose", action="store_true", help="also say why checks were skipped")
    p.set_defaults(run=_check)
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
