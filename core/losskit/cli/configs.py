"""``losskit validate`` and ``losskit schema``: a config file's loss tree, and the config format's JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..errors import LosskitError
from ._output import JSON_OPTION, console, echo_json, registry
from ._tree import children, node_label, tree_lines


@click.command("validate")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@JSON_OPTION
def validate_command(config: Path, as_json: bool) -> int:
    """Build a config file and print its loss tree.

    YAML, JSON or TOML. When it does not build: the path of the culprit in the tree, and exit status 1.
    """
    from ..config import build_loss

    try:
        built = build_loss(config, registry=registry()).to_config()
    except LosskitError as exc:
        if as_json:
            echo_json({"valid": False, "config": str(config), "error": str(exc), "type": type(exc).__name__})
        else:
            click.echo(f"losskit validate: {config}: {type(exc).__name__}: {exc}", err=True)
        return 1
    if as_json:
        echo_json({"valid": True, "config": str(config), "loss": built})
        return 0
    out = console()
    if out.is_terminal:
        from rich.markup import escape
        from rich.tree import Tree

        def grow(tree: Tree, node: dict[str, Any]) -> None:
            for label, child in children(node):
                grow(tree.add(escape(label)), child)

        tree = Tree(f"[bold]{escape(node_label(built))}[/]")
        grow(tree, built)
        out.print(f"[green]✓[/] {escape(str(config))} builds:")
        out.print(tree)
        return 0
    click.echo(f"{config}: valid")
    click.echo("\n".join([node_label(built), *tree_lines(built)]))
    return 0


@click.command("schema")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.json",
              help="write it to a file instead of printing it")
def schema_command(out: Path | None) -> int:
    """Print the JSON Schema of the config format.

    Draft 2020-12, generated from the installed losses' parameters.
    """
    from ..schema import config_schema

    text = json.dumps(config_schema(registry()), indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"schema: {out}")
        return 0
    terminal = console()
    if terminal.is_terminal:
        terminal.print_json(text)
    else:
        click.echo(text)
    return 0
