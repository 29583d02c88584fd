"""Reading speed: pages per second on one core and on all, and the time of each stage.

    .venv/bin/python benchmarks/speed.py [--voters N]

Simulates 300-dpi grey stacks of the 55-person sample ballot (4 pages a ballot) as JPEG files and
as one PDF (office profile, duplex backs included), then:
- times decoding and each reading stage page by page on one core, in processor time (OpenCV on
  one thread; what the process spent, so a busy machine does not inflate it), after one pass
  over the stack that renders each blank ballot page once (as a long scan does at its start).
  Target: at most 75 ms a page beyond decoding the file, averaged over the stack's pages;
- times the whole `scan` (store included) with one process and with one per core (wall clock).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import cv2

from omr.load import load_page, open_scan
from omr.read import read_page
from rehearsal.vote import simulate_vote
from tally.prepare import create_conference, print_ballots
from tally.scan import default_jobs, expand, reading_context, scan_stack
from tally.store import Store

ROSTER = Path(__file__).resolve().parent.parent / "samples" / "roster-large.xlsx"
TARGET_MS = 75.0  # reading a page beyond decoding it, per core (issue 11)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "conf"
        create_conference(conf, roster=ROSTER, org="ỦY BAN NHÂN DÂN TỈNH BÌNH AN",
                          title="Hội nghị", date=dt.date(2026, 12, 15))
        print_ballots(conf, copies=args.voters)
        for fmt in ("jpeg", "pdf"):
            stack = Path(tmp) / fmt
            simulate_vote(conf, stack, voters=args.voters, profile="office", fmt=fmt, dpi=300,
                          seed=1)
            files = [p for p in expand([stack]) if p.suffix != ".json"]
            with Store.open(conf) as store:
                ctx = reading_context(store)
            threads = cv2.getNumThreads()
            cv2.setNumThreads(1)
            stages: dict[str, float] = {}
            decode = reading_s = pages = ballot_pages = 0.0
            for warm in (True, False):
                for path in files:
                    scan = open_scan(path)
                    for index in range(scan.pages):
                        start = time.process_time()
                        page = load_page(scan, index)
                        if warm:
                            read_page(page, ctx)
                            continue
                        read = time.process_time()
                        decode += read - start
                        reading = read_page(page, ctx, timings=stages)
                        reading_s += time.process_time() - read
                        pages += 1
                        ballot_pages += reading.kind == "ballot"
            cv2.setNumThreads(threads)
            print(f"{fmt}: {int(pages)} pages at 300 dpi grey ({int(ballot_pages)} ballot pages, "
                  f"the rest blank backs), one core:")
            print(f"  {'decoding the file':28} {decode / pages * 1000:6.1f} ms/page")
            for stage, seconds in stages.items():
                print(f"  {stage:28} {seconds / pages * 1000:6.1f} ms/page")
            per_page = reading_s / pages * 1000
            print(f"  {'reading in all':28} {per_page:6.1f} ms/page "
                  f"({reading_s / ballot_pages * 1000:.1f} ms per ballot page): target "
                  f"{TARGET_MS:.0f} ms/page {'met' if per_page <= TARGET_MS else 'NOT met'}")
            for jobs in (1, default_jobs()):
                copy = Path(tmp) / f"conf-{fmt}-{jobs}"
                shutil.copytree(conf, copy)
                start = time.perf_counter()
                scan_stack(copy, [stack], jobs=jobs)
                seconds = time.perf_counter() - start
                print(f"  tinnhiem scan, {jobs} process(es): {pages / seconds:5.1f} pages/s "
                      f"({seconds:.1f} s, store included)")


if __name__ == "__main__":
    main()
