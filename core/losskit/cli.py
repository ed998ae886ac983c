"""``losskit`` on the command line: list, show, check, plot and validate losses; run the demo and the monitor.

Built on click, drawn with rich: tables and colour on a terminal, plain text when
the output is piped (the formats that scripts and ``docs/catalogue.md`` rely on),
JSON with ``--json``. Nothing heavy is imported before a command needs it, so
``losskit --help`` and ``--version`` do not load torch.

Exit status: 0 done; 1 something was found wrong (a failed check, an invalid
config, an alarm from the monitor); 2 a usage error or a losskit error (one
line on stderr, no traceback); 141 the reader of a pipe went away
(``losskit list | head -1``), as for a program killed by SIGPIPE.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from ._naming import normalize
from .errors import LosskitError

if TYPE_CHECKING:
    from rich.console import Console

    from .registry import Registry
    from .spec import LossSpec
    from .testing.runner import CheckResult

EPIPE_STATUS = 141


def default_registry() -> Registry:
    """The registry every command reads (a test replaces this function)."""
    from ._default import default_registry as registry

    return registry()


def _console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr): it draws tables and colour only on a terminal."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o)))


def _table(*columns: str, **kwargs: Any) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, **kwargs)
    for column in columns:
        table.add_column(column)
    return table


JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")


class _App(click.Group):
    """The command group; a reader that closes the pipe ends the command quietly with EPIPE_STATUS."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            return EPIPE_STATUS


@click.group(cls=_App, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="losskit", message="%(prog)s %(version)s")
def app() -> None:
    """PyTorch loss functions from plugins: list, show, check, plot and validate them, or run the demo.

    `losskit demo` trains a small classifier with plain cross-entropy and with a
    composed loss, and shows what the composition changed.
    """


# -- list ------------------------------------------------------------------------------


@app.command("list")
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
    registry = default_registry()
    if plugins:
        return _list_plugins(registry, as_json)
    if markdown:
        click.echo(_catalogue(registry, family))
        return 0
    names = registry.list_losses(family=family)
    if as_json:
        _echo_json([_loss_json(registry, name) for name in names])
        return 0
    console = _console()
    if console.is_terminal:
        table = _table("name", "family", "summary", caption=f"{len(names)} losses; `losskit show NAME` for one")
        for name in names:
            spec = registry.get_spec(name)
            table.add_row(f"[bold cyan]{name}[/]", spec.family, spec.summary)
        console.print(table)
        return 0
    for name in names:
        spec = registry.get_spec(name)
        click.echo(f"{name:<28} {spec.family:<16} {spec.summary}")
    return 0


def _list_plugins(registry: Registry, as_json: bool) -> int:
    infos = registry.list_plugins()
    if as_json:
        plugins = [
            {"name": i.name, "status": i.status, "distribution": i.distribution, "version": i.version,
             "losses": list(i.losses), "error": None if i.error is None else f"{type(i.error).__name__}: {i.error}"}
            for i in infos
        ]
        _echo_json({"plugins": plugins, "fingerprint": registry.fingerprint()})
        return 0
    console = _console()
    if console.is_terminal:
        from rich.markup import escape

        colour = {"active": "green", "failed": "bold red", "blocked": "yellow"}
        table = _table("plugin", "status", "distribution", "losses")
        for i in infos:
            dist = f"{i.distribution} {i.version}" if i.distribution else "-"
            table.add_row(i.name, f"[{colour.get(i.status, 'white')}]{i.status}[/]", dist, str(len(i.losses)))
            if i.error is not None:
                table.add_row("", "", f"[red]error: {escape(f'{type(i.error).__name__}: {i.error}')}[/]", "")
        console.print(table)
        console.print(f"[dim]fingerprint:[/] {registry.fingerprint()}", soft_wrap=True)
        return 0
    click.echo(f"{'plugin':<20} {'status':<8} {'distribution':<32} losses")
    for i in infos:
        dist = f"{i.distribution} {i.version}" if i.distribution else "-"
        line = f"{i.name:<20} {i.status:<8} {dist:<32} {len(i.losses)}"
        if i.error is not None:
            line += f"\n{'':<20} error: {type(i.error).__name__}: {i.error}"
        click.echo(line)
    click.echo(f"fingerprint: {registry.fingerprint()}")
    return 0


