"""A simulated counting committee: resolves flagged ballots from a simulation's ``truth.json``.

For demos and benchmarks only. It decides what a careful committee looking at the sheet would:
the voter's intention where a human can see it (a scribbled-out correction), rule 5 otherwise
(no mark or two marks: invalid), the ballot-level rules for blank ballots, crossed names and
write-ins, and every row of a page the machine could not read. When the conference requires the
agency's stamp, a sheet without it (an unstamped ballot, a grey photocopy) is one the committee
did not issue: received, invalid for every person. Its decisions are ordinary
decisions in the store, signed with a reviewer name that says they are simulated.
"""

from __future__ import annotations

import json
from pathlib import Path

from ballotgen.errors import InputFileError
from ballotgen.layout import LEVELS
from tally.ballots import assemble
from tally.resolve import propose_row, resolve_all, row_readings, whole_ballot_cause
from tally.rules import RULE_SETS, RuleSet
from tally.store import Store

REVIEWER = "Ban Kiểm phiếu mô phỏng (demo)"


def _ballot_value(truth_ballot: dict, rules: RuleSet, *, stamp_required: bool = False) -> str:
    if stamp_required and truth_ballot.get("stamp") is False:
        return "foreign"  # not issued by the committee (rule 10)
    return "invalid" if whole_ballot_cause(truth_ballot["flags"], rules) else "genuine"


def _row_value(row: dict) -> str:
    if row["scribbled"] is not None and row["intended"] in LEVELS and len(row["marked"]) == 1:
        return row["intended"]  # a correction: the remaining mark is what the voter meant
    return row["expected"] if row["expected"] in LEVELS else "invalid"


def resolve_from_truth(folder: Path, truth_path: Path, *, reviewer: str = REVIEWER) -> int:
    """Record decisions for every open ballot of ``folder`` found in ``truth_path``; return how
    many ballots were decided."""
    try:
        truth = json.loads(Path(truth_path).read_text(encoding="utf-8"))
        pages = {(p["file"], p["index"]): p for p in truth["pages"]}
        ballots = {b["id"]: b for b in truth["ballots"]}
        stamp_required = truth.get("stamp_check") == "required"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(truth_path, f"is not a simulation's truth.json ({exc})") from exc
    decided = 0
    with Store.open(folder) as store:
        conference = store.conference()
        rules = RULE_SETS[conference.rules]
        numbers = [p.number for p in conference.persons]
        for r in resolve_all(assemble(store.pages()), store.decisions(), numbers, rules):
            if r.state != "open":
                continue
            first = r.ballot.pages[0]
            page = pages.get((first.file_name, first.page_index))
            if page is None:
                continue  # not a page of this simulation
            if page["kind"] == "foreign":
                # a photocopy is excluded as a second sheet of its ballot, unless the stamp it
                # lacks shows it was never issued
                copied = page.get("foreign_kind") == "photocopy" and not (
                    stamp_required and "missing_stamp" in r.ballot.flags)
                items = [(None, "excluded" if copied else "foreign", "machine:simulated")]
            elif page["kind"] != "ballot" or page["ballot_page"] > 1:
                # a later page cut off from its first page: it belongs to that ballot
                items = [(None, "excluded", "machine:simulated")]
            else:
                truth_ballot = ballots[page["ballot"]]
                value = _ballot_value(truth_ballot, rules, stamp_required=stamp_required)
                items = [(None, value, "machine:simulated")]
                if value == "genuine":
                    readings = row_readings(r.ballot)
                    for row in truth_ballot["rows"]:
                        reading, flags = readings.get(row["person"], (None, ()))
                        if flags or propose_row(reading, flags, rules) is None:
                            items.append((row["person"], _row_value(row), "machine:simulated"))
            store.record_decisions(r.id, items, reviewer=reviewer)
            decided += 1
    return decided


def hand_count(truth: dict, persons: list[int], rules: RuleSet) -> dict[int, dict[str, int]]:
    """The count a careful committee reaches by hand from what the simulated voters did:
    person → cao, tin_nhiem, thap, invalid. Foreign sheets other than photocopies are received
    and void; a photocopy of a ballot is a second sheet nobody can tell from the first, unless
    the conference requires the stamp, which a grey photocopy lacks (then it is void, as is an
    unstamped ballot)."""
    counts = {n: {"cao": 0, "tin_nhiem": 0, "thap": 0, "invalid": 0} for n in persons}
    stamp_required = truth.get("stamp_check") == "required"
    copies = [] if stamp_required else [f for f in truth["foreign"] if f["kind"] == "photocopy"]
    for ballot in truth["ballots"]:
        void = _ballot_value(ballot, rules, stamp_required=stamp_required) != "genuine"
        times = 1 + sum(f["id"].endswith(f"-copy-of-{ballot['id']}") for f in copies)
        for row in ballot["rows"]:
            counts[row["person"]]["invalid" if void else _row_value(row)] += times
    for n in persons:
        counts[n]["invalid"] += len(truth["foreign"]) - len(copies)
    return counts
