"""The conference facts as a user types them (a title, a date, a member "NAME:ROLE"), checked
the same way wherever they are typed: the command line's options (:mod:`tally.cli.options`)
and the console's forms (:mod:`tally.console`) call these and show the message.

Each check raises :class:`FactError` with a message in the user's language that quotes what was
typed and says what to do.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from ballotgen.i18n import N_, _
from ballotgen.vietnamese import encoding_problem, invisible_character, nfc


class FactError(ValueError):
    """A fact as typed cannot be used; ``str(error)`` is the message for the user."""


def check_text(text: str) -> str:
    """``text``, refused when it has invisible characters or is typed in a legacy Vietnamese
    encoding: it would be printed as garbage."""
    invisible = text and invisible_character(text)
    if invisible:
        raise FactError(_("{text} contains {invisible}; retype it without it.").format(
            text=repr(text), invisible=invisible))
    problem = text and encoding_problem(nfc(text))
    if problem:
        raise FactError(_("{text} is not Unicode Vietnamese text ({problem}); retype it or "
                          "convert it to Unicode.").format(text=repr(text), problem=problem))
    return text


def check_required(text: str) -> str:
    """:func:`check_text`, and refuse an empty text."""
    if not text.strip():
        raise FactError(_("is empty; give the text to print on the ballot."))
    return check_text(text)


MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"),
          N_("July"), N_("August"), N_("September"), N_("October"), N_("November"),
          N_("December"))
FIRST_YEAR, LAST_YEAR = 2000, 2099  # a conference's date lies in these years (a typing guard)


def parse_date(value: str) -> dt.date:
    """A date typed YYYY-MM-DD, told apart: not that form, no such day, or an unlikely year."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", value)
    if not match:
        raise FactError(_("{value} is not a date written YYYY-MM-DD, e.g. 2026-12-15.").format(
            value=repr(value)))
    year, month, day = map(int, match.groups())
    if not 1 <= month <= 12:
        raise FactError(_("{value}: there is no month {month}.").format(value=value,
                                                                       month=month))
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise FactError(_("{value} is not a date: {month_name} {year} has {days} days.").format(
            value=value, year=year, days=days, month_name=_(MONTHS[month - 1])))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise FactError(_("{value}: the year {year} is not a conference's; give a date from "
                          "{first} to {last}.").format(value=value, year=year, first=FIRST_YEAR,
                                                       last=LAST_YEAR))
    return dt.date(year, month, day)


def parse_member(item: str) -> tuple[str, str]:
    """A member of the committee typed ``NAME:ROLE``: ``(name, role)``."""
    check_text(item)
    name, sep, role = item.rpartition(":")
    if not sep or not name.strip() or not role.strip():
        raise FactError(_("{item} is not NAME:ROLE, e.g. 'Nguyễn Thị Lan:Trưởng ban'").format(
            item=repr(item)))
    return name.strip(), role.strip()


def check_timezone(value: str) -> str:
    """An IANA time zone the system knows ("Asia/Ho_Chi_Minh")."""
    from ballotgen.conference import valid_timezone

    if not valid_timezone(value):
        raise FactError(_("{value}: there is no such time zone; e.g. Asia/Ho_Chi_Minh.").format(
            value=repr(value)))
    return value


def parse_end_time(value: str) -> tuple[dt.date | None, dt.time]:
    """The end of the count as the committee states it: ``HH:MM`` (on the conference's day:
    the date is None) or ``YYYY-MM-DD HH:MM``, in the conference's local time."""
    match = re.fullmatch(r"\s*(?:(\d{4})-(\d{1,2})-(\d{1,2})[ T])?(\d{1,2})[:hg](\d{2})\s*",
                         value)
    if not match:
        raise FactError(_("{value}: write the end time as HH:MM (e.g. 17:38) or "
                          "YYYY-MM-DD HH:MM.").format(value=repr(value)))
    year, month, day, hour, minute = match.groups()
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise FactError(_("{value}: there is no time {time}.").format(
            value=repr(value), time=f"{hour}:{minute}"))
    date = None
    if year:
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError as exc:
            raise FactError(_("{value}: there is no such day.").format(
                value=repr(value))) from exc
    return date, dt.time(int(hour), int(minute))