def _loss_json(registry: Registry, name: str) -> dict[str, Any]:
    spec, plugin = registry.get_spec(name), registry.provider(name)
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


# -- show ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What ``losskit show`` prints about a loss or a composite (``--json`` prints it as it is)."""

    name: str
    summary: str
    description: str  # the registry's description, or a composite's config keys
    import_path: str
    functional: str | None
    formula: str | None
    example: str
    config: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


#: Config examples of the composites, which have no spec of their own.
_COMPOSITE_EXAMPLES = {
    "sum": {"name": "sum", "terms": [{"name": "focal", "gamma": 2.0}, {"name": "l2_penalty", "weight": 1.0e-4}]},
    "multitask": {"name": "multitask", "tasks": {"seg": {"name": "cross_entropy"}, "depth": {"name": "l1"}},
                  "weighting": "uncertainty", "task_types": {"seg": "classification", "depth": "regression"}},
}


def _show_options(command: Any) -> Any:
    command = click.argument("name")(command)
    return JSON_OPTION(command)


@app.command("show")
@_show_options
def show_command(name: str, as_json: bool) -> int:
    """Show a loss: parameters, contract, formula, example.

    The summary, parameters, input contract, formula, import path and an example. NAME is a
    registered loss (any case, an alias, or plugin:name) or a composite (sum, multitask).
    """
    registry = default_registry()
    shown = _composite(name, registry) if normalize(name) in _COMPOSITE_EXAMPLES else _registered(name, registry)
    if as_json:
        data = asdict(shown)
        _echo_json({**{k: v for k, v in data.items() if k not in ("details", "description")}, **data["details"]})
        return 0
    console = _console()
    if not console.is_terminal:
        click.echo(_show_text(shown))
        return 0
    from rich.markup import escape
    from rich.syntax import Syntax

    first, _, rest = shown.description.partition("\n")
    console.print(f"[bold cyan]{escape(first)}[/]")
    console.print(escape(rest))
    console.print(f"  [dim]import:[/] {shown.import_path}" + (f"   [dim]functional:[/] {shown.functional}"
                                                               if shown.functional else ""))
    if shown.formula:
        console.print("  [dim]formula:[/]")
        console.print(f"[yellow]{escape(_indent(shown.formula, 4))}[/]")
    console.print("  [dim]example:[/]")
    lexer = "pycon" if ">>>" in shown.example else "python"
    console.print(Syntax(shown.example, lexer, padding=(0, 4), background_color="default"))
    console.print(f"  [dim]config:[/] {escape(json.dumps(shown.config))}")
    return 0


app.add_command(
    _show_options(click.Command("describe", callback=show_command.callback, help="Same as show (its older name).")),
)


def _show_text(shown: Shown) -> str:
    lines = [shown.description, f"  import: {shown.import_path}"]
    if shown.functional:
        lines.append(f"  functional: {shown.functional}")
    if shown.formula:
        lines += ["  formula:", _indent(shown.formula, 4)]
    lines += ["  example:", _indent(shown.example, 4), f"  config: {json.dumps(shown.config)}"]
    return "\n".join(lines)


def _registered(name: str, registry: Registry) -> Shown:
    spec, factory = registry.get_spec(name), registry.get_spec(name).factory
    config = {"name": spec.name, **dict(spec.example_params)}
    args = "".join(f", {k}={v!r}" for k, v in spec.example_params.items())
    example = _docstring_example(factory.__doc__) or f'>>> loss = get_loss("{spec.name}"{args})'
    c, keys = spec.contract, spec.context_keys
    details = {
        **{k: v for k, v in _loss_json(registry, name).items() if k not in ("name", "summary")},
        "context": None if keys is None else {"accepted": sorted(keys.accepted), "required": sorted(keys.required)},
        "contract": {"input": c.input, "target": c.target, "input_shape": c.input_shape,
                     "target_shape": c.target_shape, "output_shape": c.output_shape},
        "tags": sorted(spec.tags),
    }
    return Shown(spec.name, spec.summary, registry.describe(name), _import_path(factory),
                 _import_path(spec.functional) if spec.functional else None, _formula(factory), example, config,
                 details)


