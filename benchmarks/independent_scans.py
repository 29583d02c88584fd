"""The reader on independent scans: marks and scanner effects it was never tuned on.

    .venv/bin/pip install -e '.[bench]'          # augraphy (optional: own effects without it)
    .venv/bin/python benchmarks/independent_scans.py [--ballots 200] [--seed 1] [--mistakes]
                                                      [--out DIR] [--jobs N] [--no-augraphy]

Creates a 14-person conference (invented names, ``benchmarks/independent/roster-14.csv``),
prints genuine ballots with the project's ``print_ballots``, fills and scans them with
``benchmarks/independent`` (its own mark model and scanner, nothing from the simulator in
``rehearsal``), scans them into the conference with ``tally.scan.scan_stack`` and compares with
the truth by ``rehearsal.evaluate``. The first set has voters who mark every row correctly (X of
every kind, ticks, fills, light pencil; signatures, stray dots, the odd write-in);
``--mistakes`` adds a second set with voters' mistakes at high rates. Prints silent errors,
missed flags, the correctly marked ballot pages sent to review, and the rows misread (all
flagged) by what was drawn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.independent.corpus import build_set  # noqa: E402
from benchmarks.independent.plans import CORRECT, MISTAKES, Rates  # noqa: E402
from benchmarks.independent.scanner import augraphy_available  # noqa: E402
from rehearsal.evaluate import Evaluation, evaluate  # noqa: E402
from tally.resolve import holds_for_review  # noqa: E402
from tally.rules import RULE_SETS  # noqa: E402
from tally.scan import scan_stack  # noqa: E402
from tally.store import Store  # noqa: E402

QD96 = RULE_SETS["qd96-2023"]


def run_set(label: str, folder: Path, *, ballots: int, rates: Rates, seed: int, jobs: int,
            use_augraphy: bool, out=print) -> Evaluation:
    t0 = time.perf_counter()
    conf, files, truth = build_set(folder, ballots=ballots, rates=rates, seed=seed, jobs=jobs,
                                   use_augraphy=use_augraphy)
    made = time.perf_counter() - t0
    t1 = time.perf_counter()
    summary = scan_stack(conf, files, jobs=jobs)
    read = time.perf_counter() - t1
    with Store.open(conf) as store:
        readings = {(p.file_name, p.page_index): p.reading for p in store.pages()}
    ev = evaluate(truth, readings, label=f"{label}:")
    report(label, truth, readings, ev, made=made, read=read, files=len(files),
           file_errors=summary.file_errors, out=out)
    # What the committee sees: a flag that cannot change a count under qd96-2023 (a write-in)
    # does not hold a ballot for review.
    held = evaluate(truth, readings, label=f"{label}:", holds=lambda f: holds_for_review(f, QD96))
    out(f"   correctly marked ballot pages sent to review under qd96-2023: "
        f"{len(held.falsely_flagged)} of {held.clean_pages} ({held.false_flag_rate:.1%})")
    return held


def report(label: str, truth: dict, readings: dict, ev: Evaluation, *, made: float, read: float,
           files: int, file_errors: list, out=print) -> None:
    pages = truth["pages"]
    scan = [p["scan"] for p in pages]
    stacks = ", ".join(f"{s['name']} {s['dpi']} dpi {s['mode']} {s['fmt']}"
                       for s in truth["stacks"])
    out(f"\n== {label}: {truth['voters']} ballots, seed {truth['seed']}, "
        f"{len(pages)} pages in {files} files; made in {made:.0f} s, read in {read:.0f} s "
        f"({1000 * read / max(1, len(pages)):.0f} ms a page)")
    out(f"   stacks: {stacks}")
    out(f"   rasterised by {truth['rasteriser']}; effects: {truth['effects']}; "
        f"skew > 4°: {sum(abs(s['angle_deg']) > 4 for s in scan)}, corners cut "
        f"(a registration disc outside the scan): {sum(s['marks_in_frame'] < 4 for s in scan)}, "
        f"sheets refilled because the scan lost a mark: {sum(s['attempts'] > 1 for s in scan)}, "
        f"marks still lost: {sum(len(s['lost_marks']) for s in scan)}, codes the scan destroyed: "
        f"{sum(not s['code_readable'] for s in scan)}")
    if file_errors:
        out(f"   file errors: {file_errors[:3]}")
    kinds = Counter(str(r.kind) for r in readings.values())
    out(f"   pages read as: {dict(kinds)}")
    out(f"   rows {ev.rows}; silent errors {len(ev.silent_errors)}; rows read wrong without a "
        f"flag of their own on pages reviewed for something else {len(ev.unflagged_errors)}; "
        f"missed flags {len(ev.missed_flags)}")
    rate = len(ev.falsely_flagged) / ev.clean_pages if ev.clean_pages else 0.0
    out(f"   correctly marked ballot pages flagged: {len(ev.falsely_flagged)} of {ev.clean_pages} "
        f"({rate:.1%})")
    by_page = {(p["file"], p["index"]): p for p in pages}
    ballots = {b["id"]: {r["person"]: r for r in b["rows"]} for b in truth["ballots"]}
    clean_flags: Counter = Counter()
    unreadable: list[str] = []
    for key, page in by_page.items():
        reading = readings.get(key)
        if reading is None:
            continue
        if reading.kind == "unreadable":
            s = page["scan"]
            unreadable.append(f"{key[0]}#{key[1]} skew {s['angle_deg']:+.1f}° discs in frame "
                              f"{s['marks_in_frame']}: {reading.reason}")
        if not set(page["flags"]) - {"blank_ballot"} and reading.flags:
            clean_flags[", ".join(reading.flags)] += 1
    if clean_flags:
        out("     by flags: " + "; ".join(f"{k} {v}" for k, v in clean_flags.most_common()))
    misread: dict[str, Counter] = {}
    for key, page in by_page.items():
        reading = readings.get(key)
        if reading is None or reading.kind != "ballot":
            continue
        rows = ballots[page["ballot"]]
        for row in reading.rows:
            t = rows[row.person]
            if row.reading == t["expected"]:
                continue
            drawn = ("correction" if t["scribbled"] is not None else
                     "blank row" if not t["marked"] else
                     f"{t['style']} ×{len(t['marked'])}" if len(t["marked"]) > 1 else t["style"])
            misread.setdefault(drawn, Counter())[row.reading] += 1
    total = sum(sum(c.values()) for c in misread.values())
    flagged = total - len(ev.silent_errors) - len(ev.unflagged_errors)
    out(f"   rows misread (flagged: {flagged}, {total / max(1, ev.rows):.1%} "
        f"of rows), by what was drawn:")
    for drawn, c in sorted(misread.items(), key=lambda kv: -sum(kv[1].values())):
        out(f"     {drawn:14} " + ", ".join(f"{v} {k}" for k, v in c.most_common()))
    if ev.flag_counts:
        out("   flags raised where required: "
            + ", ".join(f"{k} {v}" for k, v in sorted(ev.flag_counts.items())))
    out(f"   unreadable pages: {len(unreadable)}")
    for line in unreadable[:5]:
        out(f"     {line}")
    out("   box scores by what was drawn (p1 / median / p99):")
    for key in sorted(ev.scores):
        v = np.array(ev.scores[key])
        out(f"     {key:18} n={len(v):5}  {np.percentile(v, 1):.3f} / {np.median(v):.3f} / "
            f"{np.percentile(v, 99):.3f}")
    problems = ([f"SILENT {x}" for x in ev.silent_errors]
                + [f"UNFLAGGED {x}" for x in ev.unflagged_errors]
                + [f"MISSED {x}" for x in ev.missed_flags]
                + [f"false flag {x}" for x in ev.falsely_flagged])
    for line in problems[:8]:
        out(f"   ! {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mistakes", action="store_true",
                        help="also a second set with voters' mistakes at high rates")
    parser.add_argument("--mistake-ballots", type=int, default=None,
                        help="ballots in the mistakes set (default: --ballots)")
    parser.add_argument("--out", type=Path, default=None, help="keep the scans and truth here")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-augraphy", action="store_true", help="own effects only")
    args = parser.parse_args()
    if args.out and args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty")
    use_aug = not args.no_augraphy
    commit = subprocess.run(["git", "log", "-1", "--oneline"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "(not a git checkout)"
    lines: list[str] = []

    def out(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    out(f"independent scans, {dt.datetime.now().isoformat(timespec='seconds')}, "
        f"reader at: {commit}")
    if use_aug and not augraphy_available():
        out("augraphy is not installed (pip install -e '.[bench]'): using own paper and scanner "
            "effects")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.out or Path(tmp)
        sets = [("correct voters", "correct", args.ballots, CORRECT, args.seed)]
        if args.mistakes:
            sets.append(("voters' mistakes", "mistakes", args.mistake_ballots or args.ballots,
                         MISTAKES, args.seed + 1000))
        total = Evaluation()
        for label, name, n, rates, seed in sets:
            total.add(run_set(label, base / name, ballots=n, rates=rates, seed=seed,
                              jobs=args.jobs, use_augraphy=use_aug, out=out))
        rate = total.false_flag_rate
        out(f"\nall: {total.rows} rows, silent errors {len(total.silent_errors)}, unflagged "
            f"{len(total.unflagged_errors)}, missed flags "
            f"{len(total.missed_flags)}, correctly marked pages sent to review (qd96-2023) "
            f"{len(total.falsely_flagged)}"
            f"/{total.clean_pages} ({rate:.1%}), {time.perf_counter() - start:.0f} s")
        if args.out:
            (args.out / "report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
