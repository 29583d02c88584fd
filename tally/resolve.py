"""Readings plus the latest decisions → what each ballot counts for (domain rules 4–7).

A ballot without flags counts as read. A flagged ballot (or one flagged by hand) waits for a
reviewer: it is *open* until a decision on the ballot as a whole says what it is, and, for a
genuine ballot, every row the machine could not read has a decision. The machine's *proposal*
(what the rule set says, given the flags) is shown to the reviewer and recorded as ``before``;
it never counts by itself. Only decisions change counts, and the latest decision wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballotgen.conference import Conference
from ballotgen.vocabulary import (
    LEVELS,
    BallotChoice,
    BallotState,
    BallotStatus,
    Flag,
    Level,
    PageKind,
    RowChoice,
    RowInvalidReason,
    RowValue,
    VoidReason,
)
from tally.ballots import Ballot, assemble
from tally.rules import RULE_SETS, RuleSet
from tally.store import Decision, Store, StoredPage


@dataclass(frozen=True)
class RowOutcome:
    person: int
    level: Level | None  # when the row is valid
    reason: RowInvalidReason | None  # when it is not


@dataclass(frozen=True)
class Resolved:
    """What one ballot of the stack counts for, now."""

    ballot: Ballot
    state: BallotState
    status: BallotStatus | None  # None while open
    void_reason: VoidReason | None  # when void
    rows: tuple[RowOutcome, ...]  # one per person when counted or void; () otherwise
    open_rows: tuple[int, ...]  # persons still to decide on a ballot declared genuine
    reasons: tuple[Flag, ...]  # the flags that hold it for review, and MANUAL when flagged by hand
    noted: tuple[Flag, ...] = ()  # flags recorded and reported that cannot change a count here

    @property
    def id(self) -> int:
        return ballot_id(self.ballot)

    @property
    def received(self) -> bool:
        """A sheet from the box: counted or void, or not yet decided (not excluded)."""
        return self.status != BallotStatus.EXCLUDED


def ballot_id(ballot: Ballot) -> int:
    """The id decisions use for a ballot: its first page's."""
    return ballot.pages[0].id


def row_readings(ballot: Ballot) -> dict[int, tuple[RowValue, tuple[Flag, ...]]]:
    """Person → (the reader's row reading, the row's flags), over every page of the ballot."""
    return {row.person: (row.reading, row.flags)
            for page in ballot.pages for row in page.reading.rows}


def propose_ballot(ballot: Ballot, rules: RuleSet) -> BallotChoice | None:
    """What the rule set says the ballot is, from its flags; None when only a human can say.

    A sheet without the agency's stamp (``missing_stamp``, with the conference's stamp check
    on) is proposed as one the committee did not issue (rule 10: received, invalid for every
    person); whether a stamp is there that the reader could not tell (``stamp_unclear``) only a
    human can say."""
    flags = set(ballot.flags)
    if ballot.kind == PageKind.FOREIGN:
        return BallotChoice.FOREIGN
    if flags & {Flag.UNREADABLE, Flag.DUPLICATE, Flag.MISSING_PAGE, Flag.STAMP_UNCLEAR}:
        return None
    if Flag.MISSING_STAMP in flags:
        return BallotChoice.FOREIGN
    return BallotChoice.INVALID if whole_ballot_cause(ballot.flags, rules) else \
        BallotChoice.GENUINE


def holds_for_review(flag: Flag, rules: RuleSet) -> bool:
    """Whether ``flag`` can change some person's count under ``rules``.

    Only such flags hold a ballot for the committee; the others are recorded, shown on the
    review page and counted in the minutes. A write-in is ignored under ``qd96-2023`` (rule 6):
    the name added does not count and the rest of the ballot stays valid, so whether the ink
    below the table is a name, a signature or a smudge changes nothing. Under ``qd262-2014`` a
    write-in voids the ballot, so a human must confirm it.
    """
    if flag == Flag.WRITE_IN:
        return rules.write_in == "ballot_invalid"
    return True


def whole_ballot_cause(flags: tuple[Flag, ...] | list[Flag],
                       rules: RuleSet) -> VoidReason | None:
    """The flag that voids a whole ballot under ``rules`` (rules 4 and 7), or None."""
    if Flag.BLANK_BALLOT in flags:
        return VoidReason.BLANK_BALLOT
    if Flag.NAME_CROSSED in flags and rules.crossed_name == "ballot":
        return VoidReason.NAME_CROSSED
    if Flag.WRITE_IN in flags and rules.write_in == "ballot_invalid":
        return VoidReason.WRITE_IN
    return None


def propose_row(reading: RowValue | None, flags: tuple[Flag, ...],
                rules: RuleSet) -> RowChoice | None:
    """The rule-5 outcome of a row as read: its level, ``invalid``, or None if a human must say."""
    if Flag.NAME_CROSSED in flags and rules.crossed_name == "row":
        return RowChoice.INVALID
    if reading in LEVELS:
        return RowChoice(reading)
    if reading in (RowValue.BLANK, RowValue.MULTI):
        return RowChoice.INVALID
    return None  # unclear, or no reading (a page the machine could not read)