def _composite(name: str, registry: Registry) -> Shown:
    from .compose import WeightedSum
    from .multitask import MultiTask
    from .schema import config_schema

    key = normalize(name)
    cls = {WeightedSum.loss_name: WeightedSum, MultiTask.loss_name: MultiTask}[key]
    schema = config_schema(registry)["$defs"][key]
    keys = {k: v for k, v in schema["properties"].items() if k != "name"}
    lines = [f"{key} — {schema['description']}", "  config keys:"]
    for k, prop in keys.items():
        required = " (required)" if k in schema.get("required", ()) else ""
        lines.append(f"    {k}{required}: {_describe_property(prop)}")
    config = _COMPOSITE_EXAMPLES[key]
    example = _docstring_example(cls.__doc__, sys.modules[cls.__module__].__doc__) or f">>> build_loss({config!r})"
    details = {"kind": "composite", "keys": keys, "required": list(schema.get("required", ()))}
    return Shown(key, schema["description"], "\n".join(lines), _import_path(cls), None, _formula(cls), example,
                 config, details)


def _describe_property(prop: dict[str, Any]) -> str:
    if "description" in prop:
        return prop["description"]
    if "enum" in prop:
        default = f" (default {prop['default']})" if "default" in prop else ""
        return "one of " + ", ".join(map(str, prop["enum"])) + default
    if prop.get("type") == "array":
        return "a list of config nodes"
    if prop.get("type") not in (None, "object"):
        return f"a {prop['type']}"
    values = prop.get("additionalProperties", {})
    of = "a config node" if "$ref" in values else _describe_property(values) if values else "a value"
    return f"a mapping of names to {of}"


def _import_path(obj: Any) -> str:
    """``package.Name`` from the shortest package of its module that exports the object, else ``module.QualName``."""
    module, name = obj.__module__, obj.__qualname__
    parts = module.split(".")
    for i in range(1, len(parts)):
        package = sys.modules.get(".".join(parts[:i]))
        if package is not None and getattr(package, name, None) is obj:
            return f"{package.__name__}.{name}"
    return f"{module}.{name}"


def _formula(obj: Any) -> str | None:
    """The ``.. math::`` blocks of the class's docstring (else its module's); else the docstring's opening
    ````literal```` when the docstring starts with one."""
    module = sys.modules.get(obj.__module__)
    for doc in (obj.__doc__, getattr(module, "__doc__", None)):
        blocks = _blocks(doc, ".. math::")
        if blocks:
            return "\n".join(blocks)
    literal = re.match(r"``(.+?)``", (obj.__doc__ or "").strip())
    return literal.group(1) if literal else None


def _docstring_example(*docs: str | None) -> str | None:
    """The first ``Examples:`` section or ``.. code-block:: python`` of the docstrings, without ``# doctest:``
    directives."""
    for doc in docs:
        for block in _blocks(doc, "Examples:", "Example:", ".. code-block:: python"):
            return re.sub(r"[ \t]*# doctest:.*$", "", block, flags=re.MULTILINE)
    return None


def _blocks(doc: str | None, *heads: str) -> list[str]:
    """The text indented under each line that starts with one of ``heads`` (and what follows the head on its line)."""
    lines, blocks = (doc or "").expandtabs().splitlines(), []
    for i, line in enumerate(lines):
        head = next((h for h in heads if line.strip().startswith(h)), None)
        if head is None:
            continue
        indent, body = len(line) - len(line.lstrip()), []
        for text in lines[i + 1:]:
            if text.strip() and len(text) - len(text.lstrip()) <= indent:
                break
            body.append(text)
        block = "\n".join(filter(None, (line.strip()[len(head):].strip(), textwrap.dedent("\n".join(body)).strip())))
        if block:
            blocks.append(block)
    return blocks


def _indent(text: str, width: int) -> str:
    return "\n".join(" " * width + line for line in text.splitlines())


# -- check -----------------------------------------------------------------------------


