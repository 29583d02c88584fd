"""From pages to ballots: group the stack's pages into ballots and derive what needs the stack.

Pages come in stack order. Blank pages (duplex backs) are skipped. A ballot is its pages 1..n of
one batch in sequence; a page out of sequence starts a new ballot and the incomplete one is flagged
``missing_page``. A foreign page is a ballot of its own. From the whole stack follow the flags no
single page can know: ``blank_ballot`` (no row marked on any page) and ``duplicate``: a page of a
serial seen twice, or, without serials (every copy carries the same code), a page whose voter's
ink is that of another page of the same ballot page (``omr.inkprint``: the same sheet scanned
twice, say once as a PDF and once more as JPEGs). Every copy is flagged, each naming the others:
which one to count is for the committee. A ballot with no flag is accepted automatically; a
flagged one waits for review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ballotgen.vocabulary import Flag, PageKind, RowValue
from omr.inkprint import same_sheets
from tally.store import StoredPage

_OURS = (PageKind.BALLOT, PageKind.UNREADABLE)  # pages whose code says which ballot they are of


@dataclass(frozen=True)
class Ballot:
    number: int  # 1-based, in stack order
    pages: tuple[StoredPage, ...]
    flags: tuple[Flag, ...]  # every page's flags and the ballot's own, sorted
    twins: tuple[int, ...] = ()  # the other ballots (numbers) with a page of the same sheet

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
    twins = _same_ink(groups)
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
        if first.serial in duplicated or twins.get(number):
            flags.add(Flag.DUPLICATE)  # every copy: which one is genuine is for a human to say
        ballots.append(Ballot(number, tuple(group), tuple(sorted(flags)),
                              tuple(sorted(twins.get(number, ())))))
    return ballots


_SAME_INK: dict[tuple, dict[int, set[int]]] = {}  # the last stack compared, and what it gave


def _same_ink(groups: list[list[StoredPage]]) -> dict[int, set[int]]:
    """Ballot number → the other ballots with a page whose voter's ink is the same sheet's.

    Only pages read as ballots and without a serial are compared (a serial tells copies apart
    by itself), each with the pages of the same layout and page number. The stack's pages and
    their signatures are the key of the one result kept: a store's pages are read many times
    over (queue, review, count), their readings never change."""
    pages = [(number, page) for number, group in enumerate(groups, start=1) for page in group
             if page.reading.kind == PageKind.BALLOT and page.reading.serial is None
             and page.reading.ink]
    key = tuple((number, page.id, page.reading.ink) for number, page in pages)
    if key not in _SAME_INK:
        pairs = same_sheets([((p.reading.layout_hash, p.reading.page), p.reading.ink)
                             for _, p in pages])
        found: dict[int, set[int]] = {}
        for i, j in pairs:
            a, b = pages[i][0], pages[j][0]
            if a != b:
                found.setdefault(a, set()).add(b)
                found.setdefault(b, set()).add(a)
        _SAME_INK.clear()
        _SAME_INK[key] = found
    return _SAME_INK[key]


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