def _void_reason(ballot: Ballot, rules: RuleSet, decision: BallotChoice) -> VoidReason:
    if decision == BallotChoice.FOREIGN:  # not issued: known by its code, or by the stamp
        return VoidReason.MISSING_STAMP if ballot.kind != PageKind.FOREIGN and \
            Flag.MISSING_STAMP in ballot.flags else VoidReason.FOREIGN
    return whole_ballot_cause(ballot.flags, rules) or VoidReason.COMMITTEE


_INVALID_AS_READ = {RowValue.BLANK: RowInvalidReason.BLANK_ROW,
                    RowValue.MULTI: RowInvalidReason.MULTI_MARK}


def _row_reason(reading: RowValue | None, flags: tuple[Flag, ...],
                rules: RuleSet) -> RowInvalidReason:
    if Flag.NAME_CROSSED in flags and rules.crossed_name == "row":
        return RowInvalidReason.NAME_CROSSED
    return _INVALID_AS_READ.get(reading, RowInvalidReason.COMMITTEE)  # type: ignore[arg-type]


def resolve(ballot: Ballot, decisions: list[Decision], persons: list[int],
            rules: RuleSet) -> Resolved:
    """What ``ballot`` counts for, given its decisions (oldest first) and the conference's
    persons."""
    ballot_decisions = [d for d in decisions if d.person is None]
    manual = any(d.value == BallotChoice.FLAGGED for d in ballot_decisions)
    held = tuple(f for f in ballot.flags if holds_for_review(f, rules))
    noted = tuple(f for f in ballot.flags if not holds_for_review(f, rules))
    reasons = held + ((Flag.MANUAL,) if manual else ())
    latest = BallotChoice(ballot_decisions[-1].value) if ballot_decisions else None
    row_decisions = {d.person: RowChoice(d.value) for d in decisions if d.person is not None}
    readings = row_readings(ballot)
    open_, resolved = BallotState.OPEN, BallotState.RESOLVED

    if reasons:  # a reviewer must have said what the ballot is; "genuine" counts its rows
        if latest is None or latest == BallotChoice.FLAGGED:
            return Resolved(ballot, open_, None, None, (), (), reasons, noted)
        if latest == BallotChoice.EXCLUDED:
            return Resolved(ballot, resolved, BallotStatus.EXCLUDED, None, (), (), reasons, noted)
        if latest in (BallotChoice.FOREIGN, BallotChoice.INVALID):
            rows = tuple(RowOutcome(p, None, RowInvalidReason.VOID) for p in persons)
            return Resolved(ballot, resolved, BallotStatus.VOID,
                            _void_reason(ballot, rules, latest), rows, (), reasons, noted)

    outcomes, open_rows = [], []
    for person in persons:
        reading, flags = readings.get(person, (None, ()))
        value = row_decisions.get(person)
        if value is None:
            value = propose_row(reading, flags, rules)
        if value is None:
            open_rows.append(person)
        elif value == RowChoice.INVALID:
            outcomes.append(RowOutcome(person, None, _row_reason(reading, flags, rules)))
        else:
            outcomes.append(RowOutcome(person, Level(value), None))
    if open_rows:
        return Resolved(ballot, open_, None, None, (), tuple(open_rows), reasons, noted)
    state = resolved if reasons else BallotState.ACCEPTED
    if all(r.reason == RowInvalidReason.BLANK_ROW for r in outcomes):
        # rule 7: a blank ballot is void for everyone
        void = tuple(RowOutcome(r.person, None, RowInvalidReason.VOID) for r in outcomes)
        return Resolved(ballot, state, BallotStatus.VOID, VoidReason.BLANK_BALLOT, void, (),
                        reasons, noted)
    return Resolved(ballot, state, BallotStatus.COUNTED, None, tuple(outcomes), (), reasons,
                    noted)


def resolve_all(ballots: list[Ballot], decisions: list[Decision], persons: list[int],
                rules: RuleSet) -> list[Resolved]:
    by_ballot: dict[int, list[Decision]] = {}
    for d in decisions:
        by_ballot.setdefault(d.ballot, []).append(d)
    return [resolve(b, by_ballot.get(ballot_id(b), []), persons, rules) for b in ballots]


def resolve_stack(conference: Conference, pages: list[StoredPage],
                  decisions: list[Decision]) -> list[Resolved]:
    """What every ballot of ``pages`` (in stack order) counts for under the conference's rule
    set, given ``decisions`` (oldest first)."""
    return resolve_all(assemble(pages), decisions, [p.number for p in conference.persons],
                       RULE_SETS[conference.rules])


def resolved_ballots(store: Store, *, pages: list[StoredPage] | None = None) -> list[Resolved]:
    """What every ballot in ``store`` counts for now: the one view of the stack that the
    count, the review, the scan summary, the status and the exports share. ``pages``, when
    given, are ``store.pages()`` as the caller has already read them."""
    return resolve_stack(store.conference(), store.pages() if pages is None else pages,
                         store.decisions())