@app.command(
    "check",
    epilog="✓ passed, ✗ failed, - does not apply (not run; --why says why), s skipped while running, "
    "x expected failure.",
)
@click.argument("targets", nargs=-1, metavar="[NAME|PLUGIN]...")
@click.option("-c", "--check", "only", multiple=True, metavar="CHECK",
              help="only this check (repeatable; e.g. check_reference or ref)")
@click.option("-v", "--verbose", is_flag=True, help="also print the messages of checks skipped while running")
@click.option("--why", is_flag=True,
              help="run nothing: list which checks apply to each loss, and why the others do not")
@JSON_OPTION
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="also write the results as JUnit XML (one testcase per loss and check), for CI")
def check_command(targets: tuple[str, ...], only: tuple[str, ...], verbose: bool, why: bool, as_json: bool,
                  junit: Path | None) -> int:
    """Run the conformance suite over installed losses.

    Prints a table of losses by checks; exit status 1 on any failure. With no NAME, every installed
    loss; a PLUGIN name (or distribution) stands for its losses.
    """
    from .testing import cli_table

    registry, selected = default_registry(), list(only) or None
    if why:
        if junit:
            raise click.UsageError("--why runs nothing, so there is nothing for --junit to write.")
        if as_json:
            return _why_json(registry, targets, selected)
        return cli_table.print_why(registry, targets, only=selected)
    console = _console()
    if not (as_json or junit or console.is_terminal):
        return cli_table.run_and_print(registry, targets, only=selected, verbose=verbose)
    checks, subjects = cli_table._select(selected), cli_table._subjects(registry, targets)
    rows, seconds = _run_checks(subjects, checks)
    results = [r for row in rows for r in row]
    if junit:
        _write_junit(junit, results, seconds)
    if as_json:
        _echo_json({"checks": {c.short: c.__name__ for c in checks},
                    "results": [asdict(r) for r in results], "summary": _counts(results, len(subjects))})
    else:
        _print_checks(console, checks, subjects, rows, verbose)
    if junit and not as_json:
        click.echo(f"junit: {junit}")
    return 1 if any(r.status == "failed" for r in results) else 0


def _run_checks(subjects: Sequence[Any], checks: Sequence[Any]) -> tuple[list[list[CheckResult]], dict]:
    """One row of results per loss (a check that does not apply is an ``n/a`` result with the reason), and the
    seconds each check took; a progress bar on stderr while it runs, where stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .testing.checks import why_not
    from .testing.runner import CheckResult, run_check

    rows, seconds = [], {}
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    stderr = _console(stderr=True)
    with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task("checks", total=len(subjects))
        for subject in subjects:
            progress.update(task, description=subject.name)
            row = []
            for check in checks:
                reason = why_not(subject, check)
                if reason:
                    row.append(CheckResult(subject.name, check.__name__, "n/a", reason))  # type: ignore[arg-type]
                    continue
                start = time.perf_counter()
                row.append(run_check(subject, check))
                seconds[subject.name, check.__name__] = time.perf_counter() - start
            rows.append(row)
            progress.advance(task)
    return rows, seconds


def _counts(results: Sequence[CheckResult], losses: int) -> dict[str, int]:
    statuses = ("passed", "failed", "skipped", "xfail", "n/a")
    return {"losses": losses, **{s.replace("n/a", "not_applicable"): sum(r.status == s for r in results)
                                 for s in statuses}}


_STYLES = {"passed": "green", "failed": "bold red", "skipped": "yellow", "xfail": "magenta", "n/a": "dim"}


def _print_checks(console: Console, checks: Sequence[Any], subjects: Sequence[Any], rows: Sequence[Sequence[Any]],
                  verbose: bool) -> None:
    """The table of losses by checks, the legend, the failures and the counts; coloured on a terminal."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from .testing.cli_table import _LEGEND, _marks

    marks = _marks()
    names = max([len(s.name) for s in subjects] + [4])
    vertical = names + sum(len(c.short) + 3 for c in checks) > console.width  # then stack the headers' letters
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0 if vertical else 1))
    table.add_column("loss", no_wrap=True, vertical="bottom")
    for c in checks:
        table.add_column("\n".join(c.short) if vertical else c.short, justify="center", vertical="bottom", no_wrap=True)
    for subject, row in zip(subjects, rows):
        table.add_row(subject.name, *(f"[{_STYLES[r.status]}]{marks[r.status]}[/]" for r in row))
    console.print(table, crop=False)
    results = [r for row in rows for r in row]
    shown = {"passed", "failed", "n/a"} | {r.status for r in results}
    console.print("  ".join(f"[{_STYLES[k]}]{marks[k]}[/] {v}" for k, v in _LEGEND.items() if k in shown))
    console.print("[dim]" + escape("  ".join(f"{c.short}={c.__name__}" for c in checks)) + "[/]")
    for r in results:
        if r.status == "failed" or (verbose and r.status not in ("passed", "n/a")):
            console.print(f"\n[{_STYLES[r.status]}]{marks[r.status]} {r.loss} {r.check}:[/] {escape(r.message)}")
    counts = _counts(results, len(subjects))
    failed = "bold red" if counts["failed"] else "green"
    words = [f"{counts['passed']} passed", f"[{failed}]{counts['failed']} failed[/]"]
    words += [f"{counts[k]} {w}" for k, w in (("xfail", "expected failures"), ("skipped", "skipped while running"))
              if counts[k]]
    console.print(f"\n[bold]{len(subjects)} losses:[/] {', '.join(words)}, {counts['not_applicable']} not applicable")


