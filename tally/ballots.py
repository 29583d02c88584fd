"""From pages to ballots: group the stack's pages into ballots and derive what needs the stack.

Pages come in stack order. Blank pages (duplex backs) are skipped. A ballot is its pages 1..n of
one batch in sequence; a page out of sequence starts a new ballot and the incomplete one is flagged
``missing_page``. A foreign page is a ballot of its own. From the whole stack follow the flags no
single page can know: ``blank_ballot`` (no row marked on any page) and ``duplicate`` (a page of a
serial seen twice: every ballot with that serial is flagged). A ballot with no flag is accepted
automatically; a flagged one waits for review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ballotgen.vocabulary import Flag, PageKind, RowValue
from tally.store import StoredPage

_OURS = (PageKind.BALLOT, PageKind.UNREADABLE)  # pages whose code says which ballot they are of


@dataclass(frozen=True)
class Ballot:
    number: int  # 1-based, in stack order
    pages: tuple[StoredPage, ...]
    flags: tuple[Flag, ...]  # every page's flags and the ballot's own, sorted

    @property
    def accepted(self) -> bool:
        return not self.flags

    @property
    def kind(self) -> PageKind:
        kinds = {p.reading.kind for p in self.pages}
        for kind in (PageKind.FOREIGN, PageKind.UNREADABLE):
            if kind in kinds:
                return kind
        return PageKind.BALLOT


def assemble(pages: list[StoredPage]) -> list[Ballot]:
    """Group ``pages`` (in stack order) into ballots."""
    groups: list[list[StoredPage]] = []
    for page in pages:
        r = page.reading
        if r.kind == PageKind.BLANK:
            continue
        current = groups[-1] if groups else None
        last = current[-1].reading if current else None
        continues = (r.kind in _OURS and r.page is not None and r.page > 1
                     and last is not None and last.kind in _OURS
                     and last.batch == r.batch and last.serial == r.serial
                     and last.page == r.page - 1)
        if continues:
            current.append(page)  # type: ignore[union-attr]
        else:
            groups.append([page])

    # The same page of the same serial twice is a duplicate (two fragments of one ballot whose
    # middle page is missing share a serial too, and are not).
    seen: dict[tuple[str, int | None], int] = {}
    for page in pages:
        if page.reading.serial:
            key = (page.reading.serial, page.reading.page)
            seen[key] = seen.get(key, 0) + 1
    duplicated = {serial for (serial, _), count in seen.items() if count > 1}
    ballots = []
    for number, group in enumerate(groups, start=1):
        flags = {f for p in group for f in p.reading.flags}
        first = group[0].reading
        if first.kind in _OURS and first.pages is not None:
            numbers = [p.reading.page for p in group]
            if numbers != list(range(1, first.pages + 1)):
                flags.add(Flag.MISSING_PAGE)
        rows = [row for p in group for row in p.reading.rows]
        if first.kind == PageKind.BALLOT and rows and \
                all(row.reading == RowValue.BLANK for row in rows) and \
                Flag.MISSING_PAGE not in flags:
            flags.add(Flag.BLANK_BALLOT)
        if first.serial in duplicated:
            flags.add(Flag.DUPLICATE)  # every copy: which one is genuine is for a human to say
        ballots.append(Ballot(number, tuple(group), tuple(sorted(flags))))
    return ballots


@dataclass(frozen=True)
class StampCheck:
    """What the stamp check found on a set of ballots (their first sheets; see omr.stamp)."""

    checked: int  # ballots whose first sheet was scanned in colour: the stamp could be seen
    missing: int  # … of which without the stamp (flag missing_stamp)
    unclear: int  # … of which the reader could not tell (flag stamp_unclear)
    unchecked: int  # ballots scanned in grey or black and white: the stamp cannot show


def stamp_check(ballots: Iterable[Ballot]) -> StampCheck:
    """The stamp check over ``ballots`` that were read as ballots (a sheet known as foreign by
    its code, or unreadable, is not checked)."""
    checked = missing = unclear = unchecked = 0
    for ballot in ballots:
        first = ballot.pages[0].reading
        if first.kind != PageKind.BALLOT or first.page != 1 or first.stamp is None:
            continue
        if not first.stamp.colour:
            unchecked += 1
            continue
        checked += 1
        missing += Flag.MISSING_STAMP in ballot.flags
        unclear += Flag.STAMP_UNCLEAR in ballot.flags
    return StampCheck(checked, missing, unclear, unchecked)
