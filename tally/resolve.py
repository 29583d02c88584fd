"""Readings plus the latest decisions → what each ballot counts for (domain rules 4–7).

A ballot without flags counts as read. A flagged ballot (or one flagged by hand) waits for a
reviewer: it is *open* until a decision on the ballot as a whole says what it is, and, for a
genuine ballot, every row the machine could not read has a decision. The machine's *proposal*
(what the rule set says, given the flags) is shown to the reviewer and recorded as ``before``;
it never counts by itself. Only decisions change counts, and the latest decision wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballotgen.layout import LEVELS
from tally.ballots import Ballot
from tally.rules import RuleSet
from tally.store import Decision

ROW_CHOICES = (*LEVELS, "invalid")
BALLOT_CHOICES = ("genuine", "invalid", "foreign", "excluded")
MANUAL_FLAG = "flagged"  # a ballot-level decision: a reviewer wants this ballot looked at

# Why a ballot waits for a reviewer, in plain Vietnamese (review page, minutes, terminal).
REASON_LABELS = {
    "blank_row": "Có dòng không đánh dấu ô nào",
    "multi_mark": "Có dòng đánh dấu từ hai ô trở lên",
    "unclear_mark": "Có dấu không rõ, cần xem",
    "name_crossed": "Có tên bị gạch",
    "write_in": "Có ghi thêm tên hoặc chữ ngoài danh sách",
    "foreign": "Không phải phiếu do Ban Kiểm phiếu phát hành (mã không đúng)",
    "unreadable": "Máy không đọc được trang này",
    "blank_ballot": "Phiếu trắng: không đánh dấu ô nào",
    "missing_page": "Thiếu trang của phiếu",
    "duplicate": "Cùng số sê-ri với phiếu khác: có thể quét trùng",
    "missing_stamp": "Không có dấu treo của cơ quan: có thể không do Ban Kiểm phiếu phát ra",
    "stamp_unclear": "Máy không xác định được có dấu treo hay không, cần xem",
    "manual": "Thành viên Ban Kiểm phiếu đánh dấu để xem lại",
}

# Why a whole ballot is void, and why one row is; the words the minutes use.
VOID_REASONS = {
    "foreign": "Phiếu không do Ban Kiểm phiếu phát hành",
    "blank_ballot": "Phiếu không đánh dấu ô nào (phiếu trắng)",
    "name_crossed": "Phiếu gạch tên người được lấy phiếu",
    "write_in": "Phiếu ghi thêm tên người ngoài danh sách",
    "missing_stamp": "Phiếu không do Ban Kiểm phiếu phát ra (không có dấu treo)",
    "committee": "Phiếu Ban Kiểm phiếu xác định không hợp lệ",
}
ROW_INVALID_REASONS = {
    "blank_row": "Không đánh dấu ô nào",
    "multi_mark": "Đánh dấu từ hai ô trở lên",
    "name_crossed": "Gạch tên",
    "committee": "Ban Kiểm phiếu xác định không hợp lệ",
    "void": "Cả phiếu không hợp lệ",
}


@dataclass(frozen=True)
class RowOutcome:
    person: int
    level: str | None  # a LEVELS value when the row is valid
    reason: str | None  # a ROW_INVALID_REASONS key when it is not


@dataclass(frozen=True)
class Resolved:
    """What one ballot of the stack counts for, now."""

    ballot: Ballot
    state: str  # "accepted" (no flag), "open" (waits for a reviewer), "resolved"
    status: str | None  # "counted", "void" or "excluded"; None while open
    void_reason: str | None  # a VOID_REASONS key when void
    rows: tuple[RowOutcome, ...]  # one per person when counted or void; () otherwise
    open_rows: tuple[int, ...]  # persons still to decide on a ballot declared genuine
    reasons: tuple[str, ...]  # the flags that hold it for review, and "manual" when flagged by hand
    noted: tuple[str, ...] = ()  # flags recorded and reported that cannot change a count here

    @property
    def id(self) -> int:
        return ballot_id(self.ballot)

    @property
    def received(self) -> bool:
        """A sheet from the box: counted or void, or not yet decided (not excluded)."""
        return self.status != "excluded"


def ballot_id(ballot: Ballot) -> int:
    """The id decisions use for a ballot: its first page's."""
    return ballot.pages[0].id


def row_readings(ballot: Ballot) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Person → (the reader's row reading, the row's flags), over every page of the ballot."""
    return {row.person: (row.reading, row.flags)
            for page in ballot.pages for row in page.reading.rows}


def propose_ballot(ballot: Ballot, rules: RuleSet) -> str | None:
    """What the rule set says the ballot is, from its flags; None when only a human can say.

    A sheet without the agency's stamp (``missing_stamp``, with the conference's stamp check
    on) is proposed as one the committee did not issue (rule 10: received, invalid for every
    person); whether a stamp is there that the reader could not tell (``stamp_unclear``) only a
    human can say."""
    flags = set(ballot.flags)
    if ballot.kind == "foreign":
        return "foreign"
    if flags & {"unreadable", "duplicate", "missing_page", "stamp_unclear"}:
        return None
    if "missing_stamp" in flags:
        return "foreign"
    return "invalid" if whole_ballot_cause(ballot.flags, rules) else "genuine"


def holds_for_review(flag: str, rules: RuleSet) -> bool:
    """Whether ``flag`` can change some person's count under ``rules``.

    Only such flags hold a ballot for the committee; the others are recorded, shown on the
    review page and counted in the minutes. A write-in is ignored under ``qd96-2023`` (rule 6):
    the name added does not count and the rest of the ballot stays valid, so whether the ink
    below the table is a name, a signature or a smudge changes nothing. Under ``qd262-2014`` a
    write-in voids the ballot, so a human must confirm it.
    """
    if flag == "write_in":
        return rules.write_in == "ballot_invalid"
    return True


def whole_ballot_cause(flags: tuple[str, ...] | list[str], rules: RuleSet) -> str | None:
    """The flag that voids a whole ballot under ``rules`` (rules 4 and 7), or None."""
    if "blank_ballot" in flags:
        return "blank_ballot"
    if "name_crossed" in flags and rules.crossed_name == "ballot":
        return "name_crossed"
    if "write_in" in flags and rules.write_in == "ballot_invalid":
        return "write_in"
    return None


def propose_row(reading: str | None, flags: tuple[str, ...], rules: RuleSet) -> str | None:
    """The rule-5 outcome of a row as read: its level, ``invalid``, or None if a human must say."""
    if "name_crossed" in flags and rules.crossed_name == "row":
        return "invalid"
    if reading in LEVELS:
        return reading
    if reading in ("blank", "multi"):
        return "invalid"
    return None  # unclear, or no reading (a page the machine could not read)


def _void_reason(ballot: Ballot, rules: RuleSet, decision: str) -> str:
    if decision == "foreign":  # not issued: known by its code, or by the stamp it lacks
        return "missing_stamp" if ballot.kind != "foreign" and \
            "missing_stamp" in ballot.flags else "foreign"
    return whole_ballot_cause(ballot.flags, rules) or "committee"


def _row_reason(reading: str | None, flags: tuple[str, ...], rules: RuleSet) -> str:
    if "name_crossed" in flags and rules.crossed_name == "row":
        return "name_crossed"
    return {"blank": "blank_row", "multi": "multi_mark"}.get(reading or "", "committee")


def resolve(ballot: Ballot, decisions: list[Decision], persons: list[int],
            rules: RuleSet) -> Resolved:
    """What ``ballot`` counts for, given its decisions (oldest first) and the conference's persons."""
    ballot_decisions = [d for d in decisions if d.person is None]
    manual = any(d.value == MANUAL_FLAG for d in ballot_decisions)
    held = tuple(f for f in ballot.flags if holds_for_review(f, rules))
    noted = tuple(f for f in ballot.flags if not holds_for_review(f, rules))
    reasons = held + (("manual",) if manual else ())
    latest = ballot_decisions[-1].value if ballot_decisions else None
    row_decisions = {d.person: d.value for d in decisions if d.person is not None}
    readings = row_readings(ballot)

    if reasons:  # a reviewer must have said what the ballot is; "genuine" counts its rows
        if latest is None or latest == MANUAL_FLAG:
            return Resolved(ballot, "open", None, None, (), (), reasons, noted)
        if latest == "excluded":
            return Resolved(ballot, "resolved", "excluded", None, (), (), reasons, noted)
        if latest in ("foreign", "invalid"):
            rows = tuple(RowOutcome(p, None, "void") for p in persons)
            return Resolved(ballot, "resolved", "void", _void_reason(ballot, rules, latest), rows,
                            (), reasons, noted)

    rows, open_rows = [], []
    for person in persons:
        reading, flags = readings.get(person, (None, ()))
        value = row_decisions.get(person)
        if value is None:
            value = propose_row(reading, flags, rules)
        if value is None:
            open_rows.append(person)
        elif value == "invalid":
            rows.append(RowOutcome(person, None, _row_reason(reading, flags, rules)))
        else:
            rows.append(RowOutcome(person, value, None))
    if open_rows:
        return Resolved(ballot, "open", None, None, (), tuple(open_rows), reasons, noted)
    state = "resolved" if reasons else "accepted"
    if all(r.reason == "blank_row" for r in rows):  # rule 7: a blank ballot is void for everyone
        rows = [RowOutcome(r.person, None, "void") for r in rows]
        return Resolved(ballot, state, "void", "blank_ballot", tuple(rows), (), reasons, noted)
    return Resolved(ballot, state, "counted", None, tuple(rows), (), reasons, noted)


def resolve_all(ballots: list[Ballot], decisions: list[Decision], persons: list[int],
                rules: RuleSet) -> list[Resolved]:
    by_ballot: dict[int, list[Decision]] = {}
    for d in decisions:
        by_ballot.setdefault(d.ballot, []).append(d)
    return [resolve(b, by_ballot.get(ballot_id(b), []), persons, rules) for b in ballots]
