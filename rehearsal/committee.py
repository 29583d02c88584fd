"""A simulated counting committee: resolves flagged ballots from a simulation's ``truth.json``.

For demos, tests and benchmarks only. It works as a committee at the review page does: it takes
the ballots that wait for review, and on each the rows the page asks a human about. What it
decides comes from the truth alone, by the domain's rules as written in ``shared/domain.md``,
never from the production code that applies them (``tally.resolve``): so a count that agrees
with :func:`hand_count` checks those rules, instead of repeating them.

- A ballot is void when its voter marked nothing (rule 7), crossed out a printed name where the
  rule set voids the ballot for it (rule 4), or wrote a name in where the rule set voids the
  ballot for that (``qd262-2014``); otherwise it is genuine.
- A row counts the voter's mark; a mark scribbled out beside another is a correction, and the
  remaining mark is what the voter meant (rule 5: a human decides, and this one can see it);
  no mark or two marks make the row invalid.
- A foreign sheet is foreign, and a photocopy of a ballot is excluded (the same ballot twice).
- When the conference requires the agency's stamp, a sheet without it (a ballot never stamped,
  a grey photocopy) is one the committee did not issue (rule 10): foreign, received and void.
- A later page of a ballot cut off from its first page belongs to that ballot: excluded.
- A stack scanned once more (a rescan's truth) holds the same sheets again: a ballot of it that
  the machine flagged ``duplicate`` is excluded, as a committee comparing the two copies does.
  One the machine did not flag is decided like any other, so the count shows the miss.

A page is found in the truth by its file's name and, when the store holds two files of that
name, by the folder it was scanned in from (the truth's own): two stacks both written as
``scan.pdf`` are told apart.

The truth does not say whose name a voter crossed out, so a rule set that would void only that
row (``crossed_name = row``; none of ``tally.rules`` does) is not simulated.

Its decisions are ordinary decisions in the store, signed with a reviewer name that says they
are simulated.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ballotgen.vocabulary import (
    LEVELS,
    MACHINE,
    BallotChoice,
    BallotState,
    Flag,
    RowChoice,
    RowValue,
)
from rehearsal.truth import ForeignKind, SheetKind, Truth, TruthBallot, TruthRow
from tally.review.model import ballot_view, snapshot
from tally.rules import RULE_SETS, RuleSet
from tally.store import ScanFileRecord, Store

REVIEWER = "Ban Kiểm phiếu mô phỏng (demo)"
BEFORE = MACHINE + "simulated"  # the 'before' of every decision it records


def ballot_choice(ballot: TruthBallot, rules: RuleSet, *,
                  stamp_required: bool = False) -> BallotChoice:
    """What the committee finds the ballot is, from what its voter did (rules 4, 6 and 7), and
    whether the committee issued it (rule 10, when the stamp is required)."""
    if stamp_required and not ballot.stamped:
        return BallotChoice.FOREIGN  # never stamped: not a ballot the committee issued
    if all(row.expected == RowValue.BLANK for row in ballot.rows):
        return BallotChoice.INVALID  # nothing marked: a blank ballot
    if Flag.NAME_CROSSED in ballot.flags and rules.crossed_name == "ballot":
        return BallotChoice.INVALID
    if Flag.WRITE_IN in ballot.flags and rules.write_in == "ballot_invalid":
        return BallotChoice.INVALID
    return BallotChoice.GENUINE


def row_choice(row: TruthRow) -> RowChoice:
    """What the committee finds one row of a genuine ballot counts for (rule 5)."""
    if row.corrected and row.intended is not None:
        return RowChoice(row.intended)  # the remaining mark is what the voter meant
    return RowChoice(row.expected) if row.expected in LEVELS else RowChoice.INVALID


def resolve_from_truth(folder: Path, truth_path: Path, *, reviewer: str = REVIEWER) -> int:
    """Record decisions for every open ballot of ``folder`` found in ``truth_path``; return how
    many ballots were decided."""
    truth = Truth.load(truth_path)
    stamp_required = truth.stamp_check == "required"
    decided = 0
    with Store.open(folder) as store:
        rules = RULE_SETS[store.conference().rules]
        snap = snapshot(store)
        named = Counter(f.name for f in snap.files.values())
        for resolved in snap.resolved:
            if resolved.state != BallotState.OPEN:
                continue
            first = resolved.ballot.pages[0]
            page = truth.page(first.file_name, first.page_index)
            if page is None or (named[first.file_name] > 1 and not _same_folder(
                    snap.files.get(first.file_sha256), truth_path)):
                continue  # not a page of this simulation
            if truth.rescan and Flag.DUPLICATE in resolved.ballot.flags:
                store.record_decisions(resolved.id, [(None, BallotChoice.EXCLUDED, BEFORE)],
                                       reviewer=reviewer)
                decided += 1
                continue
            items: list[tuple[int | None, str, str]]
            if page.kind == SheetKind.FOREIGN:
                # a photocopy is excluded as a second sheet of its ballot, unless the stamp it
                # lacks shows the committee never issued it
                copied = page.foreign_kind == ForeignKind.PHOTOCOPY and not (
                    stamp_required and Flag.MISSING_STAMP in resolved.ballot.flags)
                items = [(None, BallotChoice.EXCLUDED if copied else BallotChoice.FOREIGN,
                          BEFORE)]
            elif page.kind != SheetKind.BALLOT or page.ballot is None or \
                    (page.ballot_page or 1) > 1:
                items = [(None, BallotChoice.EXCLUDED, BEFORE)]
            else:
                ballot = truth.ballots[page.ballot]
                choice = ballot_choice(ballot, rules, stamp_required=stamp_required)
                items = [(None, choice, BEFORE)]
                if choice == BallotChoice.GENUINE:
                    view = ballot_view(snap, store, resolved.id)
                    assert view is not None  # a ballot of this snapshot
                    items += [(row.person.number, row_choice(ballot.row(row.person.number)),
                               BEFORE) for row in view.rows if row.needs_attention]
            store.record_decisions(resolved.id, items, reviewer=reviewer)
            decided += 1
    return decided


def _same_folder(record: ScanFileRecord | None, truth_path: Path) -> bool:
    """Whether the file ``record`` was scanned in from the folder of ``truth_path`` (True when
    the store does not know the folder: a store made before folders were kept)."""
    if record is None or not record.folder:
        return True
    try:
        return Path(record.folder).samefile(Path(truth_path).absolute().parent)
    except OSError:
        return Path(record.folder) == Path(truth_path).absolute().parent


def hand_count(truth: Truth | dict, persons: list[int],
               rules: RuleSet) -> dict[int, dict[str, int]]:
    """The count a careful committee reaches by hand from what the simulated voters did:
    person → cao, tin_nhiem, thap, invalid. Foreign sheets other than photocopies are received
    and void; a photocopy of a ballot is a second sheet nobody can tell from the first, unless
    the conference requires the stamp, which a grey photocopy lacks (then it is void, as is an
    unstamped ballot)."""
    truth = Truth.of(truth)
    stamp_required = truth.stamp_check == "required"
    counts = {n: {"cao": 0, "tin_nhiem": 0, "thap": 0, "invalid": 0} for n in persons}
    copies = [] if stamp_required else [f for f in truth.foreign
                                        if f.kind == ForeignKind.PHOTOCOPY]
    for ballot in truth.ballots.values():
        void = ballot_choice(ballot, rules, stamp_required=stamp_required) != \
            BallotChoice.GENUINE
        times = 1 + sum(f.copy_of(ballot.id) for f in copies)
        for row in ballot.rows:
            counts[row.person]["invalid" if void else row_choice(row)] += times
    for n in persons:
        counts[n]["invalid"] += len(truth.foreign) - len(copies)
    return counts
