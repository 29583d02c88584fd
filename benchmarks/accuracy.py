"""Reader accuracy against simulated truth: every profile and format.

    .venv/bin/python benchmarks/accuracy.py [--ballots N] [--jobs N]

Simulates at least ``--ballots`` ballots (default 2,000) of the 5-person sample conference, in
stacks spread over every scanner profile and output format, with more mistakes than real voters
make (so every flag is exercised) and foreign sheets; scans them through ``tinnhiem``'s own
pipeline (store and all) and compares with the truth. Prints:
- silent errors (a row read wrongly on a page nobody is asked to look at): the target is zero;
- missed flags (a blank row, multi-mark, crossed name, write-in or foreign sheet not flagged);
- false flags: correctly marked ballot pages that were flagged (target: at most 2 % on `office`);
- the box score distributions by what was drawn, from which the thresholds were chosen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np

from ballotgen.scanfiles import FORMATS
from ballotgen.scanner import PROFILES
from omr.decide import DEFAULT
from omr.evaluate import Evaluation, evaluate
from tally.prepare import create_conference, print_ballots, simulate_vote
from tally.scan import default_jobs, scan_stack
from tally.store import Store

ROSTER = Path(__file__).resolve().parent.parent / "samples" / "roster-small.csv"
STACK = 100  # ballots per simulated stack
RATES = {"blank_row": 0.02, "multi_mark": 0.02, "correction": 0.02, "crossed_name": 0.03,
         "write_in": 0.03, "blank_ballot": 0.01, "signature": 0.3, "stray": 0.3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    combos = list(itertools.product(PROFILES, FORMATS))
    stacks_per_combo = max(1, -(-args.ballots // (STACK * len(combos))))
    by_profile: dict[str, Evaluation] = {p: Evaluation() for p in PROFILES}
    total = Evaluation()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "conf"
        create_conference(conf, roster=ROSTER, org="SỞ KẾ HOẠCH VÀ ĐẦU TƯ", title="Hội nghị",
                          date=dt.date(2026, 12, 15))
        print_ballots(conf, copies=STACK)
        seed = 0
        for profile, fmt in combos:
            for _ in range(stacks_per_combo):
                seed += 1
                out = Path(tmp) / f"{profile}-{fmt}-{seed}"
                truth = simulate_vote(conf, out, voters=STACK, profile=profile, fmt=fmt,
                                      seed=seed, rates=RATES, foreign=4).truth
                scan_stack(conf, [out], jobs=args.jobs)
                with Store.open(conf) as store:
                    names = {f.name: f.sha256 for f in store.scan_files()}
                    readings = {(p.file_name, p.page_index): p.reading for p in store.pages()
                                if p.file_sha256 in {names.get(q["file"]) for q in truth["pages"]}}
                ev = evaluate(truth, readings, label=f"{profile}/{fmt}/{seed}:")
                by_profile[profile].add(ev)
                total.add(ev)
                print(f"{profile:7} {fmt:5} seed {seed:3}: {truth['dpi']} dpi {truth['mode']:6} "
                      f"{ev.ballot_pages:4} ballot pages, rows wrong {ev.rows_wrong}, silent "
                      f"{len(ev.silent_errors)}, missed {len(ev.missed_flags)}, false flags "
                      f"{len(ev.falsely_flagged)}/{ev.clean_pages}", flush=True)
    seconds = time.perf_counter() - start
    print(f"\n{total.ballot_pages} ballots ({total.pages} pages with backs and foreign sheets), "
          f"{total.rows} rows, in {seconds:.0f} s")
    for profile, ev in by_profile.items():
        print(f"{profile:7}: silent errors {len(ev.silent_errors)}, missed flags "
              f"{len(ev.missed_flags)}, false flags {len(ev.falsely_flagged)}/{ev.clean_pages} "
              f"({ev.false_flag_rate:.1%}) of correctly marked ballots, rows read differently "
              f"{ev.rows_wrong} (all flagged)")
    print("flags raised where the truth requires them:",
          ", ".join(f"{k} {v}" for k, v in sorted(total.flag_counts.items())))
    print(f"\nbox scores by what was drawn (thresholds: marginal {DEFAULT.marginal}, "
          f"definite {DEFAULT.definite}):")
    for key in sorted(total.scores):
        v = np.array(total.scores[key])
        print(f"  {key:14} n={len(v):6} min {v.min():.3f}  p1 {np.percentile(v, 1):.3f}  "
              f"median {np.median(v):.3f}  p99 {np.percentile(v, 99):.3f}  max {v.max():.3f}")
    for line in (total.silent_errors + total.missed_flags)[:20]:
        print("  !", line)
    for line in by_profile["office"].falsely_flagged[:10]:
        print("  false flag (office):", line)
    verdict = (not total.silent_errors and not total.missed_flags
               and by_profile["office"].false_flag_rate <= 0.02)
    print("\nTARGETS MET" if verdict else "\nTARGETS NOT MET")


if __name__ == "__main__":
    main()
