"""What every command prints with: the registry it reads, a rich console, JSON, tables, and a closed pipe.

A rich console draws tables and colour only on a terminal; piped, the commands print plain text.
A reader that closes the pipe (``losskit list | head -1``) ends the command quietly with
:data:`EPIPE_STATUS`, as for a program killed by SIGPIPE.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from ..registry import Registry

EPIPE_STATUS = 141

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="print JSON instead of text")


def registry() -> Registry:
    """``losskit.cli.default_registry()``, looked up when called (so that a test's replacement of it holds)."""
    from . import default_registry

    return default_registry()


def console(*, stderr: bool = False) -> Console:
    """A rich console on the current stdout (or stderr): it draws tables and colour only on a terminal."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o)))


def table(*columns: str, **kwargs: Any) -> Any:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, **kwargs)
    for column in columns:
        table.add_column(column)
    return table


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail on the closed pipe too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass
