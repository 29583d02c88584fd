"""The same paper stack scanned twice: how many re-scanned sheets are caught, how many voters
are taken for one another.

    PYTHONPATH=. .venv/bin/python benchmarks/rescan.py [--set tuning|held-out] [--voters N]

Without ``--serials`` every copy of a ballot carries the same code, so only the voter's ink
tells two scans of one sheet from two sheets marked alike (``omr.inkprint``). For each case a
conference of the 5-person sample roster is printed, ``--voters`` ballots are filled, and the
same filled sheets are scanned twice by the simulator (``rehearsal.simulate.Rescan``: each pass
with its own scanner draws, and its own profile, resolution and format), both files are read
into one store by ``tinnhiem scan``'s pipeline, and the stack is assembled as the count does
(``tally.ballots``). Printed per case:

- *caught*: sheets read as ballots in both files whose two copies were both flagged
  ``duplicate``, each naming the other (the target: all of them); sheets unreadable in a pass
  are counted apart (they are held for review anyway, never counted silently);
- *false matches*: pairs of ballots of different voters taken for the same sheet, out of all
  such pairs compared (the target: none), and the ballots flagged ``duplicate`` without a
  second copy;
- the similarity of the least alike copies of a sheet and of the most alike different voters
  (``omr.inkprint.DUPLICATE_SIMILARITY`` lies between);
- that ``same_sheets`` (the cheap key, then one matrix product) finds exactly the pairs that
  comparing every pair one by one finds;
- the comparison's speed at thousands of pages of one ballot page: the signatures of the first
  case's pages, each moved by 0 to 3 mm in 25 ways (so no two are the same), compared at once.

The hard case is the easy stack: every voter marks "cao" for everyone, so every ballot holds
ink in the same boxes and only the strokes themselves differ. The tuning set (seeds from 1)
chose the limits; the held-out set (seeds from 100,001) chose nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ballotgen.vocabulary import Flag, PageKind
from omr import inkprint
from rehearsal.simulate import Rescan, simulate_stack
from rehearsal.vote import issued_ballots
from rehearsal.voters import Mistakes
from tally.ballots import assemble
from tally.files import file_sha256
from tally.prepare import create_conference, print_ballots
from tally.scan import default_jobs, scan_stack
from tally.store import Store

ROSTER = Path(__file__).resolve().parent.parent / "samples" / "roster-small.csv"
SEEDS = {"tuning": 1, "held-out": 100_001}


@dataclass(frozen=True)
class Pass:
    profile: str
    fmt: str
    dpi: int | None = None


@dataclass(frozen=True)
class Case:
    name: str
    paper: str  # the profile the sheets were printed and stained for
    first: Pass
    second: Pass
    easy: bool  # everyone "cao" for everyone


CASES = (
    Case("easy, office PDF, then JPEG 200 dpi", "office", Pass("office", "pdf", 300),
         Pass("office", "jpeg", 200), True),
    Case("easy, clean PDF, then rough TIFF", "rough", Pass("clean", "pdf", 300),
         Pass("rough", "tiff", 200), True),
    Case("easy, office PDF, then crooked PNG", "office", Pass("office", "pdf", 300),
         Pass("crooked", "png", 200), True),
    Case("mixed votes, office PDF, then office JPEG", "office", Pass("office", "pdf", 300),
         Pass("office", "jpeg", 300), False),
)


@dataclass
class Outcome:
    sheets: int = 0  # re-scanned sheets read as ballots in both passes
    caught: int = 0
    unreadable: int = 0  # sheets not read as a ballot in one of the passes
    pairs: int = 0  # pairs of ballots of different voters compared
    false_pairs: int = 0
    false_flags: int = 0  # ballots flagged duplicate with no second copy of their sheet
    least_same: float = 1.0
    most_different: float = 0.0
    exhaustive_agrees: bool = True  # same_sheets found exactly the pairs of all-pairs similarity
    speed: tuple[int, float] | None = None  # (pages, seconds) of the comparison at scale

    def add(self, other: Outcome) -> None:
        """Count ``other`` (another case) in with these."""
        for name in ("sheets", "caught", "unreadable", "pairs", "false_pairs", "false_flags"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.least_same = min(self.least_same, other.least_same)
        self.most_different = max(self.most_different, other.most_different)
        self.exhaustive_agrees &= other.exhaustive_agrees


def run_case(case: Case, seed: int, voters: int, jobs: int, base: Path) -> Outcome:
    conf = base / "conf"
    create_conference(conf, roster=ROSTER, org="SỞ KẾ HOẠCH VÀ ĐẦU TƯ", title="Hội nghị",
                      date=dt.date(2026, 12, 15), summoned=voters)
    print_ballots(conf, copies=voters)
    with Store.open(conf, readonly=True) as store:
        issued = issued_ballots(store)
    choices = ([{p.number: "cao" for p in issued.layout.persons} for _ in range(voters)]
               if case.easy else None)
    truths = {}
    for n, scan in enumerate((case.first, case.second)):
        folder = base / f"pass{n + 1}"
        truths[n] = simulate_stack(
            issued, folder, voters=voters, profile=case.paper, dpi=300, seed=seed,
            choices=choices, mistakes=Mistakes(), fmt=scan.fmt,
            rescan=Rescan(seed * 10 + n, profile=scan.profile, dpi=scan.dpi))
    scan_stack(conf, [base / "pass1", base / "pass2"], jobs=jobs)
    with Store.open(conf, readonly=True) as store:
        pages = store.pages()
    files = {n: {file_sha256(base / f"pass{n + 1}" / p["file"]): None
                 for p in truths[n]["pages"]} for n in truths}
    voter_of = {}  # (pass, file sha, page index) → ballot id of the truth
    for n, truth in truths.items():
        for p in truth["pages"]:
            if p["kind"] == "ballot":
                voter_of[(n, file_sha256(base / f"pass{n + 1}" / p["file"]), p["index"])] = \
                    p["ballot"]
    ballots = assemble(pages)
    who = {}  # ballot number → (pass, voter)
    for ballot in ballots:
        first = ballot.pages[0]
        for n in truths:
            if first.file_sha256 in files[n]:
                voter = voter_of.get((n, first.file_sha256, first.page_index))
                if voter is not None:
                    who[ballot.number] = (n, voter, ballot)
    out = Outcome()
    by_voter: dict[str, dict[int, tuple]] = {}
    for number, (n, voter, ballot) in who.items():
        by_voter.setdefault(voter, {})[n] = (number, ballot)
    for copies in by_voter.values():
        read = [c for c in copies.values() if c[1].kind == PageKind.BALLOT]
        if len(read) < 2:
            out.unreadable += 1
            for _, ballot in read:
                out.false_flags += Flag.DUPLICATE in ballot.flags and not ballot.twins
            continue
        out.sheets += 1
        (na, a), (nb, b) = read
        out.caught += (Flag.DUPLICATE in a.flags and Flag.DUPLICATE in b.flags
                       and nb in a.twins and na in b.twins)
    read_ballots = [(number, voter, ballot) for number, (_, voter, ballot) in who.items()
                    if ballot.kind == PageKind.BALLOT]
    prepared = {number: inkprint.prepare(inkprint.decode(ballot.pages[0].reading.ink))
                for number, _, ballot in read_ballots}
    for (na, va, a), (nb, vb, _) in itertools.combinations(read_ballots, 2):
        alike = inkprint.similarity(prepared[na], prepared[nb])
        if va == vb:
            out.least_same = min(out.least_same, alike)
            continue
        out.pairs += 1
        out.false_pairs += nb in a.twins
        out.most_different = max(out.most_different, alike)
    texts = [(0, ballot.pages[0].reading.ink) for _, _, ballot in read_ballots]
    exhaustive = {(i, j) for i, j in itertools.combinations(range(len(texts)), 2)
                  if inkprint.similarity(prepared[read_ballots[i][0]],
                                         prepared[read_ballots[j][0]])
                  >= inkprint.DUPLICATE_SIMILARITY}
    out.exhaustive_agrees = set(inkprint.same_sheets(texts)) == exhaustive
    return out


MOVES = (-6, -3, 0, 3, 6)  # cells (0.5 mm) by which the speed test moves each box's ink


def comparison_speed(texts: list[str]) -> tuple[int, float]:
    """Seconds to compare ``texts``, each moved in 25 ways, as one group of pages."""
    many = []
    for text in texts:
        signature = inkprint.decode(text)
        for dx, dy in itertools.product(MOVES, MOVES):
            boxes = {i: np.rint(np.roll(p, (dy, dx), axis=(0, 1)) * inkprint.LEVELS)
                     for i, p in signature.boxes.items()}
            many.append((0, inkprint.encode(boxes, [])))
    start = time.perf_counter()
    inkprint.same_sheets(many)
    return len(many), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SEEDS), default="held-out")
    parser.add_argument("--voters", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    total = Outcome()
    print(f"{args.set} set, {args.voters} voters per case, each sheet scanned twice")
    for k, case in enumerate(CASES):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            got = run_case(case, SEEDS[args.set] + k, args.voters, args.jobs, Path(tmp))
            if k == 0:
                with Store.open(Path(tmp) / "conf", readonly=True) as store:
                    texts = [p.reading.ink for p in store.pages() if p.reading.ink]
                speed = comparison_speed(texts)
        seconds = time.perf_counter() - start
        print(f"- {case.name}: caught {got.caught} of {got.sheets} re-scanned sheets"
              f" ({got.unreadable} unreadable in a pass); false matches {got.false_pairs} of"
              f" {got.pairs} pairs of different voters, {got.false_flags} lone copies flagged;"
              f" least alike copies {got.least_same:.3f}, most alike voters"
              f" {got.most_different:.3f} (limit {inkprint.DUPLICATE_SIMILARITY});"
              f" {seconds:.0f} s")
        total.add(got)
    catch = total.caught / total.sheets if total.sheets else 0.0
    false = total.false_pairs / total.pairs if total.pairs else 0.0
    print(f"catch rate: {total.caught} of {total.sheets} re-scanned sheets ({catch:.1%}),"
          f" {total.unreadable} sheets unreadable in a pass (held for review)")
    print(f"false-match rate: {total.false_pairs} of {total.pairs} pairs of different voters"
          f" ({false:.3%}); {total.false_flags} lone copies flagged duplicate")
    print(f"similarity: least alike copies {total.least_same:.3f}, most alike different"
          f" voters {total.most_different:.3f}, limit {inkprint.DUPLICATE_SIMILARITY}")
    print("same_sheets finds exactly the pairs of comparing every pair: "
          f"{'yes' if total.exhaustive_agrees else 'NO'}")
    print(f"speed: {speed[0]} pages of one ballot page compared in {speed[1]:.1f} s")
    met = total.caught == total.sheets and not total.false_pairs and not total.false_flags \
        and total.exhaustive_agrees
    print("TARGET MET" if met else "TARGET MISSED")


if __name__ == "__main__":
    main()
