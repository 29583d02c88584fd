"""What the review pages show and accept, as plain values: the queue, one ballot, a form.

Views in :mod:`tally.review.app` only call these functions and render templates. Nothing here
writes: :func:`decisions_from_form` turns a submitted form into the decisions to append, or
refuses it with a :class:`FormError` that says what is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from ballotgen.conference import Conference, Person
from ballotgen.i18n import _
from ballotgen.layout import Layout, PageLayout, Rect, Row
from ballotgen.vocabulary import (
    LEVELS,
    MACHINE,
    RESOLUTIONS,
    BallotChoice,
    BallotState,
    BoxStatus,
    Flag,
    Level,
    PageKind,
    RowChoice,
    RowValue,
)
from omr.reading import RowReading
from tally.ballots import Ballot
from tally.count import Attendance, Results, tally_store
from tally.resolve import Resolved, propose_ballot, propose_row, resolve_stack, row_readings
from tally.rules import RULE_SETS, RuleSet
from tally.store import Decision, ScanFileRecord, Store, StoredPage


class FormError(ValueError):
    """A submitted decision form is incomplete or malformed (message in the user's language)."""


@dataclass(frozen=True)
class Snapshot:
    """The conference's ballots and their state, read from the store at one moment."""

    conference: Conference
    rules: RuleSet
    resolved: tuple[Resolved, ...]
    decisions: tuple[Decision, ...]
    files: Mapping[str, ScanFileRecord] = field(default_factory=dict)  # every file, by SHA-256

    @property
    def by_id(self) -> dict[int, Resolved]:
        return {r.id: r for r in self.resolved}

    @property
    def by_number(self) -> dict[int, Resolved]:
        return {r.ballot.number: r for r in self.resolved}

    def file_label(self, page: StoredPage) -> str:
        """The file of ``page`` as people tell it from another of the same name: folder, name,
        when it was scanned in and the start of its hash."""
        record = self.files.get(page.file_sha256)
        return record.label if record else page.file_name

    def open(self) -> list[Resolved]:
        return [r for r in self.resolved if r.state == BallotState.OPEN]

    def flagged(self) -> list[Resolved]:
        return [r for r in self.resolved if r.reasons]

    def reason_counts(self) -> Counter[Flag]:
        """Open ballots by reason (a ballot with two reasons counts under both)."""
        return Counter(reason for r in self.open() for reason in r.reasons)

    def decisions_of(self, ballot: int) -> list[Decision]:
        return [d for d in self.decisions if d.ballot == ballot]

    def find(self, file: str, page: int) -> list[Resolved]:
        """The ballots holding page ``page`` (1-based) of the files ``file`` names: by name, by
        folder and name, by the start of its hash (``#1a2b3c4d``, 6 digits or more), or as
        the review pages show it (:meth:`file_label`). One per file: two files both named
        scan.pdf give two."""
        wanted = file.strip()
        digits = wanted.lstrip("#").lower()
        by_hash = len(digits) >= MIN_HASH_DIGITS and all(c in "0123456789abcdef"
                                                         for c in digits)
        found: dict[str, Resolved] = {}
        for r in self.resolved:
            for p in r.ballot.pages:
                if p.page_index + 1 != page or p.file_sha256 in found:
                    continue
                record = self.files.get(p.file_sha256)
                names = {p.file_name, self.file_label(p)}
                if record is not None and record.folder:
                    names.add(f"{record.folder.rstrip('/')}/{record.name}")
                if wanted in names or (by_hash and p.file_sha256.startswith(digits)):
                    found[p.file_sha256] = r
        return list(found.values())


def snapshot(store: Store) -> Snapshot:
    """The ballots of ``store`` as :func:`tally.resolve.resolved_ballots` has them, with the
    decisions they were resolved with."""
    conference = store.conference()
    decisions = store.decisions()
    resolved = resolve_stack(conference, store.pages(), decisions)
    return Snapshot(conference, RULE_SETS[conference.rules], tuple(resolved), tuple(decisions),
                    {f.sha256: f for f in store.scan_files()})


MIN_HASH_DIGITS = 6  # the start of a file's hash that finds it


@dataclass(frozen=True)
class BoxView:
    rect: Rect
    level: Level
    score: float  # mean darkness
    status: BoxStatus
    ink: float = 0.0  # ink area, mm²


@dataclass(frozen=True)
class RowView:
    person: Person
    reading: RowValue | None  # the machine's reading; None if no page of the ballot shows the row
    flags: tuple[Flag, ...]
    scores: tuple[float, ...]
    proposal: RowChoice | None  # what the rule set makes of the reading
    decided: RowChoice | None  # the latest decision on the row
    page: int | None  # id of the page that shows the row
    rect: Rect | None
    name_cell: Rect | None
    boxes: tuple[BoxView, ...]

    @property
    def current(self) -> RowChoice | None:
        return self.decided if self.decided is not None else self.proposal

    @property
    def needs_attention(self) -> bool:
        return bool(self.flags) or self.reading is None or self.proposal is None


@dataclass(frozen=True)
class PageView:
    page: StoredPage
    layout: Layout | None  # None: not registered, shown as scanned
    page_layout: PageLayout | None


@dataclass(frozen=True)
class BallotView:
    resolved: Resolved
    proposal: BallotChoice | None
    decided: BallotChoice | None  # the latest decision on the ballot as a whole
    rows: tuple[RowView, ...]
    pages: tuple[PageView, ...]
    history: tuple[Decision, ...]

    @property
    def id(self) -> int:
        return self.resolved.id

    @property
    def ballot(self) -> Ballot:
        return self.resolved.ballot


def ballot_view(snap: Snapshot, store: Store, ballot: int) -> BallotView | None:
    """Everything the ballot page shows, or None if ``ballot`` is not a ballot of this store."""
    resolved = snap.by_id.get(ballot)
    if resolved is None:
        return None
    history = snap.decisions_of(ballot)
    readings = row_readings(resolved.ballot)
    latest_rows = {d.person: RowChoice(d.value) for d in history if d.person is not None}
    ballot_decisions = [BallotChoice(d.value) for d in history if d.person is None]
    pages: list[PageView] = []
    geometry: dict[int, tuple[int | None, Row | None, RowReading | None]] = {}
    for page in resolved.ballot.pages:
        r = page.reading
        layout = store.layout(r.layout_hash) if r.kind == PageKind.BALLOT and r.layout_hash \
            else None
        page_layout = layout.pages[r.page - 1] if layout and r.page else None
        pages.append(PageView(page, layout, page_layout))
        if page_layout:
            scores = {row.person: row for row in r.rows}
            for layout_row in page_layout.rows:
                geometry[layout_row.person] = (page.id, layout_row,
                                               scores.get(layout_row.person))
    rows = []
    for person in snap.conference.persons:
        reading, flags = readings.get(person.number, (None, ()))
        page_id, row, scored = geometry.get(person.number, (None, None, None))
        boxes: tuple[BoxView, ...] = ()
        if row is not None and scored is not None:
            ink = scored.ink_mm2 or (0.0,) * len(LEVELS)
            boxes = tuple(BoxView(rect, level, score, status, area)
                          for rect, level, score, status, area
                          in zip(row.boxes, LEVELS, scored.scores, scored.statuses, ink))
        rows.append(RowView(person, reading, flags, scored.scores if scored else (),
                            propose_row(reading, flags, snap.rules), latest_rows.get(person.number),
                            page_id, row.rect if row else None, row.name_cell if row else None,
                            boxes))
    decided = ballot_decisions[-1] if ballot_decisions else None
    return BallotView(resolved, propose_ballot(resolved.ballot, snap.rules), decided, tuple(rows),
                      tuple(pages), tuple(history))


def flag_decision(view: BallotView) -> tuple[None, BallotChoice, str]:
    """The decision that flags a ballot by hand for another look: ``(None, FLAGGED, before)``."""
    return None, BallotChoice.FLAGGED, view.decided or MACHINE + (view.proposal or "none")


def box_rect(store: Store, page: StoredPage, person: int, level: str) -> Rect | None:
    """Where the box of ``level`` in ``person``'s row is on a ballot page (layout mm), or None
    when the page shows no such box."""
    reading = page.reading
    if level not in LEVELS or reading.kind != PageKind.BALLOT or not reading.page:
        return None
    layout = store.layout(reading.layout_hash or "")
    rows = [r for r in layout.pages[reading.page - 1].rows if r.person == person] \
        if layout else []
    return rows[0].boxes[LEVELS.index(Level(level))] if rows else None


@dataclass(frozen=True)
class ShownResults:
    """The results page: the count with the attendance of the latest tally."""

    conference: Conference
    results: Results

    @property
    def deputies(self) -> bool:
        """Whether percentages are of the total deputies (``nq96-2023``)."""
        return RULE_SETS[self.results.rules].percent_denominator == "deputies"


def conference_results(store: Store) -> ShownResults:
    """The count as it stands, with the attendance entered at the latest ``tinnhiem tally``."""
    conference, results = tally_store(store, Attendance(**store.last_attendance()))
    return ShownResults(conference, results)


def decisions_from_form(view: BallotView,
                        form: Mapping[str, str]) -> list[tuple[int | None, str, str]]:
    """The decisions a submitted form adds: ``(person or None, value, before)``.

    The ballot choice is required. For a genuine ballot every row must end with a value; a row
    is recorded when its value changes, or when it was flagged and nobody had decided it yet
    (the reviewer confirmed what the machine proposed). Submitting the same form twice records
    nothing the second time.
    """
    choice = form.get("ballot", "")
    if choice not in RESOLUTIONS:
        raise FormError(_("Choose valid, invalid, foreign or not counted."))
    items: list[tuple[int | None, str, str]] = []
    ballot_before = view.decided or MACHINE + (view.proposal or "none")
    if choice != view.decided:
        items.append((None, BallotChoice(choice), ballot_before))
    if choice != BallotChoice.GENUINE:
        return items
    missing = []
    for row in view.rows:
        sent = form.get(f"row-{row.person.number}", "")
        if sent and sent not in tuple(RowChoice):
            raise FormError(_("Not a valid value for row {number}.").format(
                number=row.person.number))
        value = RowChoice(sent) if sent else row.current
        if value is None:
            missing.append(str(row.person.number))
            continue
        before = row.decided or MACHINE + (row.proposal or row.reading or "none")
        if value != row.current or (row.needs_attention and row.decided is None):
            items.append((row.person.number, value, before))
    if missing:
        raise FormError(_("Some rows have no level chosen yet: STT {numbers}.").format(
            numbers=", ".join(missing)))
    return items


@dataclass(frozen=True)
class GalleryBox:
    ink: float  # the box's ink area, mm² (what the reader decides on)
    status: BoxStatus
    ballot: int
    page: int
    person: int
    level: Level
    where: str  # "file p. N" for the tooltip


def gallery_boxes(snap: Snapshot) -> list[GalleryBox]:
    """Every box read on a ballot page, most ink first."""
    boxes = []
    for r in snap.resolved:
        for page in r.ballot.pages:
            if page.reading.kind != PageKind.BALLOT:
                continue
            where = f"{page.file_name} tr. {page.page_index + 1}"
            for row in page.reading.rows:
                ink = row.ink_mm2 or (0.0,) * len(LEVELS)
                for level, area, status in zip(LEVELS, ink, row.statuses):
                    boxes.append(GalleryBox(area, status, r.id, page.id, row.person, level, where))
    boxes.sort(key=lambda b: -b.ink)
    return boxes


HISTOGRAM_BINS = 60
HISTOGRAM_TOP = 15.0  # ink areas (mm²) above are counted in the last bin (heavy marks)


def histogram(boxes: list[GalleryBox]) -> list[int]:
    """How many boxes have their ink in each of HISTOGRAM_BINS equal bins of [0, HISTOGRAM_TOP]."""
    counts = [0] * HISTOGRAM_BINS
    for b in boxes:
        counts[min(HISTOGRAM_BINS - 1, int(b.ink / HISTOGRAM_TOP * HISTOGRAM_BINS))] += 1
    return counts
