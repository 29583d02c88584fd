"""The ``tinnhiem`` command: thin shells over the library, one function call per command.

Each command parses its input, calls one library function and reports; the commands are
grouped by stage (:mod:`~tally.cli.conference`: before the vote; :mod:`~tally.cli.scanning`:
scans in, readings out; :mod:`~tally.cli.review`; :mod:`~tally.cli.counting`: the count and
its audit). Commands that live outside the production packages (``rehearsal``'s) are found
by name in the entry point group :data:`PLUGIN_GROUP`.

Only this module catches :class:`~ballotgen.errors.TinnhiemError`: it prints the message (naming the
file and what to do) and exits with the error's code. Tracebacks appear only with ``-v``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import sys
import traceback

import click

from ballotgen.errors import ExitCode, TinnhiemError
from tally.cli import conference, counting, review, scanning

PLUGIN_GROUP = "tinnhiem.commands"
"""Entry point group of commands that other packages of the distribution add (``rehearsal``'s
``simulate`` and ``simulate-review``): looked up by name, never imported by this package."""


@functools.lru_cache(maxsize=1)
def _plugins() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=PLUGIN_GROUP)}


class _Group(click.Group):
    """Turns our errors into a one-paragraph message and an exit code; finds the commands
    registered in :data:`PLUGIN_GROUP` beside its own."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _plugins():
            command = _plugins()[cmd_name].load()
            if not isinstance(command, click.Command):
                raise TypeError(f"entry point {cmd_name!r} of {PLUGIN_GROUP} is not a command")
        return command

    def invoke(self, ctx: click.Context) -> object:
        os.umask(0o077)  # everything we create is readable by its owner only (domain rule 11)
        try:
            return super().invoke(ctx)
        except TinnhiemError as exc:
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(f"error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: say so, keep the details for -v
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "  → Run again with -v and report the output.", err=True)
            sys.exit(int(ExitCode.INTERNAL))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors.")
@click.version_option(package_name="tinnhiem")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Paper confidence votes (lấy phiếu tín nhiệm): print ballots, read scans, count, report."""
    ctx.meta["verbose"] = verbose


for module in (conference, scanning, review, counting):
    for command in module.COMMANDS:
        main.add_command(command)
