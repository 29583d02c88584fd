"""Simulation speed: seconds per scanned page for every profile and output format.

    .venv/bin/python benchmarks/simulate_speed.py [--voters N] [--dpi N]

Uses the 5-person sample roster (one page per ballot); each profile at its own resolution unless
--dpi is given. Duplex backs count as pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from ballotgen import payload
from ballotgen.conference import Conference
from ballotgen.layout import build_layout
from ballotgen.render import new_batch
from ballotgen.roster import read_roster
from rehearsal.scanfiles import FORMATS
from rehearsal.scanner import PROFILES
from rehearsal.simulate import Issued, simulate_stack

ROSTER = Path(__file__).resolve().parent.parent / "samples" / "roster-small.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=20)
    parser.add_argument("--dpi", type=int)
    args = parser.parse_args()
    conference = Conference(org="SỞ KẾ HOẠCH VÀ ĐẦU TƯ", title="Hội nghị lấy phiếu tín nhiệm",
                            date=dt.date(2026, 12, 15), persons=read_roster(ROSTER))
    issued = Issued(conference, build_layout(conference), new_batch(args.voters), payload.new_key())
    print(f"{args.voters} voters, {len(conference.persons)}-person ballot")
    print(f"{'profile':8} {'format':6} {'dpi':>4} {'mode':6} {'pages':>5} {'s/page':>7} "
          f"{'MB/page':>8}")
    worst = 0.0
    for profile in PROFILES:
        for fmt in FORMATS:
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                truth = simulate_stack(issued, Path(folder), voters=args.voters, profile=profile,
                                       fmt=fmt, dpi=args.dpi, seed=1)
                seconds = time.perf_counter() - start
                size = sum(f.stat().st_size for f in Path(folder).iterdir())
            pages = len(truth["pages"])
            worst = max(worst, seconds / pages)
            print(f"{profile:8} {fmt:6} {truth['dpi']:>4} {truth['mode']:6} {pages:>5} "
                  f"{seconds / pages:>7.3f} {size / pages / 1e6:>8.2f}")
    print(f"slowest: {worst:.3f} s/page ({1 / worst:.1f} pages/s)")


if __name__ == "__main__":
    main()
