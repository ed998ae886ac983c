"""``losskit demo``: train a classifier with cross-entropy and with a composite loss, and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ._output import JSON_OPTION, console, echo_json, registry, table
from ._tree import node_label, tree_lines


@click.command("demo")
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

    from ..demo import report, run_demo

    stderr, stdout = console(stderr=True), console()
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr, disable=not stderr.is_terminal) as progress:
        tasks: dict[int, Any] = {}

        def on_step(index: int, label: str, step: int, total: int) -> None:
            if index not in tasks:
                tasks[index] = progress.add_task(label, total=total)
            progress.update(tasks[index], completed=step)

        kwargs = {"steps": steps} if steps is not None else {}
        result = run_demo(config, out=out, seed=seed, on_step=on_step, registry=registry(), **kwargs)
    if as_json:
        echo_json({**report.metrics(result.runs), "files": [str(p) for p in result.files],
                   "no_plot": result.no_plot})
        return 0
    from ..demo import TEST_SAMPLES, TRAIN_SAMPLES

    first = result.runs[0]
    click.echo(f"{len(result.runs)} runs of {len(first.steps)} full-batch Adam steps from the same initial weights, "
               f"on {TRAIN_SAMPLES} synthetic samples; scored on {TEST_SAMPLES} others.")
    for run in result.runs:
        config = run.loss.to_config()
        click.echo("\n".join([f"  {run.label}: {node_label(config)}", *tree_lines(config, 2)]))
    header, sections = ["", *(r.label for r in result.runs)], report.table(result.runs)
    if stdout.is_terminal:
        shown = table(*header, title="losskit demo: test set", title_justify="left")
        for section in sections:
            for i, (label, cells) in enumerate(section):
                shown.add_row(label, *cells, end_section=i == len(section) - 1)
        stdout.print(shown)
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
