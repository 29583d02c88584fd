"""What the commands' arguments and options have in common: the conference folder, text that
will be printed (checked for invisible characters and legacy encodings), dates and members."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path

import click

from ballotgen.i18n import N_, _
from ballotgen.vietnamese import encoding_problem, invisible_character, nfc


def unicode_text(ctx: click.Context, param: click.Parameter, value):
    """Refuse option text with invisible characters, or typed in a legacy Vietnamese encoding:
    it would be printed as garbage."""
    for text in value if isinstance(value, tuple) else (value,):
        invisible = text and invisible_character(text)
        if invisible:
            raise click.BadParameter(_("{text} contains {invisible}; retype it without it.").format(
                text=repr(text), invisible=invisible))
        problem = text and encoding_problem(nfc(text))
        if problem:
            raise click.BadParameter(_("{text} is not Unicode Vietnamese text ({problem}); retype "
                                       "it or convert it to Unicode.").format(text=repr(text),
                                                                              problem=problem))
    return value


def required_text(ctx: click.Context, param: click.Parameter, value):
    """:func:`unicode_text`, and refuse an empty text (or a line of an --org that is)."""
    for text in value if isinstance(value, tuple) else (value,):
        if not text.strip():
            raise click.BadParameter(_("is empty; give the text to print on the ballot."))
    return unicode_text(ctx, param, value)


MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))
FIRST_YEAR, LAST_YEAR = 2000, 2099  # a conference's date lies in these years (a typing guard)


def conference_date(ctx: click.Context, param: click.Parameter, value: str) -> dt.date:
    """A date typed YYYY-MM-DD, told apart: not that form, no such day, or an unlikely year."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", value)
    if not match:
        raise click.BadParameter(_("{value} is not a date written YYYY-MM-DD, e.g. "
                                   "2026-12-15.").format(value=repr(value)))
    year, month, day = map(int, match.groups())
    if not 1 <= month <= 12:
        raise click.BadParameter(_("{value}: there is no month {month}.").format(value=value,
                                                                                month=month))
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise click.BadParameter(_("{value} is not a date: {month_name} {year} has {days} days.")
                                 .format(value=value, year=year, days=days,
                                         month_name=_(MONTHS[month - 1])))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise click.BadParameter(_("{value}: the year {year} is not a conference's; give a date "
                                   "from {first} to {last}.").format(
            value=value, year=year, first=FIRST_YEAR, last=LAST_YEAR))
    return dt.date(year, month, day)


conference_dir = click.argument("folder", metavar=N_("DIR"), type=click.Path(path_type=Path))


def member_list(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]):
    """Members of the committee given as ``NAME:ROLE``."""
    from tally.minutes import Member  # the minutes' module is slow to import

    unicode_text(ctx, param, value)
    found = []
    for item in value:
        name, sep, role = item.rpartition(":")
        if not sep or not name.strip() or not role.strip():
            raise click.BadParameter(_("{item} is not NAME:ROLE, e.g. 'Nguyễn Thị Lan:Trưởng "
                                       "ban'").format(item=repr(item)))
        found.append(Member(name.strip(), role.strip()))
    return found


def timezone_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An IANA time zone the system knows ("Asia/Ho_Chi_Minh")."""
    from ballotgen.conference import valid_timezone

    if not valid_timezone(value):
        raise click.BadParameter(_("{value}: there is no such time zone; e.g. "
                                   "Asia/Ho_Chi_Minh.").format(value=repr(value)))
    return value


def end_of_count(ctx: click.Context, param: click.Parameter, value: str | None):
    """The end of the count as the committee states it: ``HH:MM`` (on the conference's day) or
    ``YYYY-MM-DD HH:MM``, in the conference's local time; None: now."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(?:(\d{4})-(\d{1,2})-(\d{1,2})[ T])?(\d{1,2})[:hg](\d{2})\s*",
                         value)
    if not match:
        raise click.BadParameter(_("{value}: write the end time as HH:MM (e.g. 17:38) or "
                                   "YYYY-MM-DD HH:MM.").format(value=repr(value)))
    year, month, day, hour, minute = match.groups()
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise click.BadParameter(_("{value}: there is no time {time}.").format(
            value=repr(value), time=f"{hour}:{minute}"))
    date = None
    if year:
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError as exc:
            raise click.BadParameter(_("{value}: there is no such day.").format(
                value=repr(value))) from exc
    return date, dt.time(int(hour), int(minute))
