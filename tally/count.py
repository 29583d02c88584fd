"""The count: resolved ballots → per-person results, bands, quorum and reconciliation (rules 1, 8–10).

Pure functions on values; :func:`tally_store` gathers the values from a store. Every comparison
with a threshold is exact integer arithmetic; percentages are only for display.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from ballotgen.conference import Conference, Person
from ballotgen.errors import InputFileError
from ballotgen.layout import LEVELS
from tally.ballots import StampCheck, assemble, stamp_check
from tally.resolve import Resolved, resolve_all
from tally.rules import RULE_SETS, RuleSet, Threshold
from tally.store import Decision, Store, StoredPage


def percent(count: int, denominator: int) -> str:
    """``count / denominator`` in percent with two decimals, rounded half up: "66.67"."""
    if denominator <= 0:
        return "-"
    hundredths = (count * 10_000 * 2 + denominator) // (2 * denominator)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclass(frozen=True)
class Attendance:
    """What the committee enters: summoned and present voters, ballots issued and counted by hand."""

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


def band(rules: RuleSet, low: int, denominator: int, previous: Fraction | None = None) -> int | None:
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


@dataclass(frozen=True)
class PersonResult:
    """One person's line of the minutes (rule 8), with the band."""

    number: int
    name: str
    position: str
    issued: int
    received: int
    valid: int
    invalid: int
    levels: dict[str, int]  # LEVELS → count
    denominator: int  # of the percentages and the band: received, or total deputies (nq96)
    band: int | None
    band_over_received: int | None  # nq96: the band if the denominator were ballots received
    previous_low: str | None  # annual-2013: last year's low share in percent, if given
    note: str = ""  # e.g. the band depends on the denominator, last year's result is missing
    invalid_reasons: dict[str, int] = field(default_factory=dict)

    def percent(self, level: str, denominator: int | None = None) -> str:
        return percent(self.levels[level], self.denominator if denominator is None else denominator)


@dataclass(frozen=True)
class OpenBallot:
    number: int
    file: str
    page: int  # 1-based page of the file
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Results:
    """Everything the minutes say, computed from the store."""

    rules: str
    attendance: Attendance
    printed: int
    received: int  # sheets from the box: every ballot not excluded by the committee
    counted: int  # ballots counted (some rows may still be invalid)
    void: dict[str, int]  # whole ballots invalid, by VOID_REASONS key
    excluded: int  # scans the committee excluded (a sheet scanned twice, not a ballot)
    persons: tuple[PersonResult, ...]
    quorum_met: bool | None
    problems: tuple[str, ...]  # reconciliation problems to resolve (Vietnamese)
    missing: tuple[str, ...]  # facts the committee has not entered yet (Vietnamese)
    open_ballots: tuple[OpenBallot, ...]
    noted: dict[str, int] = field(default_factory=dict)  # flags that changed no count, by flag
    stamp: StampCheck | None = None  # the stamp check on the ballots received, when required

    @property
    def issued(self) -> int:
        return self.attendance.issued if self.attendance.issued is not None else self.printed

    @property
    def final(self) -> bool:
        """Only a complete, reconciled count makes final minutes; otherwise they are a draft."""
        return not (self.problems or self.missing or self.open_ballots)

    def to_json(self) -> str:
        data = asdict(self)
        if self.stamp is None:  # as results were before the stamp check: their fingerprints stand
            del data["stamp"]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def fingerprint(self, log_head: str) -> str:
        """A short hash of these results and the event log's last hash, printed on the minutes."""
        digest = hashlib.sha256(f"{self.to_json()}\n{log_head}".encode("utf-8")).hexdigest()
        return "-".join(digest[i:i + 4] for i in range(0, 16, 4)).upper()


