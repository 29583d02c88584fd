"""What the commands' arguments and options have in common: the conference folder, text that
will be printed (checked for invisible characters and legacy encodings), dates and members."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ballotgen.i18n import N_
from tally.facts import (
    FactError,
    check_required,
    check_text,
    check_timezone,
    parse_date,
    parse_end_time,
    parse_member,
)


def _checked(check, value):
    """``check`` applied to ``value`` (or to each of a tuple), its refusal as click's."""
    try:
        for text in value if isinstance(value, tuple) else (value,):
            check(text)
    except FactError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


def unicode_text(ctx: click.Context, param: click.Parameter, value):
    """Refuse option text with invisible characters, or typed in a legacy Vietnamese encoding:
    it would be printed as garbage."""
    return _checked(check_text, value)


def required_text(ctx: click.Context, param: click.Parameter, value):
    """:func:`unicode_text`, and refuse an empty text (or a line of an --org that is)."""
    return _checked(check_required, value)


def conference_date(ctx: click.Context, param: click.Parameter, value: str) -> dt.date:
    """A date typed YYYY-MM-DD (:func:`tally.facts.parse_date`)."""
    try:
        return parse_date(value)
    except FactError as exc:
        raise click.BadParameter(str(exc)) from exc


conference_dir = click.argument("folder", metavar=N_("DIR"), type=click.Path(path_type=Path))


def member_list(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]):
    """Members of the committee given as ``NAME:ROLE``."""
    from tally.minutes import Member  # the minutes' module is slow to import

    try:
        return [Member(*parse_member(item)) for item in value]
    except FactError as exc:
        raise click.BadParameter(str(exc)) from exc


def timezone_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An IANA time zone the system knows ("Asia/Ho_Chi_Minh")."""
    return _checked(check_timezone, value)


def end_of_count(ctx: click.Context, param: click.Parameter, value: str | None):
    """The end of the count as the committee states it (:func:`tally.facts.parse_end_time`);
    None: now."""
    if value is None:
        return None
    try:
        return parse_end_time(value)
    except FactError as exc:
        raise click.BadParameter(str(exc)) from exc
