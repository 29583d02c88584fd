"""The count: resolved ballots → per-person results, bands, quorum and reconciliation (rules 1
and 8–10).

Pure functions on values; :func:`tally_store` gathers the values from a store. Every comparison
with a threshold is exact integer arithmetic; percentages are only for display. What the count
finds besides numbers is typed (:class:`Missing`, the discrepancies, the notes); the Vietnamese
sentences that say it are in :mod:`tally.sentences`, and the canonical form of the results and
their fingerprint in :mod:`tally.fingerprint`.

**Versions of the count.** Every tally in the event log must be reproduced by the audit, so what
the count means is versioned, and each tally records the version it was made with
(:data:`COUNT_VERSION` now):

- version 1 (tallies recorded before 2026-12-02's issue 14): ballots handed out default to those
  printed; any ballot received beyond those issued blocks the count; nothing else is noted;
- version 2: ballots handed out are those the committee enters, or, when it enters none, one per
  voter present (never the number printed); a sheet the committee did not issue is received and
  invalid, and only the genuine ballots are reconciled with those handed out. What is unusual
  but possible (more genuine ballots than handed out, more ballots than voters present, a second
  print run, foreign sheets in the box) is an :data:`Anomaly`, stated and never blocking; no
  ballot at all keeps the count a draft; without quorum the count cannot stand
  (:attr:`Results.standing`). Under ``annual-2013`` a person without last year's share is judged
  on the one-year case alone, with a note that says so.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from ballotgen.conference import Conference, Person
from ballotgen.vocabulary import LEVELS, BallotStatus, Flag, Level, RowInvalidReason, VoidReason
from tally.ballots import StampCheck, stamp_check
from tally.resolve import Resolved, resolve_stack
from tally.rules import RULE_SETS, RuleSet, Threshold
from tally.store import Decision, Store, StoredPage

COUNT_VERSION = 2
"""The version of the count's meaning that new tallies are made with (see the module
docstring)."""


def percent(count: int, denominator: int) -> str:
    """``count / denominator`` in percent with two decimals, rounded half up: "66.67".

    The canonical form (the results' JSON, the CSV); documents for people show
    :func:`vn_percent`."""
    if denominator <= 0:
        return "-"
    hundredths = (count * 10_000 * 2 + denominator) // (2 * denominator)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def vn_percent(count: int, denominator: int) -> str:
    """The percentage as Vietnamese documents write it: decimal comma, a space before the sign
    ("64,29 %"); "-" without a denominator."""
    text = percent(count, denominator)
    return "-" if text == "-" else text.replace(".", ",") + " %"


def vn_decimal(text: str) -> str:
    """A canonical percentage ("64.29") with the decimal comma ("64,29")."""
    return text.replace(".", ",")


@dataclass(frozen=True)
class Attendance:
    """What the committee enters: summoned and present voters, ballots issued, and ballots
    counted by hand."""

    summoned: int | None = None
    present: int | None = None
    issued: int | None = None
    counted: int | None = None

    @property
    def absent(self) -> int | None:
        if self.summoned is None or self.present is None:
            return None
        return self.summoned - self.present


def quorum_met(rules: RuleSet, attendance: Attendance) -> bool | None:
    """Rule 1 (``3·present ≥ 2·summoned`` by default); None when unknown or not required."""
    if rules.quorum is None or attendance.summoned is None or attendance.present is None:
        return None
    q = rules.quorum
    return attendance.present * q.denominator >= q.numerator * attendance.summoned


def band(rules: RuleSet, low: int, denominator: int,
         previous: Fraction | None = None) -> int | None:
    """Band 2, band 1 or None for ``low`` of ``denominator`` (rule 9), by exact comparison.

    A rule set whose band 1 needs several years (``annual-2013``) compares ``previous``, last
    year's low-confidence share, with the same threshold; without it band 1 is not reached.
    """
    if denominator <= 0:
        return None
    if rules.band2.reached(low, denominator):
        return 2
    if rules.band1.reached(low, denominator):
        if rules.band1_years == 1:
            return 1
        if previous is not None and _share_reached(rules.band1, previous):
            return 1
    return None


def _share_reached(threshold: Threshold, share: Fraction) -> bool:
    return share >= threshold.fraction if threshold.inclusive else share > threshold.fraction


class Missing(enum.Enum):
    """A fact the committee has not entered yet (the count is a draft until it has)."""

    PRESENT = "present"  # voters present (--present)
    SUMMONED = "summoned"  # voters summoned (--summoned)
    COUNTED = "counted"  # ballots counted by hand from the box (--counted)
    HISTORY = "history"  # last year's shares, for a rule set that needs them (--history)


@dataclass(frozen=True)
class ReceivedOverIssued:
    """More ballots came back than were handed out (rule 10)."""

    received: int
    issued: int


@dataclass(frozen=True)
class ScannedNotCounted:
    """The sheets scanned are not the number the committee counted by hand (rule 10)."""

    scanned: int
    counted: int


@dataclass(frozen=True)
class NoBallots:
    """No ballot was scanned: a count of nothing is not a result (version 2)."""


Discrepancy = ReceivedOverIssued | ScannedNotCounted | NoBallots


@dataclass(frozen=True)
class ForeignReceived:
    """Sheets the committee did not issue were in the box: received, and invalid (rule 10)."""

    sheets: int


@dataclass(frozen=True)
class GenuineOverIssued:
    """More genuine ballots came back than were handed out (rule 10): stated, not blocking."""

    genuine: int
    issued: int


@dataclass(frozen=True)
class ReceivedOverPresent:
    """More ballots came back than voters were present (rule 10): stated, not blocking."""

    received: int
    present: int


@dataclass(frozen=True)
class IssuedOverPresent:
    """More ballots were handed out than voters were present."""

    issued: int
    present: int


@dataclass(frozen=True)
class SeveralPrintRuns:
    """The ballots were printed in more than one run (each run has its own batch code)."""

    runs: int
    printed: int


Anomaly = (ForeignReceived | GenuineOverIssued | ReceivedOverPresent | IssuedOverPresent
           | SeveralPrintRuns)


@dataclass(frozen=True)
class BandDependsOnDenominator:
    """``nq96-2023``: the band over total deputies is not the band over ballots received."""

    low: int
    deputies: int
    received: int


@dataclass(frozen=True)
class NoPreviousYear:
    """``annual-2013``: band 1 may be reached, but last year's share is not known."""


@dataclass(frozen=True)
class FirstYear:
    """``annual-2013`` (version 2): no share of last year for this person (newly appointed, or
    not polled then): judged on the one-year case alone."""


Note = BandDependsOnDenominator | NoPreviousYear | FirstYear


@dataclass(frozen=True)
class PersonResult:
    """One person's line of the minutes (rule 8), with the band."""

    number: int
    name: str
    position: str
    issued: int | None  # None (version 2) while the ballots handed out are not known
    received: int
    valid: int
    invalid: int
    levels: dict[Level, int]
    denominator: int  # of the percentages and the band: received, or total deputies (nq96)
    band: int | None
    band_over_received: int | None  # nq96: the band if the denominator were ballots received
    previous_low: str | None  # annual-2013: last year's low share in percent, if given
    note: Note | None = None
    invalid_reasons: dict[RowInvalidReason, int] = field(default_factory=dict)

    def percent(self, level: Level | str, denominator: int | None = None) -> str:
        return percent(self.levels[level],  # type: ignore[index]
                       self.denominator if denominator is None else denominator)


@dataclass(frozen=True)
class OpenBallot:
    number: int
    file: str
    page: int  # 1-based page of the file
    reasons: tuple[Flag, ...]


@dataclass(frozen=True)
class Results:
    """Everything the minutes say, computed from the store."""

    rules: str
    attendance: Attendance
    printed: int
    received: int  # sheets from the box: every ballot not excluded by the committee
    counted: int  # ballots counted (some rows may still be invalid)
    void: dict[VoidReason, int]  # whole ballots invalid, by reason
    excluded: int  # scans the committee excluded (a sheet scanned twice, not a ballot)
    persons: tuple[PersonResult, ...]
    quorum_met: bool | None
    problems: tuple[Discrepancy, ...]  # numbers that do not reconcile, to resolve
    missing: tuple[Missing, ...]  # facts the committee has not entered yet
    open_ballots: tuple[OpenBallot, ...]
    noted: dict[Flag, int] = field(default_factory=dict)  # flags that changed no count
    stamp: StampCheck | None = None  # the stamp check on the ballots received, when required
    anomalies: tuple[Anomaly, ...] = ()  # unusual facts, stated, that block nothing (version 2)
    print_runs: int = 1  # batches printed
    version: int = 1  # of the count's meaning (see the module docstring)

    @property
    def issued(self) -> int | None:
        """Ballots handed out: as entered; otherwise (version 2) one per voter present, or None
        while that is unknown; (version 1) the number printed."""
        if self.attendance.issued is not None:
            return self.attendance.issued
        return self.printed if self.version == 1 else self.attendance.present

    @property
    def issued_derived(self) -> bool:
        """The ballots handed out were taken as one per voter present (none entered)."""
        return self.version > 1 and self.attendance.issued is None and self.issued is not None

    @property
    def foreign(self) -> int:
        """Sheets received that the committee did not issue (by their code, or their stamp)."""
        return self.void.get(VoidReason.FOREIGN, 0) + self.void.get(VoidReason.MISSING_STAMP, 0)

    @property
    def genuine(self) -> int:
        """Ballots received that the committee issued."""
        return self.received - self.foreign

    @property
    def standing(self) -> bool:
        """Whether the count can stand at all: not when the quorum was not met (rule 1)."""
        return self.quorum_met is not False

    @property
    def final(self) -> bool:
        """Only a complete, reconciled count of a quorate conference makes official minutes;
        otherwise they are a draft (or, without quorum, a record that the count cannot stand)."""
        return self.standing and not (self.problems or self.missing or self.open_ballots)

    @property
    def state(self) -> CountState:
        if not self.standing:
            return CountState.VOID
        return CountState.OFFICIAL if self.final else CountState.DRAFT


class CountState(enum.Enum):
    """What a tally's documents are: official, a draft, or the record that it cannot stand."""

    OFFICIAL = "chinh-thuc"  # the values name the tally's folder
    DRAFT = "du-thao"
    VOID = "khong-du-dieu-kien"


def count(persons: tuple[Person, ...], rules: RuleSet, resolved: list[Resolved], *,
          attendance: Attendance, printed: int,
          previous: dict[int, Fraction] | None = None, stamp: bool = False,
          print_runs: int = 1, version: int = COUNT_VERSION) -> Results:
    """Tally ``resolved`` ballots per person (rule 8) and check quorum and reconciliation; with
    ``stamp`` (the conference requires the stamp), say what the stamp check found. ``version``
    is the count's meaning (see the module docstring): a tally is recomputed with its own."""
    received = [r for r in resolved if r.received]
    decided = [r for r in received if r.status is not None]
    open_ballots = tuple(
        OpenBallot(r.ballot.number, r.ballot.pages[0].file_name, r.ballot.pages[0].page_index + 1,
                   r.reasons) for r in received if r.status is None)
    void = Counter(r.void_reason for r in decided if r.status == BallotStatus.VOID)
    n_received = len(received)
    issued = attendance.issued
    if issued is None:
        issued = printed if version == 1 else attendance.present
    deputies = attendance.summoned
    results = []
    for person in persons:
        outcomes = [row for r in decided for row in r.rows if row.person == person.number]
        levels = {level: sum(o.level == level for o in outcomes) for level in LEVELS}
        reasons = Counter(o.reason for o in outcomes if o.level is None)
        low = levels[Level.THAP]
        denominator = n_received
        prev = previous.get(person.number) if previous else None
        note: Note | None = None
        over_received = band(rules, low, n_received, prev)
        if rules.percent_denominator == "deputies":
            denominator = deputies or 0
            person_band = band(rules, low, denominator, prev) if deputies else None
            if deputies and person_band != over_received:
                note = BandDependsOnDenominator(low, deputies, n_received)
        else:
            person_band = over_received
        if version > 1 and rules.band1_years > 1 and previous is not None and prev is None:
            note = FirstYear()  # judged on the one-year case alone, and the minutes say so
        elif rules.band1_years > 1 and prev is None and rules.band1.reached(low, n_received) \
                and person_band is None:
            note = NoPreviousYear()
        results.append(PersonResult(
            person.number, person.name, person.position, issued=issued, received=n_received,
            valid=sum(levels.values()), invalid=sum(reasons.values()), levels=levels,
            denominator=denominator, band=person_band, band_over_received=over_received,
            previous_low=percent(prev.numerator, prev.denominator)
            if prev is not None else None, note=note,
            invalid_reasons=dict(reasons)))  # type: ignore[arg-type]

    problems: list[Discrepancy] = []
    anomalies: list[Anomaly] = []
    if version == 1:
        assert issued is not None  # the number printed at worst
        if n_received > issued:
            problems.append(ReceivedOverIssued(n_received, issued))
    else:
        anomalies = _anomalies(void, n_received, issued, attendance, printed, print_runs)
        if not received:
            problems.append(NoBallots())
    if attendance.counted is not None and attendance.counted != n_received:
        problems.append(ScannedNotCounted(n_received, attendance.counted))
    missing = []
    if attendance.present is None:
        missing.append(Missing.PRESENT)
    if attendance.summoned is None:
        missing.append(Missing.SUMMONED)
    if attendance.counted is None:
        missing.append(Missing.COUNTED)
    if rules.band1_years > 1 and previous is None:
        missing.append(Missing.HISTORY)
    return Results(rules.name, attendance, printed, n_received,
                   counted=sum(r.status == BallotStatus.COUNTED for r in decided),
                   void=dict(void),  # type: ignore[arg-type]
                   excluded=sum(not r.received for r in resolved), persons=tuple(results),
                   quorum_met=quorum_met(rules, attendance), problems=tuple(problems),
                   missing=tuple(missing), open_ballots=open_ballots,
                   noted=dict(Counter(f for r in received for f in r.noted)),
                   stamp=stamp_check(r.ballot for r in received) if stamp else None,
                   anomalies=tuple(anomalies), print_runs=print_runs, version=version)


def _anomalies(void: Counter, received: int, issued: int | None, attendance: Attendance,
               printed: int, print_runs: int) -> list[Anomaly]:
    """What is unusual but possible (version 2), in the order the minutes state it."""
    found: list[Anomaly] = []
    if print_runs > 1:
        found.append(SeveralPrintRuns(print_runs, printed))
    present = attendance.present
    if issued is not None and present is not None and issued > present:
        found.append(IssuedOverPresent(issued, present))
    foreign = void[VoidReason.FOREIGN] + void[VoidReason.MISSING_STAMP]
    if foreign:
        found.append(ForeignReceived(foreign))
    if issued is not None and received - foreign > issued:
        found.append(GenuineOverIssued(received - foreign, issued))
    if present is not None and received > present:
        found.append(ReceivedOverPresent(received, present))
    return found


def tally_store(store: Store, attendance: Attendance, *,
                previous: dict[int, Fraction] | None = None) -> tuple[Conference, Results]:
    """Count the conference in ``store``: its readings and the latest decisions."""
    conference = store.conference()
    batches = store.batches()
    return conference, tally_of(conference, store.pages(), store.decisions(),
                                printed=sum(b.copies for b in batches), attendance=attendance,
                                previous=previous, print_runs=len(batches))


def tally_of(conference: Conference, pages: list[StoredPage], decisions: list[Decision], *,
             printed: int, attendance: Attendance,
             previous: dict[int, Fraction] | None = None, print_runs: int = 1,
             version: int = COUNT_VERSION) -> Results:
    """Count ``pages`` (in stack order) with ``decisions`` (oldest first), with the count's
    meaning of ``version``."""
    if attendance.summoned is None:
        attendance = Attendance(conference.summoned, attendance.present, attendance.issued,
                                attendance.counted)
    return count(conference.persons, RULE_SETS[conference.rules],
                 resolve_stack(conference, pages, decisions), attendance=attendance,
                 printed=printed, previous=previous, stamp=conference.stamp == "required",
                 print_runs=print_runs, version=version)
