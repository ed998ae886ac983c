"""``losskit plot``: a loss and its gradient, one curve per value of a parameter."""

from __future__ import annotations

from pathlib import Path

import click

from ._output import registry


@click.command("plot")
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
    from ..plotting import SWEEPS, plot_loss

    reg = registry()
    spec = reg.get_spec(name)
    param, values = _sweep(sweep) if sweep else (SWEEPS.get(spec.name, (None,))[0], None)
    try:
        path = plot_loss(name, param, values, out or Path(f"{spec.name}.png"), registry=reg,
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
