"""The committee's review page: ``review``."""

from __future__ import annotations

from pathlib import Path

import click

from ballotgen.errors import RequestError
from tally.cli.conference import show_codes
from tally.cli.options import conference_dir


@click.command()
@conference_dir
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. On any address but the loopback, every page needs a "
                   "member's code.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--new-codes", is_flag=True,
              help="Give every committee member a new code (printed once) before starting; the "
                   "old codes stop working.")
def review(folder: Path, host: str, port: int, new_codes: bool) -> None:
    """Open the review web page, where the committee resolves flagged ballots."""
    from tally.review.app import serve

    if new_codes:
        from tally.committee import new_codes as issue

        show_codes(issue(folder))
    try:
        serve(folder, host=host, port=port, announce=click.echo)
    except OSError as exc:
        raise RequestError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                           remedy="Choose another --port, or stop the program using it.") from exc


COMMANDS = (review,)