def _write_junit(path: Path, results: Sequence[CheckResult], seconds: dict) -> None:
    """JUnit XML: a testcase per loss and check; a failure, or a skip (with the reason) for the rest."""
    import xml.etree.ElementTree as ET

    counts = _counts(results, 0)
    skipped = counts["skipped"] + counts["xfail"] + counts["not_applicable"]
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="losskit check", tests=str(len(results)),
                          failures=str(counts["failed"]), errors="0", skipped=str(skipped),
                          time=f"{sum(seconds.values()):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"losskit.{r.loss}", name=r.check,
                             time=f"{seconds.get((r.loss, r.check), 0.0):.3f}")
        if r.status == "failed":
            failure = ET.SubElement(case, "failure", message=r.message.partition("\n")[0], type="ConformanceError")
            failure.text = r.message
        elif r.status != "passed":
            prefix = {"n/a": "does not apply: ", "xfail": "expected failure: "}.get(r.status, "")
            ET.SubElement(case, "skipped", message=prefix + r.message)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _why_json(registry: Registry, targets: Sequence[str], only: Sequence[str] | None) -> int:
    from .testing import cli_table
    from .testing.checks import needs, why_not

    losses = []
    for subject in cli_table._subjects(registry, targets):
        entries = []
        for check in cli_table._select(only):
            reason = why_not(subject, check)
            entries.append({"check": check.__name__, "applies": not reason,
                            "needs": [str(n) for n in needs(check)], "reason": reason or None})
        losses.append({"name": subject.name, "checks": entries})
    _echo_json({"losses": losses})
    return 0


# -- plot, validate, schema ------------------------------------------------------------


@app.command("plot")
@click.argument("name")
@click.option("--sweep", metavar="PARAM[=V1,V2,...]",
              help="one curve per value of PARAM (PARAM alone: the classic values, e.g. focal's gamma)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png",
              help="where to write the figure (PNG, SVG or PDF by suffix; default: NAME.png)")
@click.option("--limits", metavar="LOW,HIGH", help="the x range: residuals, or probabilities inside (0, 1)")
def plot_command(name: str, sweep: str | None, out: Path | None, limits: str | None) -> int:
    """Draw a loss and its gradient, one curve per parameter value.

    Against the residual (regression) or the probability of the true class (classification).
    `losskit plot focal --sweep gamma=0,0.5,1,2,5` is figure 1 of Lin et al. (2017), with the gradient.
    """
    from .plotting import SWEEPS, plot_loss

    registry = default_registry()
    spec = registry.get_spec(name)
    param, values = _sweep(sweep) if sweep else (SWEEPS.get(spec.name, (None,))[0], None)
    try:
        path = plot_loss(name, param, values, out or Path(f"{spec.name}.png"), registry=registry,
                         limits=_limits(limits) if limits else None)
    except ImportError as exc:
        click.echo(f"losskit plot: {exc}", err=True)
        return 2
    click.echo(f"plot: {path}")
    return 0


