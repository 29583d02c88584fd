"""Compare the reader with a simulation's truth (``rehearsal.simulate``): for benchmarks and tests.

A *silent error* is the one thing that must never happen: a row read wrongly on a page that is not
flagged, so nobody would look at it. A *missed flag* is a flag the truth requires that the page
does not carry; for a blank or multi-marked row, any review flag on that very row will do (an
unreadable or foreign page defers everything to a human, and so misses nothing). A *false flag*
is a flag that sends to review a page the truth says is clean (and whose code is on the scan).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ballotgen.vocabulary import Flag, PageKind
from omr.reading import PageReading
from rehearsal.truth import SheetKind, Truth

DEFERRING = {Flag.UNREADABLE, Flag.FOREIGN}  # such a page goes to a human whole
ROW_REVIEW = {Flag.BLANK_ROW, Flag.MULTI_MARK, Flag.UNCLEAR_MARK}  # the row goes before a human
NOT_PAGE_FLAGS = {Flag.BLANK_ROW, Flag.MULTI_MARK,  # checked on their rows
                  Flag.BLANK_BALLOT}  # raised on the ballot, by the stack, not on a page


@dataclass
class Evaluation:
    pages: int = 0
    ballot_pages: int = 0
    rows: int = 0
    rows_wrong: int = 0  # read differently from the truth (flagged or not)
    silent_errors: list[str] = field(default_factory=list)  # on a page nobody is asked to see
    # Rows read as another value with no flag of their own, on a page that goes to a human for
    # something else (not the whole ballot): the committee looks at the flagged rows, so the
    # count changes as silently as a silent error (a blank row read as a vote, say).
    unflagged_errors: list[str] = field(default_factory=list)
    missed_flags: list[str] = field(default_factory=list)
    clean_pages: int = 0  # ballot pages the truth says need no flag
    falsely_flagged: list[str] = field(default_factory=list)
    flag_counts: Counter = field(default_factory=Counter)  # flags raised where required
    kinds: Counter = field(default_factory=Counter)  # (truth kind, read kind)
    scores: dict[str, list[float]] = field(default_factory=dict)  # box scores by what was drawn
    ink: dict[str, list[float]] = field(default_factory=dict)  # box ink areas by what was drawn
    misread: Counter = field(default_factory=Counter)  # (style drawn, read as) of rows read wrong

    @property
    def false_flag_rate(self) -> float:
        return len(self.falsely_flagged) / self.clean_pages if self.clean_pages else 0.0

    def add(self, other: Evaluation) -> None:
        for name in ("pages", "ballot_pages", "rows", "rows_wrong", "clean_pages"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.silent_errors += other.silent_errors
        self.unflagged_errors += other.unflagged_errors
        self.missed_flags += other.missed_flags
        self.falsely_flagged += other.falsely_flagged
        self.flag_counts += other.flag_counts
        self.kinds += other.kinds
        self.misread += other.misread
        for key, values in other.scores.items():
            self.scores.setdefault(key, []).extend(values)
        for key, values in other.ink.items():
            self.ink.setdefault(key, []).extend(values)


def evaluate(truth: Truth | Mapping, readings: dict[tuple[str, int], PageReading], *,
             label: str = "", holds: Callable[[Flag], bool] = lambda flag: True) -> Evaluation:
    """Compare ``readings`` ((file name, page index) → reading) with ``truth`` (as read from its
    file, or parsed: :class:`~rehearsal.truth.Truth`).

    ``holds`` says which flags send a page to review (under the conference's rule set); a clean
    page flagged only with others is not *falsely flagged*: nobody is asked to look at it.
    """
    truth = Truth.of(truth)
    ev = Evaluation()
    for page in truth.pages:
        where = f"{label}{page.file}#{page.index}"
        reading = readings.get((page.file, page.index))
        ev.pages += 1
        if reading is None:
            ev.missed_flags.append(f"{where}: page not read at all")
            continue
        ev.kinds[(str(page.kind), str(reading.kind))] += 1
        required = set(page.flags)
        if page.kind == SheetKind.BLANK_BACK:
            if reading.kind != PageKind.BLANK:
                ev.falsely_flagged.append(f"{where}: blank back read as {reading.kind}")
            continue
        if page.kind == SheetKind.FOREIGN:
            if required and not (set(reading.flags) & (required | DEFERRING)):
                ev.missed_flags.append(f"{where}: {page.foreign_kind} not flagged "
                                       f"(read as {reading.kind})")
            continue
        assert page.ballot is not None  # a ballot page
        ballot = truth.ballots[page.ballot]
        ev.ballot_pages += 1
        deferred = bool(set(reading.flags) & DEFERRING)
        row_flags = {r.person: set(r.flags) for r in reading.rows}
        for truth_row in ballot.rows:
            if truth_row.person not in row_flags or deferred:
                continue
            flags = row_flags[truth_row.person]
            for flag in truth_row.flags:  # a blank or multi row: that row must be flagged
                if flags & ROW_REVIEW:
                    ev.flag_counts[flag] += flag in flags
                else:
                    ev.missed_flags.append(
                        f"{where} person {truth_row.person}: {flag} not raised")
        for flag in required - NOT_PAGE_FLAGS:  # page-level flags
            if flag in reading.flags:
                ev.flag_counts[flag] += 1
            elif not deferred:
                ev.missed_flags.append(f"{where}: {flag} not raised")
        # A page whose code the scanner cut off cannot be told from a forgery: a human must see it.
        if not required - {Flag.BLANK_BALLOT} and page.qr_in_frame is not False:
            ev.clean_pages += 1
            if any(holds(f) for f in reading.flags):
                ev.falsely_flagged.append(f"{where}: {', '.join(reading.flags)}")
        if reading.kind != PageKind.BALLOT:
            continue
        for row in reading.rows:
            truth_row = ballot.row(row.person)
            ev.rows += 1
            for i, score in enumerate(row.scores):
                drawn = (f"mark:{truth_row.style}" if i in truth_row.marked else
                         "scribbled" if i == truth_row.scribbled else
                         "spill" if i == truth_row.spill else "empty")
                ev.scores.setdefault(drawn, []).append(score)
                if row.ink_mm2:
                    ev.ink.setdefault(drawn, []).append(row.ink_mm2[i] - (row.spill_mm2 or
                                                                          (0.0,) * 3)[i])
            if row.reading != truth_row.expected:
                ev.rows_wrong += 1
                ev.misread[(truth_row.style or "none", str(row.reading))] += 1
                if not reading.flags:
                    ev.silent_errors.append(f"{where} person {row.person}: read {row.reading}, "
                                            f"truth {truth_row.expected} {row.scores}")
                elif not deferred and not set(row.flags) & ROW_REVIEW:
                    ev.unflagged_errors.append(f"{where} person {row.person}: read "
                                               f"{row.reading}, truth {truth_row.expected}, "
                                               "the row not flagged")
    return ev
