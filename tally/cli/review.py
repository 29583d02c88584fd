"""The committee's review page: ``review``."""

from __future__ import annotations

from pathlib import Path

import click

from ballotgen import i18n
from ballotgen.errors import RequestError
from ballotgen.i18n import N_, _
from tally.cli.conference import show_codes
from tally.cli.options import conference_dir


@click.command(help=N_("Open the review web page, where the committee resolves flagged "
                       "ballots."))
@conference_dir
@click.option("--host", default="127.0.0.1", show_default=True,
              help=N_("Address to listen on. On any address but the loopback, every page needs "
                      "a member's code."))
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help=N_("Port to listen on (0: any free port)."))
@click.option("--new-codes", is_flag=True,
              help=N_("Give every committee member a new code (printed once) before starting; "
                      "the old codes stop working."))
@click.option("--lang", type=click.Choice(i18n.LANGUAGES),
              help=N_("Language of the pages: vi or en [default: the command's, see "
                      "'tinnhiem --help']."))
def review(folder: Path, host: str, port: int, new_codes: bool, lang: str | None) -> None:
    from tally.review.app import serve

    if lang is not None:
        i18n.set_language(lang)
    if new_codes:
        from tally.committee import new_codes as issue

        show_codes(issue(folder))
    try:
        serve(folder, host=host, port=port, announce=click.echo)
    except OSError as exc:
        raise RequestError(_("cannot listen on {address} ({problem})").format(
            address=f"{host}:{port}", problem=exc.strerror or exc),
            remedy=_("Choose another --port, or stop the program using it.")) from exc


COMMANDS = (review,)