def _sweep(text: str) -> tuple[str, list[str] | None]:
    param, eq, values = text.partition("=")
    items = [v.strip() for v in values.split(",")]
    if not param.strip() or (eq and not all(items)):
        raise click.BadParameter(f"expected PARAM or PARAM=V1,V2,..., got {text!r}", param_hint="--sweep")
    return param.strip(), items if eq else None


def _limits(text: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected LOW,HIGH (two numbers), got {text!r}", param_hint="--limits") from None
    return low, high


@app.command("validate")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@JSON_OPTION
def validate_command(config: Path, as_json: bool) -> int:
    """Build a config file and print its loss tree.

    YAML, JSON or TOML. When it does not build: the path of the culprit in the tree, and exit status 1.
    """
    from .config import build_loss

    try:
        built = build_loss(config, registry=default_registry()).to_config()
    except LosskitError as exc:
        if as_json:
            _echo_json({"valid": False, "config": str(config), "error": str(exc), "type": type(exc).__name__})
        else:
            click.echo(f"losskit validate: {config}: {type(exc).__name__}: {exc}", err=True)
        return 1
    if as_json:
        _echo_json({"valid": True, "config": str(config), "loss": built})
        return 0
    console = _console()
    if console.is_terminal:
        from rich.markup import escape
        from rich.tree import Tree

        def grow(tree: Tree, node: dict[str, Any]) -> None:
            for label, child in _children(node):
                grow(tree.add(escape(label)), child)

        tree = Tree(f"[bold]{escape(_node_label(built))}[/]")
        grow(tree, built)
        console.print(f"[green]✓[/] {escape(str(config))} builds:")
        console.print(tree)
        return 0
    click.echo(f"{config}: valid")
    click.echo("\n".join([_node_label(built), *_tree_lines(built)]))
    return 0


def _children(node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if node["name"] == "sum":
        return [(_node_label(t), t) for t in node["terms"]]
    if node["name"] == "multitask":
        return [(f"{task}: {_node_label(t)}", t) for task, t in node["tasks"].items()]
    return []


def _node_label(node: dict[str, Any]) -> str:
    weight = f"{node['weight']:g} * " if "weight" in node else ""
    skip = {"name", "weight", "terms", "tasks"}
    params = ", ".join(f"{k}={v!r}" for k, v in node.items() if k not in skip)
    return f"{weight}{node['name']}" + (f"({params})" if params else "")


def _tree_lines(node: dict[str, Any], depth: int = 1) -> list[str]:
    lines = []
    for label, child in _children(node):
        lines += ["  " * depth + "- " + label, *_tree_lines(child, depth + 1)]
    return lines


@app.command("schema")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.json",
              help="write it to a file instead of printing it")
def schema_command(out: Path | None) -> int:
    """Print the JSON Schema of the config format.

    Draft 2020-12, generated from the installed losses' parameters.
    """
    from .schema import config_schema

    text = json.dumps(config_schema(default_registry()), indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"schema: {out}")
        return 0
    console = _console()
    if console.is_terminal:
        console.print_json(text)
    else:
        click.echo(text)
    return 0


# -- monitor, demo ---------------------------------------------------------------------


@app.command("monitor")
@click.argument("log", metavar="run.jsonl|run.csv")
@click.option("--out", metavar="FILE.png", help="where to write the plot (default: the log's name with .png)")
@click.option("--json", "as_json", is_flag=True, help="print the findings as JSON lines")
@click.option("--no-plot", is_flag=True, help="do not write a plot")
def monitor_command(log: str, out: str | None, as_json: bool, no_plot: bool) -> int:
    """Report on a logged run: spikes, NaNs, plateaus, overfitting.

    Runs the loss monitor over a log of per-term values (JSON lines or CSV, one record per step;
    see losskit.monitor.logfile), prints the findings with their likely causes and remedies, and
    writes a PNG of the curves with the findings marked. Exit status: 0 no alarm, 1 warnings or
    critical findings, 2 the log could not be read.
    """
    from .monitor.report import analyze

    try:
        report = analyze(log)
    except OSError as exc:
        click.echo(f"losskit monitor: cannot read {log}: {exc.strerror or exc}", err=True)
        return 2
    if as_json:
        click.echo(report.jsonl(), nl=False)
    else:
        click.echo(report.text())
    if not no_plot:
        path = Path(out) if out else Path(log).with_suffix(".png")
        try:
            report.plot(path)
        except ImportError as exc:
            click.echo(f"losskit monitor: no plot: {exc}", err=True)
            if out:
                return 2
        else:
            click.echo(f"plot: {path}", err=as_json)
    return 1 if report.alarms else 0


@app.command("demo")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="the composite to train with (YAML, JSON or TOML; default: the demo's focal + L2 + parity)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("losskit-demo"),
              show_default=True, metavar="DIR", help="where to write the PNG, the logs and metrics.json")
