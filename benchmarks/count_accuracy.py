"""The whole chain against simulated truth: print, fill, scan, read, review, count.

    .venv/bin/python benchmarks/count_accuracy.py [--voters N] [--jobs N]

For each scanner profile: a conference of the 5-person sample roster, ``--voters`` ballots filled
with more mistakes than real voters make and three foreign sheets, scanned, read, the flagged
ballots resolved by the simulated committee (as a careful committee would, from the truth), and
tallied. Prints, per profile, how many persons' counts equal the hand count of what the voters
did (the target: all of them), with the review work it took.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd

from rehearsal.committee import hand_count, resolve_from_truth
from rehearsal.vote import simulate_vote
from tally.count import Attendance
from tally.minutes import Member
from tally.prepare import create_conference, print_ballots
from tally.publish import CSV_FILE, publish
from tally.rules import RULE_SETS
from tally.scan import default_jobs, scan_stack
from tally.store import Store

ROSTER = Path(__file__).resolve().parent.parent / "samples" / "roster-small.csv"
RATES = {"blank_row": 0.02, "multi_mark": 0.02, "correction": 0.02, "crossed_name": 0.03,
         "write_in": 0.03, "blank_ballot": 0.01, "signature": 0.3, "stray": 0.3}
FOREIGN = 3  # another conference's ballot, a damaged code, a missing code
PROFILES = (("clean", "pdf"), ("office", "pdf"), ("rough", "tiff"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    print(f"{'profile':8} {'persons exact':>14} {'ballots':>8} {'reviewed':>9} "
          f"{'decisions':>10} {'seconds':>8}")
    all_exact = True
    for seed, (profile, fmt) in enumerate(PROFILES, start=1):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp) / "conf"
            create_conference(conf, roster=ROSTER, org="SỞ KẾ HOẠCH VÀ ĐẦU TƯ", title="Hội nghị",
                              date=dt.date(2026, 12, 15), summoned=args.voters + FOREIGN)
            print_ballots(conf, copies=args.voters + FOREIGN)
            truth = simulate_vote(conf, Path(tmp) / "scans", voters=args.voters, profile=profile,
                                  fmt=fmt, seed=seed, rates=RATES, foreign=FOREIGN).truth
            scan_stack(conf, [Path(tmp) / "scans"], jobs=args.jobs)
            reviewed = resolve_from_truth(conf, Path(tmp) / "scans" / "truth.json")
            received = args.voters + FOREIGN
            published = publish(conf, Attendance(present=received, counted=received),
                                members=[Member("Ban Kiểm phiếu mô phỏng", "Trưởng ban")])
            with Store.open(conf) as store:
                decisions = len(store.decisions())
            persons = [p.number for p in published.conference.persons]
            expected = hand_count(truth, persons, RULE_SETS[published.conference.rules])
            got = pd.read_csv(published.folder / CSV_FILE, encoding="utf-8-sig")
            exact = 0
            for _, row in got.iterrows():
                want = expected[row["STT"]]
                exact += (row["Tín nhiệm cao (số phiếu)"], row["Tín nhiệm (số phiếu)"],
                          row["Tín nhiệm thấp (số phiếu)"], row["Số phiếu không hợp lệ"]) == \
                    (want["cao"], want["tin_nhiem"], want["thap"], want["invalid"])
            final = published.results.final
        all_exact &= exact == len(persons) and final
        print(f"{profile:8} {exact:>7}/{len(persons):<6} {received:>8} {reviewed:>9} "
              f"{decisions:>10} {time.perf_counter() - start:>8.1f}"
              + ("" if final else "  (the count stayed a draft)"))
    print("TARGET MET: every count equals the hand count" if all_exact else "TARGET MISSED")


if __name__ == "__main__":
    main()
