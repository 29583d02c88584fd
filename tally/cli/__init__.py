"""The ``tinnhiem`` command: thin shells over the library, one function call per command.

Each command parses its input, calls one library function and reports; the commands are
grouped by stage (:mod:`~tally.cli.conference`: before the vote; :mod:`~tally.cli.scanning`:
scans in, readings out; :mod:`~tally.cli.review`; :mod:`~tally.cli.counting`: the count and
its audit). Commands that live outside the production packages (``rehearsal``'s) are found
by name in the entry point group :data:`PLUGIN_GROUP`.

Only this module catches :class:`~ballotgen.errors.TinnhiemError`: it prints the message (naming the
file and what to do) and exits with the error's code. Tracebacks appear only with ``-v``.

Everything the command shows is in the user's language (:mod:`ballotgen.i18n`): Vietnamese unless
``--lang en`` or the environment asks for English. Help texts are marked ``N_`` where they are
written and translated when the help is shown (:func:`localise`); click's own words (``Usage:``,
its usage errors) come from the same catalogue (:mod:`~tally.cli.click_messages`).
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import sys
import traceback

import click

from ballotgen import i18n
from ballotgen.errors import ExitCode, TinnhiemError
from ballotgen.i18n import N_, _
from tally.cli import click_messages, conference, counting, review, scanning

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
        if command is not None:
            localise(command)
        return command

    def main(self, *args, **kwargs):
        before = i18n.chosen()  # '--lang' is this run's: the process speaks as before after it
        localise(self)  # now: '--help' may come before '--lang'
        try:
            return super().main(*args, **kwargs)
        finally:
            i18n.set_language(before)
            localise(self)

    def invoke(self, ctx: click.Context) -> object:
        os.umask(0o077)  # everything we create is readable by its owner only (domain rule 11)
        try:
            return super().invoke(ctx)
        except TinnhiemError as exc:
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(_("error: {message}").format(message=exc), err=True)
            sys.exit(int(exc.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: say so, keep the details for -v
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(_("internal error: {error}\n"
                         "  → Run again with -v and report the output.").format(
                           error=f"{type(exc).__name__}: {exc}"), err=True)
            sys.exit(int(ExitCode.INTERNAL))


_TEXTS = ("help", "short_help", "epilog", "metavar", "options_metavar", "subcommand_metavar")
"""The attributes of a command or parameter that hold text for the user (English ids)."""


def _type_metavar(param: click.Parameter) -> str | None:
    """The English id of the placeholder click would show for an option's value ("TEXT"), so
    that it is translated too; None where click shows the choices or nothing."""
    if not isinstance(param, click.Option) or param.is_flag or param.count:
        return None
    kind = param.type
    if isinstance(kind, click.Path):
        if kind.dir_okay and not kind.file_okay:
            return N_("DIR")
        return N_("FILE") if not kind.dir_okay else N_("PATH")
    if isinstance(kind, click.Choice):
        return None
    return {"text": N_("TEXT"), "integer": N_("INTEGER"), "float": N_("FLOAT")}.get(kind.name)


def localise(command: click.Command) -> None:
    """Show ``command``'s help (and its subcommands', its parameters') in the current language.

    The English ids are kept on each object the first time, so the same command can be shown in
    another language afterwards (tests invoke it many times in one process)."""
    for item in (command, *command.params):
        ids = item.__dict__.setdefault("_tinnhiem_ids", {})
        for attr in _TEXTS:
            ids.setdefault(attr, getattr(item, attr, None))
            if attr == "metavar" and ids[attr] is None and isinstance(item, click.Parameter):
                ids[attr] = _type_metavar(item)
            if isinstance(ids[attr], str) and ids[attr]:
                setattr(item, attr, _(ids[attr]))
    command._help_option = None  # click makes it, and its help, anew in the current language
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise(sub)


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    i18n.set_language(value)
    localise(ctx.find_root().command)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_("{prog}, version {version}").format(
            prog=ctx.find_root().info_name, version=importlib.metadata.version("tinnhiem")))
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Paper confidence votes (lấy phiếu tín nhiệm): print ballots, read scans, "
                     "count, report."))
@click.option("--lang", type=click.Choice(i18n.LANGUAGES), is_eager=True, expose_value=False,
              callback=_choose_language,
              help=N_("Language of messages, help and pages: vi (Vietnamese) or en (English) "
                      "[default: TINNHIEM_LANG, otherwise English if the locale (LANGUAGE, "
                      "LC_ALL, LC_MESSAGES, LANG) is English, otherwise Vietnamese]."))
@click.option("-v", "--verbose", is_flag=True, help=N_("Show tracebacks of errors."))
@click.option("--version", is_flag=True, is_eager=True, expose_value=False,
              callback=_show_version, help=N_("Show the version and exit."))
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    ctx.meta["verbose"] = verbose


click_messages.install()


for module in (conference, scanning, review, counting):
    for command in module.COMMANDS:
        main.add_command(command)
