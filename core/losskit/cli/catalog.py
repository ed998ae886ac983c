"""``losskit list``: the installed losses (or plugins) as a table, plain lines, JSON or the Markdown catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .._naming import normalize
from ._output import JSON_OPTION, console, echo_json, registry, table

if TYPE_CHECKING:
    from ..registry import Registry
    from ..spec import LossSpec


@click.command("list")
@click.option("--family", metavar="FAMILY", help="only this family (any case)")
@click.option("--plugins", is_flag=True, help="list plugins with status and version (not by family)")
@JSON_OPTION
@click.option("--markdown", is_flag=True, help="print the catalogue as Markdown tables (docs/catalogue.md)")
def list_command(family: str | None, plugins: bool, as_json: bool, markdown: bool) -> int:
    """List the installed losses (or plugins)."""
    if plugins and family:
        raise click.UsageError("--plugins lists plugins, not losses; --family does not apply to it.")
    if markdown and (plugins or as_json):
        raise click.UsageError("--markdown prints the loss catalogue; it does not combine with --plugins or --json.")
    reg = registry()
    if plugins:
        return _list_plugins(reg, as_json)
    if markdown:
        click.echo(catalogue(reg, family))
        return 0
    names = reg.list_losses(family=family)
    if as_json:
        echo_json([loss_json(reg, name) for name in names])
        return 0
    out = console()
    if out.is_terminal:
        shown = table("name", "family", "summary", caption=f"{len(names)} losses; `losskit show NAME` for one")
        for name in names:
            spec = reg.get_spec(name)
            shown.add_row(f"[bold cyan]{name}[/]", spec.family, spec.summary)
        out.print(shown)
        return 0
    for name in names:
        spec = reg.get_spec(name)
        click.echo(f"{name:<28} {spec.family:<16} {spec.summary}")
    return 0


def _list_plugins(reg: Registry, as_json: bool) -> int:
    infos = reg.list_plugins()
    if as_json:
        plugins = [
            {"name": i.name, "status": i.status, "distribution": i.distribution, "version": i.version,
             "losses": list(i.losses), "error": None if i.error is None else f"{type(i.error).__name__}: {i.error}"}
            for i in infos
        ]
        echo_json({"plugins": plugins, "fingerprint": reg.fingerprint()})
        return 0
    out = console()
    if out.is_terminal:
        from rich.markup import escape

        colour = {"active": "green", "failed": "bold red", "blocked": "yellow"}
        shown = table("plugin", "status", "distribution", "losses")
        for i in infos:
            dist = f"{i.distribution} {i.version}" if i.distribution else "-"
            shown.add_row(i.name, f"[{colour.get(i.status, 'white')}]{i.status}[/]", dist, str(len(i.losses)))
            if i.error is not None:
                shown.add_row("", "", f"[red]error: {escape(f'{type(i.error).__name__}: {i.error}')}[/]", "")
        out.print(shown)
        out.print(f"[dim]fingerprint:[/] {reg.fingerprint()}", soft_wrap=True)
        return 0
    click.echo(f"{'plugin':<20} {'status':<8} {'distribution':<32} losses")
    for i in infos:
        dist = f"{i.distribution} {i.version}" if i.distribution else "-"
        line = f"{i.name:<20} {i.status:<8} {dist:<32} {len(i.losses)}"
        if i.error is not None:
            line += f"\n{'':<20} error: {type(i.error).__name__}: {i.error}"
        click.echo(line)
    click.echo(f"fingerprint: {reg.fingerprint()}")
    return 0


def loss_json(reg: Registry, name: str) -> dict[str, Any]:
    """What ``losskit list --json`` says about one loss (``losskit show --json`` says it too)."""
    spec, plugin = reg.get_spec(name), reg.provider(name)
    return {
        "name": name,
        "family": spec.family,
        "summary": spec.summary,
        "aliases": list(spec.aliases),
        "plugin": plugin.name,
        "distribution": plugin.distribution,
        "version": plugin.version,
        "params": _params_json(spec),
        "source": spec.source,
    }


def _params_json(spec: LossSpec) -> list[dict[str, Any]]:
    return [{"name": p.name, "default": p.default, "expected": p.expected(), "doc": p.doc} for p in spec.params or ()]


def catalogue(reg: Registry, family: str | None) -> str:
    """The loss catalogue as Markdown: one table per family, what docs/catalogue.md holds."""
    lines = []
    reg.list_losses(family=family)  # an unknown family is an error, not an empty catalogue
    for fam in reg.families():
        if family is not None and normalize(fam) != normalize(family):
            continue
        lines += [
            f"## {fam}",
            "",
            "| name | aliases | parameters | context | summary | source | plugin |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in reg.list_losses(family=fam):
            spec = reg.get_spec(name)
            params = ", ".join(f"`{p.name}={p.default!r}`" for p in spec.params or () if p.name != "reduction")
            keys = spec.context_keys
            context = ", ".join(
                f"`{k}`" + (" (required)" if k in keys.required else "") for k in sorted(keys.accepted)
            ) if keys else ""
            cells = [f"`{name}`", ", ".join(spec.aliases), params, context, spec.summary, spec.source,
                     reg.provider(name).distribution or ""]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)
