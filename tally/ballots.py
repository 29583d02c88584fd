"""From pages to ballots: group the stack's pages into ballots and derive what needs the stack.

Pages come in stack order. Blank pages (duplex backs) are skipped. A ballot is its pages 1..n of
one batch in sequence; a page out of sequence starts a new ballot and the incomplete one is flagged
``missing_page``. A foreign page is a ballot of its own. From the whole stack follow the flags no
single page can know: ``blank_ballot`` (no row marked on any page) and ``duplicate`` (a page of a
serial seen twice: every ballot with that serial is flagged). A ballot with no flag is accepted automatically; a flagged one waits for review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tally.store import StoredPage


@dataclass(frozen=True)
class Ballot:
    number: int  # 1-based, in stack order
    pages: tuple[StoredPage, ...]
    flags: tuple[str, ...]  # every page's flags and the ballot's own, sorted

    @property
    def accepted(self) -> bool:
        return not self.flags

    @property
    def kind(self) -> str:
        kinds = {p.reading.kind for p in self.pages}
        return "foreign" if "foreign" in kinds else "unreadable" if "unreadable" in kinds else "ballot"


def assemble(pages: list[StoredPage]) -> list[Ballot]:
    """Group ``pages`` (in stack order) into ballots."""
    groups: list[list[StoredPage]] = []
    for page in pages:
        r = page.reading
        if r.kind == "blank":
            continue
        current = groups[-1] if groups else None
        last = current[-1].reading if current else None
        continues = (r.kind in ("ballot", "unreadable") and r.page is not None and r.page > 1
                     and last is not None and last.kind in ("ballot", "unreadable")
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
        if first.kind in ("ballot", "unreadable") and first.pages is not None:
            numbers = [p.reading.page for p in group]
            if numbers != list(range(1, first.pages + 1)):
                flags.add("missing_page")
        rows = [row for p in group for row in p.reading.rows]
        if first.kind == "ballot" and rows and all(row.reading == "blank" for row in rows) \
                and "missing_page" not in flags:
            flags.add("blank_ballot")
        if first.serial in duplicated:
            flags.add("duplicate")  # every copy: which one is genuine is for a human to say
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
        if first.kind != "ballot" or first.page != 1 or first.stamp is None:
            continue
        if not first.stamp.colour:
            unchecked += 1
            continue
        checked += 1
        missing += "missing_stamp" in ballot.flags
        unclear += "stamp_unclear" in ballot.flags
    return StampCheck(checked, missing, unclear, unchecked)
