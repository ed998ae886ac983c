"""``losskit`` on the command line: list, show, check, plot and validate losses; run the demo and the monitor.

Built on click, drawn with rich: tables and colour on a terminal, plain text when
the output is piped (the formats that scripts and ``docs/catalogue.md`` rely on),
JSON with ``--json``. Nothing heavy is imported before a command needs it, so
``losskit --help`` and ``--version`` do not load torch.

Exit status: 0 done; 1 something was found wrong (a failed check, an invalid
config, an alarm from the monitor); 2 a usage error or a losskit error (one
line on stderr, no traceback); 141 the reader of a pipe went away
(``losskit list | head -1``), as for a program killed by SIGPIPE.

This package holds the click group and :func:`main`; each command lives in a module of its own
(``catalog``: list; ``show``: show and describe; ``check``; ``plot``; ``configs``: validate and
schema; ``monitor``; ``demo``), and ``_output`` holds what they print with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..errors import LosskitError
from ._output import EPIPE_STATUS, silence_stdout
from .catalog import list_command
from .check import check_command
from .configs import schema_command, validate_command
from .demo import demo_command
from .monitor import monitor_command
from .plot import plot_command
from .show import describe_command, show_command

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["EPIPE_STATUS", "app", "default_registry", "main"]


def default_registry() -> Registry:
    """The registry every command reads (a test replaces this function)."""
    from .._default import default_registry as registry

    return registry()


class _App(click.Group):
    """The command group; a reader that closes the pipe ends the command quietly with EPIPE_STATUS."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            silence_stdout()
            return EPIPE_STATUS


@click.group(cls=_App, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="losskit", message="%(prog)s %(version)s")
def app() -> None:
    """PyTorch loss functions from plugins: list, show, check, plot and validate them, or run the demo.

    `losskit demo` trains a small classifier with plain cross-entropy and with a
    composed loss, and shows what the composition changed.
    """


for _command in (list_command, show_command, describe_command, check_command, plot_command, validate_command,
                 schema_command, monitor_command, demo_command):
    app.add_command(_command)
del _command


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
