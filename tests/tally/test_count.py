"""The count: hand-computed tallies of small conferences, band boundaries, every rule set.

These tests build readings as values (what the reader would store) so each tally can be computed
by hand; tests/tally/test_tally.py counts ballots printed, filled, scanned and read end to end.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from fractions import Fraction

import pytest

from ballotgen.conference import Person
from omr.decide import row_flags
from omr.reading import PageReading, RowReading
from tally.ballots import assemble
from tally.count import (
    Attendance,
    BandDependsOnDenominator,
    CountState,
    FirstYear,
    ForeignReceived,
    GenuineOverIssued,
    IssuedOverPresent,
    Missing,
    NoBallots,
    ReceivedOverIssued,
    ReceivedOverPresent,
    ScannedNotCounted,
    SeveralPrintRuns,
    band,
    count,
    percent,
    quorum_met,
)
from tally.fingerprint import fingerprint, results_json, results_sha256
from tally.resolve import propose_ballot, resolve_all
from tally.rules import RULE_SETS
from tally.sentences import anomaly_text, note_text, problem_text
from tally.store import Decision, StoredPage

PERSONS = (Person(1, "Trần Thị Mai", "Giám đốc"), Person(2, "Lê Văn Hùng", "Phó Giám đốc"),
           Person(3, "Phạm Quốc Bảo", "Phó Giám đốc"))
QD96 = RULE_SETS["qd96-2023"]


def page(id_: int, rows: tuple[str, ...] | None, *, kind: str = "ballot",
         crossed: int | None = None, write_in: bool = False) -> StoredPage:
    """A stored page as the reader would leave it: one row reading per person (in order)."""
    readings = []
    for person, reading in enumerate(rows or (), start=1):
        ink = 5.0 if person == crossed else 0.0
        readings.append(RowReading(person, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), ("empty",) * 3,
                                   reading, ink, row_flags(reading, ink)))
    flags = {f for r in readings for f in r.flags}
    if write_in:
        flags.add("write_in")
    if kind != "ballot":
        flags.add(kind)
    ours = kind == "ballot"
    reading = PageReading(kind, batch="B" if ours else None, page=1 if ours else None,
                          pages=1 if ours else None, rows=tuple(readings),
                          flags=tuple(sorted(flags)))
    return StoredPage(id_, "scan.pdf", "f" * 64, id_ - 1, "i" * 64, reading)


_ids = itertools.count(1)


def decision(ballot: int, person: int | None, value: str) -> Decision:
    return Decision(next(_ids), ballot, person, value, "", "Nguyễn Thị Lan", "",
                    "2026-12-15T10:00:00")


# Ten sheets from the box, and what the committee decided on the flagged ones.
STACK = [
    page(1, ("cao", "tin_nhiem", "thap")),
    page(2, ("cao", "cao", "thap")),
    page(3, ("thap", "thap", "thap")),
    page(4, ("blank", "blank", "blank")),  # a blank ballot
    page(5, ("cao", "multi", "thap")),  # two boxes marked for person 2
    page(6, ("cao", "cao", "cao"), crossed=3),  # person 3's name struck through
    page(7, None, kind="foreign"),  # a sheet the committee did not issue
    page(8, ("tin_nhiem", "thap", "cao"), write_in=True),  # a name written in below the table
    page(9, ("unclear", "thap", "thap")),  # a faint mark for person 1
    page(10, ("cao", "cao", "cao")),  # the same sheet fed twice: the committee excludes it
]
DECISIONS = [
    decision(4, None, "invalid"),
    decision(5, None, "genuine"), decision(5, 2, "invalid"),
    decision(6, None, "invalid"),
    decision(7, None, "foreign"),
    decision(8, None, "genuine"),
    decision(9, None, "genuine"), decision(9, 1, "thap"), decision(9, 1, "cao"),  # changed mind
    decision(10, None, "flagged"), decision(10, None, "excluded"),
]
FULL = Attendance(summoned=12, present=10, issued=10, counted=9)


def tally(rules=QD96, decisions=DECISIONS, attendance=FULL, stack=STACK, **kwargs):
    resolved = resolve_all(assemble(stack), decisions, [p.number for p in PERSONS], rules)
    return count(PERSONS, rules, resolved, attendance=attendance, printed=12, **kwargs)


def tally_v1(**kwargs):
    """The count as version 1 made it (tallies recorded before issue 14)."""
    return tally(version=1, **kwargs)


def line(results, number):
    p = results.persons[number - 1]
    return (p.valid, p.invalid, p.levels["cao"], p.levels["tin_nhiem"], p.levels["thap"], p.band)


def test_hand_computed_tally_qd96():
    r = tally()
    # Received: 10 sheets less the excluded one. Void: 4 (blank), 6 (crossed name), 7 (foreign).
    assert (r.received, r.counted, r.excluded, r.issued) == (9, 6, 1, 10)
    assert r.void == {"blank_ballot": 1, "name_crossed": 1, "foreign": 1}
    # Person 1 on the counted ballots 1 2 3 5 8 9: cao thap cao cao tin_nhiem cao(reviewed).
    assert line(r, 1) == (6, 3, 4, 1, 1, None)
    # Person 2 on 1 2 3 5 8 9: tin_nhiem cao thap invalid(two marks) thap thap.
    assert line(r, 2) == (5, 4, 1, 1, 3, None)
    assert r.persons[1].invalid_reasons == {"void": 3, "multi_mark": 1}
    # Person 3 on 1 2 3 5 8 9: thap thap thap thap cao thap: 5 of 9 is band 1 (> 1/2, < 2/3).
    assert line(r, 3) == (6, 3, 1, 0, 5, 1)
    assert (r.persons[2].percent("thap"), r.persons[2].percent("cao")) == ("55.56", "11.11")
    assert all(p.received == 9 and p.issued == 10 for p in r.persons)
    assert r.final and r.quorum_met and not r.problems


def test_unresolved_flags_make_a_draft_that_lists_them():
    r = tally(decisions=[d for d in DECISIONS if d.ballot not in (5, 9)])
    assert not r.final
    assert [(b.number, b.reasons) for b in r.open_ballots] == [(5, ("multi_mark",)),
                                                               (9, ("unclear_mark",))]
    # Open ballots are received but not yet counted for anyone.
    assert r.received == 9 and line(r, 1)[:2] == (4, 3)
    # A ballot declared genuine with its unclear row undecided is still open.
    r = tally(decisions=[d for d in DECISIONS if not (d.ballot == 9 and d.person)])
    assert [b.number for b in r.open_ballots] == [9]


def test_a_flagged_ballot_without_a_decision_never_counts_by_its_proposal():
    r = tally(decisions=[])
    assert {b.number for b in r.open_ballots} == {4, 5, 6, 7, 9}
    # Only ballots 1-3 and 10, which have no flag, and 8, whose write-in changes no count (qd96).
    assert line(r, 1) == (5, 0, 3, 1, 1, None)


def test_a_write_in_is_reviewed_only_where_it_can_change_a_count():
    ballots = assemble(STACK)
    (qd96,) = [r for r in resolve_all(ballots, [], [1, 2, 3], QD96) if r.ballot.number == 8]
    assert qd96.state == "accepted" and qd96.status == "counted"
    assert qd96.reasons == () and qd96.noted == ("write_in",)  # recorded, not held
    r = tally(decisions=[d for d in DECISIONS if d.ballot != 8])
    assert r.final and r.noted == {"write_in": 1}
    rules = RULE_SETS["qd262-2014"]  # a write-in voids the ballot there: a human confirms it
    (qd262,) = [r for r in resolve_all(ballots, [], [1, 2, 3], rules) if r.ballot.number == 8]
    assert qd262.state == "open" and qd262.reasons == ("write_in",) and qd262.noted == ()


def test_qd262_voids_a_ballot_with_a_write_in():
    rules = RULE_SETS["qd262-2014"]
    ballots = assemble(STACK)
    assert propose_ballot(ballots[7], rules) == "invalid"
    assert propose_ballot(ballots[7], QD96) == "genuine"
    decisions = [d for d in DECISIONS if d.ballot != 8] + [decision(8, None, "invalid")]
    r = tally(rules, decisions)
    assert r.void == {"blank_ballot": 1, "name_crossed": 1, "foreign": 1, "write_in": 1}
    assert line(r, 3) == (5, 4, 0, 0, 5, 1)  # 5 of 9: "more than half" is band 1 in qd262 too


def test_crossed_name_as_a_row_cause_voids_only_that_row():
    rules = dataclasses.replace(QD96, crossed_name="row")
    ballots = assemble(STACK)
    assert propose_ballot(ballots[5], rules) == "genuine"
    decisions = [d for d in DECISIONS if d.ballot != 6] + [decision(6, None, "genuine")]
    r = tally(rules, decisions)
    assert r.void == {"blank_ballot": 1, "foreign": 1}
    assert line(r, 1) == (7, 2, 5, 1, 1, None)
    assert r.persons[2].invalid_reasons == {"void": 2, "name_crossed": 1}


def test_a_blank_ballot_confirmed_genuine_is_still_void_for_everyone():
    decisions = [d for d in DECISIONS if d.ballot != 4] + [decision(4, None, "genuine")]
    assert tally(decisions=decisions).void["blank_ballot"] == 1


def test_a_reviewer_can_correct_an_accepted_ballot():
    r = tally(decisions=DECISIONS + [decision(1, 3, "cao")])
    assert line(r, 3)[2:5] == (2, 0, 4)


def test_reconciliation_problems_and_missing_facts_in_version_1():
    """How tallies recorded before version 2 were made (the audit still recomputes them)."""
    r = tally_v1(attendance=Attendance(summoned=12, present=10, issued=8, counted=10))
    assert r.problems == (ReceivedOverIssued(received=9, issued=8),
                          ScannedNotCounted(scanned=9, counted=10))
    assert not r.final and r.anomalies == ()
    r = tally_v1(attendance=Attendance())
    assert r.issued == 12  # ballots printed, when the number issued is not given
    assert r.missing == (Missing.PRESENT, Missing.SUMMONED, Missing.COUNTED)
    assert r.quorum_met is None and not r.final


def test_a_foreign_sheet_is_received_and_invalid_and_blocks_nothing():
    # 9 sheets received, one of them (7) not issued by the committee; 8 ballots handed out.
    r = tally(attendance=Attendance(summoned=12, present=10, issued=8, counted=9))
    assert (r.received, r.foreign, r.genuine, r.issued) == (9, 1, 8, 8)
    assert r.void["foreign"] == 1 and all(p.received == 9 for p in r.persons)
    assert r.problems == () and r.final  # version 1 kept this a draft for ever
    assert r.anomalies == (ForeignReceived(1),)
    assert anomaly_text(r.anomalies[0], QD96) == (
        "Trong hòm phiếu có 1 phiếu không do Ban Kiểm phiếu phát ra; các phiếu này được tính "
        "vào số phiếu thu về và là phiếu không hợp lệ.")


def test_more_genuine_ballots_than_handed_out_or_than_voters_present_is_stated_not_blocking():
    r = tally(attendance=Attendance(summoned=12, present=8, issued=7, counted=9))
    assert r.anomalies == (
        ForeignReceived(1), GenuineOverIssued(genuine=8, issued=7),
        ReceivedOverPresent(received=9, present=8))
    assert r.final and r.problems == ()
    assert "Số phiếu thu về (9) nhiều hơn số người có mặt (8)." in \
        results_json(r)


def test_ballots_handed_out_default_to_the_voters_present_never_to_those_printed():
    r = tally(attendance=Attendance(summoned=12, present=10, counted=9), print_runs=2)
    assert (r.printed, r.issued, r.issued_derived) == (12, 10, True)
    assert all(p.issued == 10 for p in r.persons)
    assert SeveralPrintRuns(runs=2, printed=12) in r.anomalies
    r = tally(attendance=Attendance(summoned=12, present=9, issued=10, counted=9))
    assert (r.issued, r.issued_derived) == (10, False)
    assert IssuedOverPresent(issued=10, present=9) in r.anomalies
    r = tally(attendance=Attendance(summoned=12, counted=9))
    assert r.issued is None and r.persons[0].issued is None and Missing.PRESENT in r.missing


def test_no_ballot_scanned_is_never_official():
    r = tally(stack=[], decisions=[], attendance=Attendance(summoned=12, present=10, counted=0))
    assert r.received == 0 and r.problems == (NoBallots(),) and not r.final
    assert problem_text(NoBallots()) == "Chưa có phiếu nào được quét: số phiếu thu về là 0."


def test_without_quorum_the_count_cannot_stand():
    r = tally(attendance=Attendance(summoned=12, present=7, counted=9))
    assert r.quorum_met is False and not r.standing and not r.final
    assert r.state == CountState.VOID
    r = tally(attendance=Attendance(summoned=12, present=8, counted=9))
    assert r.standing and r.state == CountState.OFFICIAL


def test_results_of_version_2_carry_their_version_and_their_sentences():
    a = tally()
    data = json.loads(results_json(a))
    assert data["version"] == 2 and data["anomalies"] == [anomaly_text(ForeignReceived(1),
                                                                        QD96)]
    assert fingerprint(a, "x") != fingerprint(tally_v1(), "x")


def test_missing_facts():
    r = tally(attendance=Attendance())
    assert r.issued is None  # neither entered nor derivable: never the number printed
    assert r.missing == (Missing.PRESENT, Missing.SUMMONED, Missing.COUNTED)
    assert r.quorum_met is None and not r.final


@pytest.mark.parametrize("present, met", [(8, True), (7, False)])
def test_quorum_is_two_thirds_of_the_summoned(present, met):
    assert quorum_met(QD96, Attendance(summoned=12, present=present)) is met
    r = tally(attendance=Attendance(summoned=12, present=present, counted=9))
    assert r.quorum_met is met
    assert quorum_met(RULE_SETS["nq96-2023"], Attendance(summoned=12, present=1)) is None


@pytest.mark.parametrize("received, low, expected", [
    (6, 3, None), (6, 4, 2), (7, 3, None), (7, 4, 1), (7, 5, 2), (9, 5, 1), (9, 6, 2),
    (10, 5, None), (10, 6, 1), (10, 7, 2), (3, 2, 2), (1, 1, 2), (1, 0, None), (0, 0, None),
    (300, 151, 1), (300, 199, 1), (300, 200, 2),
])
def test_band_boundaries_are_exact(received, low, expected):
    assert band(QD96, low, received) == expected
    assert band(RULE_SETS["qd262-2014"], low, received) == expected


@pytest.mark.parametrize("received, low, previous, expected", [
    (10, 7, Fraction(7, 10), 1), (10, 7, Fraction(69, 100), None), (10, 7, None, None),
    (10, 8, None, 2), (10, 6, Fraction(1), None), (20, 14, Fraction(725, 1000), 1),
    (5, 4, None, 2), (100, 79, Fraction(70, 100), 1), (100, 80, Fraction(0), 2),
])
def test_annual_2013_bands_need_two_years_for_band_1(received, low, previous, expected):
    assert band(RULE_SETS["annual-2013"], low, received, previous) == expected


def test_annual_2013_tally_uses_last_years_shares():
    rules = RULE_SETS["annual-2013"]
    # Person 3 has 5 of 9 low (55.56 %): under 70 % whatever last year was.
    r = tally(rules, previous={1: Fraction(1, 2), 2: Fraction(3, 4), 3: Fraction(9, 10)})
    assert [p.band for p in r.persons] == [None, None, None]
    assert r.persons[2].previous_low == "90.00"
    r = tally(rules)  # no history given: the count is a draft until it is
    assert r.missing == (Missing.HISTORY,) and not r.final


def test_annual_2013_a_person_without_last_years_share_is_judged_on_one_year():
    rules = RULE_SETS["annual-2013"]
    stack = [page(i, ("thap", "thap", "cao" if i < 3 else "thap")) for i in range(1, 11)]
    # 10 of 10 low for persons 1 and 2, 8 of 10 for person 3; only person 1 polled last year.
    r = tally(rules, decisions=[], stack=stack, previous={1: Fraction(3, 4)},
              attendance=Attendance(summoned=12, present=10, counted=10))
    assert [p.band for p in r.persons] == [2, 2, 2]
    assert [p.note for p in r.persons] == [None, FirstYear(), FirstYear()]
    assert r.final and r.missing == ()
    assert note_text(FirstYear(), 2, rules) == (
        "Không có kết quả lấy phiếu năm trước (mới bổ nhiệm hoặc năm trước không được lấy "
        "phiếu): chỉ xét trường hợp trong một năm (từ 80% trở lên số phiếu tín nhiệm thấp trong "
        "một năm)")
    stack = [page(i, ("thap", "thap", "cao" if i < 4 else "thap")) for i in range(1, 11)]
    r = tally(rules, decisions=[], stack=stack, previous={1: Fraction(3, 4)},
              attendance=Attendance(summoned=12, present=10, counted=10))
    # 7 of 10 for person 3: band 1 needs two years, and there is no last year: no band.
    assert (r.persons[2].band, r.persons[2].note) == (None, FirstYear())
    assert "FirstYear" not in results_json(r) and "chỉ xét trường hợp" in results_json(r)


def test_nq96_percentages_over_total_deputies_and_the_band_that_depends_on_it():
    rules = RULE_SETS["nq96-2023"]
    r = tally(rules)
    p3 = r.persons[2]
    # 5 low of 12 deputies (41.67 %): no band; of 9 ballots received (55.56 %) it would be band 1.
    assert (p3.denominator, p3.percent("thap"), p3.percent("thap", r.received)) == \
        (12, "41.67", "55.56")
    assert (p3.band, p3.band_over_received) == (None, 1)
    assert p3.note == BandDependsOnDenominator(low=5, deputies=12, received=9)
    assert r.persons[0].note is None
    assert r.quorum_met is None  # no quorum rule in nq96


@pytest.mark.parametrize("count_, denominator, text", [
    (2, 3, "66.67"), (1, 3, "33.33"), (1, 8, "12.50"), (1, 160, "0.63"), (0, 5, "0.00"),
    (5, 5, "100.00"), (1, 0, "-"),
])
def test_percentages_have_two_decimals_rounded_half_up(count_, denominator, text):
    assert percent(count_, denominator) == text


def test_the_fingerprint_changes_with_the_results_and_the_log():
    a, b = tally(), tally(decisions=DECISIONS + [decision(1, 3, "cao")])
    assert fingerprint(a, "x") == fingerprint(tally(), "x")
    assert len({fingerprint(a, "x"), fingerprint(a, "y"), fingerprint(b, "x")}) == 3


# Fingerprints and results hashes of these counts as the version of 2026-12-02 (74693f1) made
# them: every tally in a log made before must be reproduced, so the canonical form never moves.
EARLIER = [
    ("qd96 reviewed", {}, "66F9-A766-14FA-413E", "67251da8dcf7d3d4"),
    ("draft, with open ballots and one flagged by hand",
     {"decisions": [d for d in DECISIONS if d.ballot not in (5, 9, 10)]
      + [decision(10, None, "flagged")]}, "8F9D-1FDC-ADC9-FB37", "ea11974a11a0b1de"),
    ("numbers that do not reconcile",
     {"attendance": Attendance(summoned=12, present=10, issued=8, counted=10)},
     "F91B-1E9B-CE4C-38B6", "e97b5accdcb450f1"),
    ("facts not entered", {"attendance": Attendance()}, "86B8-422D-A1D0-4B0E",
     "80833c13dd68d029"),
    ("nq96: a band that depends on the denominator", {"rules": RULE_SETS["nq96-2023"]},
     "DAD4-3A23-DF2B-052F", "b01884ed2de7bc56"),
    ("annual-2013 without last year", {"rules": RULE_SETS["annual-2013"]},
     "31C1-040C-028E-E392", "b0912dde262ec79b"),
    ("annual-2013 with last year", {"rules": RULE_SETS["annual-2013"], "previous": {
        1: Fraction(1, 2), 2: Fraction(3, 4), 3: Fraction(9, 10)}},
     "A49B-1635-7B2D-4CCF", "3eecce19a2a9df6d"),
    ("qd262: a write-in voids", {"rules": RULE_SETS["qd262-2014"], "decisions": [
        d for d in DECISIONS if d.ballot != 8] + [decision(8, None, "invalid")]},
     "2CC2-3C7C-67F3-107E", "36c632ebcf1043da"),
]


@pytest.mark.parametrize("name, kwargs, expected, sha", EARLIER, ids=[e[0] for e in EARLIER])
def test_fingerprints_of_earlier_versions_are_reproduced(name, kwargs, expected, sha):
    results = tally_v1(**kwargs)
    assert fingerprint(results, "0" * 64) == expected
    assert results_sha256(results)[:16] == sha


def test_last_years_shares_are_read_as_exact_fractions(tmp_path):
    from tally.history import read_history

    path = tmp_path / "nam-truoc.csv"
    path.write_text("STT,Họ và tên,Tỷ lệ tín nhiệm thấp (%)\n1,Trần Thị Mai,72.5\n"
                    "2,Lê Văn Hùng,\"70,01\"\n", encoding="utf-8-sig")
    assert read_history(path, PERSONS) == {1: Fraction(29, 40), 2: Fraction(7001, 10000)}
    path.write_text("STT,Tín nhiệm thấp,Phiếu thu về\n3,7,10\n", encoding="utf-8")
    assert read_history(path, PERSONS) == {3: Fraction(7, 10)}
    r = tally(RULE_SETS["annual-2013"], previous=read_history(path, PERSONS))
    assert r.persons[2].previous_low == "70.00"


def test_annual_2013_an_empty_history_is_a_first_year_for_everyone():
    """The committee gives a history with nobody in it (a first poll): not a missing fact."""
    r = tally(RULE_SETS["annual-2013"], previous={})
    assert r.missing == () and r.final
    assert all(p.note == FirstYear() for p in r.persons)