@click.option("--steps", type=click.IntRange(min=1), metavar="N", help="training steps of each run")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the data and the initial weights")
@JSON_OPTION
def demo_command(config: Path | None, out: Path, steps: int | None, seed: int, as_json: bool) -> int:
    """Train a classifier with cross-entropy and with a composite loss.

    A small MLP, trained twice from the same weights, then compared. The data are synthetic,
    class-imbalanced (about 1 in 4 positive) and carry a sensitive group whose base rate differs;
    the table shows test-set accuracy, balanced accuracy, the demographic-parity gap and the
    final value of each loss term.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .demo import report, run_demo

    stderr, console = _console(stderr=True), _console()
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, disable=not stderr.is_terminal) as progress:
        tasks: dict[int, Any] = {}

        def on_step(index: int, label: str, step: int, total: int) -> None:
            if index not in tasks:
                tasks[index] = progress.add_task(label, total=total)
            progress.update(tasks[index], completed=step)

        kwargs = {"steps": steps} if steps is not None else {}
        result = run_demo(config, out=out, seed=seed, on_step=on_step, registry=default_registry(), **kwargs)
    if as_json:
        _echo_json({**report.metrics(result.runs), "files": [str(p) for p in result.files],
                    "no_plot": result.no_plot})
        return 0
    from .demo import TEST_SAMPLES, TRAIN_SAMPLES

    first = result.runs[0]
    click.echo(f"{len(result.runs)} runs of {len(first.steps)} full-batch Adam steps from the same initial weights, "
               f"on {TRAIN_SAMPLES} synthetic samples; scored on {TEST_SAMPLES} others.")
    for run in result.runs:
        config = run.loss.to_config()
        click.echo("\n".join([f"  {run.label}: {_node_label(config)}", *_tree_lines(config, 2)]))
    header, sections = ["", *(r.label for r in result.runs)], report.table(result.runs)
    if console.is_terminal:
        table = _table(*header, title="losskit demo: test set", title_justify="left")
        for section in sections:
            for i, (label, cells) in enumerate(section):
                table.add_row(label, *cells, end_section=i == len(section) - 1)
        console.print(table)
    else:
        width = max(len(label) for section in sections for label, _ in section) + 2
        click.echo("".join(f"{h:<{width if i == 0 else 18}}" for i, h in enumerate(header)).rstrip())
        for label, cells in (row for section in sections for row in section):
            click.echo((f"{label:<{width}}" + "".join(f"{c:<18}" for c in cells)).rstrip())
    for path in result.files:
        click.echo(f"wrote {path}")
    if result.no_plot:
        click.echo(f"no plot: {result.no_plot}", err=True)
    click.echo(f"`losskit monitor {out / (report.slug(result.runs[-1].label) + '.jsonl')}` reports on a run; "
               "`losskit show NAME` explains a term.")
    return 0


# -- entry point -----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    try:
        status = app.main(args=list(argv) if argv is not None else None, prog_name="losskit", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("losskit: interrupted", err=True)
        return 130
    except LosskitError as exc:
        click.echo(f"losskit: {type(exc).__name__}: {exc}", err=True)
        return 2
    except OSError as exc:  # a file that cannot be written or read: one line, not a traceback
        click.echo(f"losskit: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return 2
    return status or 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail on the closed pipe too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


if __name__ == "__main__":
    sys.exit(main())
