"""The committee's review page, ``review``, and the web console over a workspace, ``serve``."""

from __future__ import annotations

from pathlib import Path

import click

from ballotgen import i18n
from ballotgen.errors import RequestError
from ballotgen.i18n import N_, _
from tally.cli.conference import show_codes
from tally.cli.options import conference_dir

PORT = click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
                    help=N_("Port to listen on (0: any free port)."))
LANGUAGE = click.option("--lang", type=click.Choice(i18n.LANGUAGES),
                        help=N_("Language of the pages: vi or en [default: the command's, see "
                                "'tinnhiem --help']."))


def listen(run, folder: Path, host: str, port: int) -> None:
    """Serve ``folder`` with ``run`` (an app's ``serve``) until interrupted; a port that cannot
    be listened on is the user's to change."""
    try:
        run(folder, host=host, port=port, announce=click.echo)
    except OSError as exc:
        raise RequestError(_("cannot listen on {address} ({problem})").format(
            address=f"{host}:{port}", problem=exc.strerror or exc),
            remedy=_("Choose another --port, or stop the program using it.")) from exc


@click.command(help=N_("Open the review web page, where the committee resolves flagged "
                       "ballots."))
@conference_dir
@click.option("--host", default="127.0.0.1", show_default=True,
              help=N_("Address to listen on. On any address but the loopback, every page needs "
                      "a member's code."))
@PORT
@click.option("--new-codes", is_flag=True,
              help=N_("Give every committee member a new code (printed once) before starting; "
                      "the old codes stop working."))
@LANGUAGE
def review(folder: Path, host: str, port: int, new_codes: bool, lang: str | None) -> None:
    from tally.review.app import serve

    if lang is not None:
        i18n.set_language(lang)
    if new_codes:
        from tally.committee import new_codes as issue

        show_codes(issue(folder))
    listen(serve, folder, host, port)


@click.command(help=N_(
    "Open the web console over the workspace folder WORKSPACE (default: the current folder), "
    "where each sub-folder is a conference: create conferences from their rosters, print their "
    "ballots, read their scans (uploaded or from a watched folder), open each conference's "
    "review page, count, and write and check the audit archive.\n\n"
    "The clerk's pages open only on this computer; a conference's review page follows the "
    "rules of 'tinnhiem review' (off the loopback every page needs a member's code)."))
@click.argument("workspace", metavar=N_("WORKSPACE"), required=False, default=".",
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True,
              help=N_("Address to listen on. On any address but the loopback, every review page "
                      "needs a member's code."))
@PORT
@LANGUAGE
def serve(workspace: Path, host: str, port: int, lang: str | None) -> None:
    from tally.console.app import serve as run
    from tally.files import os_failure

    if lang is not None:
        i18n.set_language(lang)
    try:
        workspace.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise os_failure(workspace, exc) from exc
    listen(run, workspace, host, port)


COMMANDS = (review, serve)
