"""``losskit monitor``: the loss monitor's findings on a logged run, and a plot of its curves."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("monitor")
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
    from ..monitor.report import analyze

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
