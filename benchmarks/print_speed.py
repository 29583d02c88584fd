"""Print speed and PDF size: 1,000 ballots of the 55-person sample roster.

    .venv/bin/python benchmarks/print_speed.py [--copies N]

Prints the time to read the roster and lay out the ballot, the time to render the PDF, and the
file size, without and with per-ballot serials (which draw a QR code on every sheet).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from ballotgen import payload
from ballotgen.conference import Conference
from ballotgen.layout import build_layout
from ballotgen.render import new_batch, render_pdf
from ballotgen.roster import read_roster

ROSTER = Path(__file__).resolve().parent.parent / "samples" / "roster-large.xlsx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1000)
    args = parser.parse_args()

    start = time.perf_counter()
    persons = read_roster(ROSTER)
    conference = Conference(org="ỦY BAN NHÂN DÂN TỈNH BÌNH AN",
                            title="Hội nghị lấy phiếu tín nhiệm", date=dt.date(2026, 12, 15),
                            persons=persons)
    layout = build_layout(conference)
    setup_s = time.perf_counter() - start
    key = payload.new_key()
    print(f"roster {ROSTER.name}: {len(persons)} persons, {len(layout.pages)} pages per ballot")
    print(f"read roster + layout: {setup_s * 1000:.0f} ms")
    for serials in (False, True):
        batch = new_batch(args.copies, serials=serials)
        start = time.perf_counter()
        pdf = render_pdf(layout, batch, key)
        render_s = time.perf_counter() - start
        sheets = args.copies * len(layout.pages)
        print(f"{args.copies} ballots ({sheets} sheets){' with serials' if serials else ''}: "
              f"{render_s:.2f} s ({render_s / sheets * 1000:.2f} ms/sheet), "
              f"{len(pdf) / 1e6:.2f} MB ({len(pdf) / sheets:.0f} bytes/sheet)")


if __name__ == "__main__":
    main()