def count(persons: tuple[Person, ...], rules: RuleSet, resolved: list[Resolved], *,
          attendance: Attendance, printed: int,
          previous: dict[int, Fraction] | None = None, stamp: bool = False) -> Results:
    """Tally ``resolved`` ballots per person (rule 8) and check quorum and reconciliation; with
    ``stamp`` (the conference requires the stamp), say what the stamp check found."""
    received = [r for r in resolved if r.received]
    decided = [r for r in received if r.status is not None]
    open_ballots = tuple(
        OpenBallot(r.ballot.number, r.ballot.pages[0].file_name, r.ballot.pages[0].page_index + 1,
                   r.reasons) for r in received if r.status is None)
    void = Counter(r.void_reason for r in decided if r.status == "void")
    n_received = len(received)
    issued = attendance.issued
    deputies = attendance.summoned
    results = []
    for person in persons:
        outcomes = [row for r in decided for row in r.rows if row.person == person.number]
        levels = {level: sum(o.level == level for o in outcomes) for level in LEVELS}
        reasons = Counter(o.reason for o in outcomes if o.level is None)
        low = levels["thap"]
        denominator = n_received
        prev = previous.get(person.number) if previous else None
        note = ""
        over_received = band(rules, low, n_received, prev)
        if rules.percent_denominator == "deputies":
            denominator = deputies or 0
            person_band = band(rules, low, denominator, prev) if deputies else None
            if deputies and person_band != over_received:
                note = (f"Mức phụ thuộc vào mẫu số: tín nhiệm thấp {percent(low, deputies)}% "
                        f"tổng số đại biểu, {percent(low, n_received)}% số phiếu thu về")
        else:
            person_band = over_received
        if rules.band1_years > 1 and prev is None and rules.band1.reached(low, n_received) \
                and person_band is None:
            note = "Thiếu kết quả năm trước để xác định mức 1"
        results.append(PersonResult(
            person.number, person.name, person.position,
            issued=issued if issued is not None else printed, received=n_received,
            valid=sum(levels.values()), invalid=sum(reasons.values()), levels=levels,
            denominator=denominator, band=person_band, band_over_received=over_received,
            previous_low=percent(prev.numerator, prev.denominator)
            if prev is not None else None, note=note, invalid_reasons=dict(reasons)))

    issued_n = issued if issued is not None else printed
    problems = []
    if n_received > issued_n:
        problems.append(f"Số phiếu thu về ({n_received}) nhiều hơn số phiếu phát ra ({issued_n}).")
    if attendance.counted is not None and attendance.counted != n_received:
        problems.append(f"Số phiếu quét được ({n_received}) khác số phiếu Ban Kiểm phiếu đếm "
                        f"({attendance.counted}).")
    missing = []
    if attendance.present is None:
        missing.append("Chưa nhập số người có mặt (--present).")
    if attendance.summoned is None:
        missing.append("Chưa nhập số người được triệu tập (--summoned).")
    if attendance.counted is None:
        missing.append("Chưa nhập số phiếu Ban Kiểm phiếu đếm được trong hòm phiếu (--counted).")
    if rules.band1_years > 1 and previous is None:
        missing.append("Chưa có kết quả năm trước (--history).")
    return Results(rules.name, attendance, printed, n_received,
                   counted=sum(r.status == "counted" for r in decided), void=dict(void),
                   excluded=sum(not r.received for r in resolved), persons=tuple(results),
                   quorum_met=quorum_met(rules, attendance), problems=tuple(problems),
                   missing=tuple(missing), open_ballots=open_ballots,
                   noted=dict(Counter(f for r in received for f in r.noted)),
                   stamp=stamp_check(r.ballot for r in received) if stamp else None)


def tally_store(store: Store, attendance: Attendance, *,
                previous: dict[int, Fraction] | None = None) -> tuple[Conference, Results]:
    """Count the conference in ``store``: its readings and the latest decisions."""
    conference = store.conference()
    printed = sum(b.copies for b in store.batches())
    return conference, tally_of(conference, store.pages(), store.decisions(), printed=printed,
                                attendance=attendance, previous=previous)


def tally_of(conference: Conference, pages: list[StoredPage], decisions: list[Decision], *,
             printed: int, attendance: Attendance,
             previous: dict[int, Fraction] | None = None) -> Results:
    """Count ``pages`` (in stack order) with ``decisions`` (oldest first)."""
    rules = RULE_SETS[conference.rules]
    if attendance.summoned is None:
        attendance = Attendance(conference.summoned, attendance.present, attendance.issued,
                                attendance.counted)
    numbers = [p.number for p in conference.persons]
    resolved = resolve_all(assemble(pages), decisions, numbers, rules)
    return count(conference.persons, rules, resolved, attendance=attendance, printed=printed,
                 previous=previous, stamp=conference.stamp == "required")


def read_history(path: Path, persons: tuple[Person, ...]) -> dict[int, Fraction]:
    """Last year's low-confidence share per person (``annual-2013``), from a CSV file.

    Columns: ``STT`` and either ``Tỷ lệ tín nhiệm thấp (%)`` (e.g. ``72.5``) or the counts
    ``Tín nhiệm thấp`` and ``Phiếu thu về``. Shares are kept as exact fractions.

    Raises
    ------
    InputFileError
        The file cannot be read, a column is missing, a number is malformed, or a person is unknown.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read as UTF-8 CSV ({exc})") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    known = {p.number for p in persons}
    previous: dict[int, Fraction] = {}
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            number = int(row["stt"])
            if row.get("tỷ lệ tín nhiệm thấp (%)"):
                share = Fraction(row["tỷ lệ tín nhiệm thấp (%)"].replace(",", ".")) / 100
            else:
                share = Fraction(int(row["tín nhiệm thấp"]), int(row["phiếu thu về"]))
        except (KeyError, ValueError, ZeroDivisionError) as exc:
            raise InputFileError(path, f"row {line}: needs STT and either 'Tỷ lệ tín nhiệm thấp (%)'"
                                       f" or 'Tín nhiệm thấp' and 'Phiếu thu về' ({exc})") from exc
        if number not in known:
            raise InputFileError(path, f"row {line}: no person number {number} in this conference")
        if not 0 <= share <= 1:
            raise InputFileError(path, f"row {line}: a share must be between 0 and 100 %")
        previous[number] = share
    return previous
