"""``losskit check``: run the conformance suite and print a table of losses by checks, JSON or JUnit XML.

Piped without ``--json`` or ``--junit``, :mod:`losskit.testing.cli_table` prints the plain table row by
row as the checks run; this module draws the rich table, with what follows it from the same
:func:`~losskit.testing.cli_table.summary_lines`, and writes JSON and JUnit XML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._output import JSON_OPTION, console, echo_json, registry

if TYPE_CHECKING:
    from rich.console import Console

    from ..registry import Registry
    from ..testing.runner import CheckResult


@click.command(
    "check",
    epilog="✓ passed, ✗ failed, - does not apply (not run; --why says why), s skipped while running, "
    "x expected failure, ! warned (a check newer than the spec's conformance level failed).",
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
    from ..testing import cli_table

    reg, selected = registry(), list(only) or None
    if why:
        if junit:
            raise click.UsageError("--why runs nothing, so there is nothing for --junit to write.")
        if as_json:
            return _why_json(reg, targets, selected)
        return cli_table.print_why(reg, targets, only=selected)
    out = console()
    if not (as_json or junit or out.is_terminal):
        return cli_table.run_and_print(reg, targets, only=selected, verbose=verbose)
    checks, subjects = cli_table.select_checks(selected), cli_table.select_subjects(reg, targets)
    rows, seconds = _run_checks(subjects, checks)
    results = [r for row in rows for r in row]
    if junit:
        _write_junit(junit, results, seconds)
    if as_json:
        echo_json({"checks": {c.short: c.__name__ for c in checks}, "results": [asdict(r) for r in results],
                   "summary": cli_table.count_statuses(results, len(subjects))})
    else:
        _print_checks(out, checks, subjects, rows, verbose)
    if junit and not as_json:
        click.echo(f"junit: {junit}")
    return 1 if any(r.status == "failed" for r in results) else 0


def _run_checks(subjects: Sequence[Any], checks: Sequence[Any]) -> tuple[list[list[CheckResult]], dict]:
    """One row of results per loss (a check that does not apply is an ``n/a`` result with the reason), and the
    seconds each check took; a progress bar on stderr while it runs, where stderr is a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..testing.cli_table import run_row

    rows: list[list[CheckResult]] = []
    seconds: dict = {}
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    stderr = console(stderr=True)
    with Progress(*columns, console=stderr, transient=True, disable=not stderr.is_terminal) as progress:
        task = progress.add_task("checks", total=len(subjects))
        for subject in subjects:
            progress.update(task, description=subject.name)
            rows.append(run_row(subject, checks, seconds))
            progress.advance(task)
    return rows, seconds


def _print_checks(out: Console, checks: Sequence[Any], subjects: Sequence[Any], rows: Sequence[Sequence[Any]],
                  verbose: bool) -> None:
    """The table of losses by checks, the legend, the failures and the counts; coloured on a terminal."""
    from rich import box
    from rich.table import Table

    from ..testing.cli_table import STYLES, marks, summary_lines

    mark = marks()
    names = max([len(s.name) for s in subjects] + [4])
    vertical = names + sum(len(c.short) + 3 for c in checks) > out.width  # then stack the headers' letters
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 0 if vertical else 1))
    table.add_column("loss", no_wrap=True, vertical="bottom")
    for c in checks:
        table.add_column("\n".join(c.short) if vertical else c.short, justify="center", vertical="bottom", no_wrap=True)
    for subject, row in zip(subjects, rows):
        table.add_row(subject.name, *(f"[{STYLES[r.status]}]{mark[r.status]}[/]" for r in row))
    out.print(table, crop=False)
    for line in summary_lines(checks, [r for row in rows for r in row], len(subjects), verbose=verbose, markup=True):
        out.print(line)


def _write_junit(path: Path, results: Sequence[CheckResult], seconds: dict) -> None:
    """JUnit XML: a testcase per loss and check; a failure, or a skip (with the reason) for the rest."""
    import xml.etree.ElementTree as ET

    from ..testing.cli_table import count_statuses

    counts = count_statuses(results, 0)
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
        elif r.status == "warned":
            ET.SubElement(case, "system-err").text = f"warning: {r.message}"
        elif r.status != "passed":
            prefix = {"n/a": "does not apply: ", "xfail": "expected failure: "}.get(r.status, "")
            ET.SubElement(case, "skipped", message=prefix + r.message)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _why_json(reg: Registry, targets: Sequence[str], only: Sequence[str] | None) -> int:
    from ..testing import cli_table
    from ..testing.checks import needs, why_not

    losses = []
    for subject in cli_table.select_subjects(reg, targets):
        entries = []
        for check in cli_table.select_checks(only):
            reason = why_not(subject, check)
            entries.append({"check": check.__name__, "applies": not reason,
                            "needs": [str(n) for n in needs(check)], "reason": reason or None})
        losses.append({"name": subject.name, "checks": entries})
    echo_json({"losses": losses})
    return 0
