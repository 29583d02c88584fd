"""Build one independent set: a conference, its genuine printed ballots, filled and scanned here.

:func:`build_set` creates the conference from the roster, prints ``ballots`` copies with the
project's own ``print_ballots`` (so the QR codes verify), rasterises the PDF with pdftoppm (or
pypdfium2 when poppler is not installed), fills every ballot as planned by :mod:`plans` with the
marks of :mod:`handmarks`, scans each sheet with :mod:`scanner` in stacks of mixed scanners, and
writes the scan files and ``truth.json``.

Every mark is checked after scanning: if the scan has lost a mark (a light pencil cross under a
black-and-white threshold, say), the sheet is filled again with firmer marks, so the truth never
asks for a mark nobody could see. Sheets still losing one after that are listed in the truth.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from ballotgen.layout import Layout, PageLayout
from tally.prepare import create_conference, print_ballots
from tally.store import Store

from . import handmarks as hm
from .pen import Canvas, Hand
from .plans import BallotPlan, Rates, page_flags, plan_ballots, rates_dict
from .scanner import (
    PdfWriter,
    Stack,
    augraphy_available,
    choose_feed,
    code_readable,
    draw_stack,
    encode,
    scan_sheet,
    visible,
)

HERE = Path(__file__).resolve().parent
ROSTER = HERE / "roster-14.csv"
PAPER_DPI = 300
STACK_SIZE = 50  # sheets per scanner run
TRUTH_VERSION = 1
ATTEMPTS = 4  # fillings of one sheet before a lost mark is left in the truth


def new_conference(folder: Path, ballots: int) -> tuple[Path, str, Layout]:
    """Create the 14-person conference (invented names) and print ``ballots`` copies."""
    create_conference(folder, roster=ROSTER, org="SỞ TÀI NGUYÊN VÀ NƯỚC TỈNH BẮC HOÀ",
                      title="Hội nghị lấy phiếu tín nhiệm năm 2026 (kiểm thử độc lập)",
                      date=dt.date(2026, 11, 20), place="Hội trường tầng 3")
    printed = print_ballots(folder, copies=ballots)
    with Store.open(folder) as store:
        layout = store.layout(store.batches()[-1].layout_hash)
    assert layout is not None
    return printed.path, printed.batch, layout


def rasterise(pdf: Path, pages: int, dpi: int = PAPER_DPI) -> tuple[list[np.ndarray], str]:
    """The first ``pages`` pages of ``pdf`` as RGB arrays, with the tool that made them."""
    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", str(pages), "-png",
                            str(pdf), f"{tmp}/p"], check=True)
            files = sorted(Path(tmp).glob("p-*.png"))
            return [np.asarray(Image.open(f).convert("RGB")).copy() for f in files], "pdftoppm"
    import pypdfium2 as pdfium  # poppler not installed: another renderer than the project's path
    doc = pdfium.PdfDocument(str(pdf))
    out = [np.asarray(doc[i].render(scale=dpi / 72).to_pil().convert("RGB")).copy()
           for i in range(pages)]
    return out, "pypdfium2"


# ------------------------------------------------------------------------------------------
# Filling one sheet


def _style_hand(style: str, hand: Hand, rng: np.random.Generator, boost: int) -> Hand:
    if style == "x_heavy":
        return hand.heavy(rng)
    if style == "x_light":
        h = hand.light(rng)
    elif style == "pencil":
        h = hand.pencil(rng)
    else:
        h = hand
    if boost >= ATTEMPTS - 1:  # the last filling: firm ink whatever the style
        return replace(hand.heavy(rng), colour=h.colour)
    if boost:  # a later filling of a sheet whose mark the scan lost: press harder
        h = replace(h, pressure=min(1.0, h.pressure + 0.2 * boost),
                    width_mm=h.width_mm + 0.1 * boost, skips=h.skips / (1 + boost),
                    grain=h.grain / (1 + boost))
    return h


def _mark(canvas: Canvas, style: str, boxes, index: int, hand: Hand, rng: np.random.Generator):
    box = boxes[index]
    if style in ("x", "x_heavy", "x_light"):
        return hm.cross(canvas, box, hand, rng, retrace=style == "x_heavy" and rng.random() < 0.4)
    if style == "x_small":
        return hm.cross(canvas, box, hand, rng, size=rng.uniform(0.28, 0.45))
    if style == "x_overshoot":
        return hm.overshoot(canvas, box, [boxes[j] for j in (index - 1, index + 1) if 0 <= j < 3],
                            hand, rng)
    if style == "tick":
        return hm.tick(canvas, box, hand, rng)
    if style == "fill":
        return hm.fill(canvas, box, hand, rng)
    if style == "pencil":
        return (hm.cross if rng.random() < 0.8 else hm.tick)(canvas, box, hand, rng)
    raise ValueError(style)


def _inside(points: np.ndarray, box, px: float, inset_mm: float = 0.6) -> np.ndarray:
    x0, y0 = (box.x + inset_mm) * px, (box.y + inset_mm) * px
    x1, y1 = (box.right - inset_mm) * px, (box.bottom - inset_mm) * px
    keep = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
    return points[keep]


def fill_sheet(blank: np.ndarray, page: PageLayout, plan: BallotPlan, *, last: bool,
               height_mm: float, rng: np.random.Generator,
               boost: int = 0) -> tuple[np.ndarray, list[tuple]]:
    """Draw what the voter does on one page. Returns the sheet and, for every inked box, its
    ``(person, box index, box rect, ink pixels inside the box)``."""
    canvas = Canvas(blank.copy(), PAPER_DPI)
    hand = Hand.random(np.random.default_rng(plan.seed))  # the voter's hand, the same on all pages
    if plan.stamp and page.index == 0:
        hm.stamp(canvas, page.stamp, rng)
    rows = {r.person: r for r in page.rows}
    inked = []
    for row_plan in plan.rows:
        row = rows.get(row_plan.person)
        if row is None:
            continue
        h = _style_hand(row_plan.style, hand, rng, boost)
        for index in row_plan.marked:
            strokes = _mark(canvas, row_plan.style, row.boxes, index, h, rng)
            pts = _inside(np.vstack(strokes), row.boxes[index], canvas.px)
            inked.append((row.person, index, row.boxes[index], pts))
        if row_plan.scribbled is not None:
            box = row.boxes[row_plan.scribbled]
            pts = _inside(np.vstack(hm.scribble_out(canvas, box, hand, rng)), box, canvas.px)
            inked.append((row.person, row_plan.scribbled, box, pts))
        if row_plan.person in plan.crossed:
            hm.strike_name(canvas, row.name_cell, hand, rng)
    below = page.table.bottom + 3.0
    write_in_right = 0.0
    if last and plan.write_in:
        x = page.free.x + rng.uniform(1, 25)
        y = page.free.y + rng.uniform(6, max(6.5, min(14, page.free.h - 4)))
        canvas.text(plan.write_in, x, y, rng.uniform(3.5, 5.5), hand, rng)
        write_in_right = x + 60
    if last and plan.signature:  # anywhere in the lower third, below the table
        w, h_sig = rng.uniform(28, 55), rng.uniform(7, 13)
        y_lo, y_hi = max(height_mm * 2 / 3, below), height_mm - 16 - h_sig
        if y_hi > y_lo:
            x_lo = write_in_right if write_in_right else 14
            x = rng.uniform(x_lo, max(x_lo + 1, 196 - w))
            hm.signature(canvas, x, rng.uniform(y_lo, y_hi), w, h_sig, hand, rng)
    for _ in range(plan.stray):
        _stray(canvas, page, rng, height_mm)
    return canvas.image, inked


def _stray(canvas: Canvas, page: PageLayout, rng: np.random.Generator, height_mm: float) -> None:
    """A dot of ink or a grey smudge: smudges in the margins, small dots also below the table
    and in a position cell (never in a box or a name)."""
    where = rng.choice(["margin", "below", "position"], p=[0.5, 0.3, 0.2])
    black = (0.1, 0.1, 0.12)
    if where == "margin":
        x = float(rng.choice([rng.uniform(3, 13), rng.uniform(197, 207)]))
        y = rng.uniform(20, height_mm - 20)
        if rng.random() < 0.5:
            hm.dot(canvas, x, y, rng.uniform(1.5, 3.0), (0.5, 0.47, 0.44), rng.uniform(0.2, 0.45),
                   blur_mm=1.0)
        else:
            hm.dot(canvas, x, y, rng.uniform(0.15, 0.6), black, rng.uniform(0.6, 0.95))
        return
    if where == "below" and page.table.bottom + 4 < height_mm - 18:
        x, y = rng.uniform(16, 194), rng.uniform(page.table.bottom + 3, height_mm - 18)
    else:
        row = page.rows[int(rng.integers(len(page.rows)))]
        c = row.position_cell
        x, y = rng.uniform(c.x + 1, c.right - 1), rng.uniform(c.y + 1, c.bottom - 1)
    hm.dot(canvas, x, y, rng.uniform(0.12, 0.4), black, rng.uniform(0.6, 0.95))


# ------------------------------------------------------------------------------------------
# Making the pages (in worker processes)

_STATE: dict = {}


def _init(state: dict) -> None:
    _STATE.update(state)


def make_page(job: tuple) -> tuple[bytes, dict, int]:
    """Fill and scan one sheet; refill with firmer marks while the scan loses one."""
    plan, page_index, stack, seed = job
    layout: Layout = _STATE["layout"]
    page = layout.pages[page_index]
    last = page_index == len(layout.pages) - 1
    keep = [page.table, page.qr]
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng([seed, plan.voter, page_index, attempt])
        sheet, inked = fill_sheet(_STATE["blank"][page_index], page, plan, last=last,
                                  height_mm=layout.height, rng=rng, boost=attempt)
        matrix, info = choose_feed(keep, list(page.marks), PAPER_DPI, stack.dpi, rng)
        scanned = scan_sheet(sheet, PAPER_DPI, stack, matrix, info, rng,
                             use_augraphy=_STATE["augraphy"])
        info.jpeg_quality = int(rng.integers(50, 91)) if stack.mode != "bw" else 0
        data, grey = encode(scanned, stack, info.jpeg_quality)
        lost = []
        for person, index, box, pts in inked:
            if not visible(pts, matrix, grey, _corners_out(box, matrix), stack.mode == "bw"):
                lost.append([person, index])
        code = code_readable(grey, _corners_out(page.qr, matrix))
        if not lost and code:
            break
    return data, {"scan": {**info.to_dict(), "attempts": attempt + 1, "lost_marks": lost,
                           "code_readable": code}}, attempt


def _corners_out(rect, matrix: np.ndarray) -> np.ndarray:
    """The corners of a layout rectangle (mm) in scan pixels."""
    px = PAPER_DPI / 25.4
    corners = np.array([[rect.x, rect.y], [rect.right, rect.y], [rect.x, rect.bottom],
                        [rect.right, rect.bottom]]) * px
    return corners @ matrix[:, :2].T + matrix[:, 2]


def build_set(folder: Path, *, ballots: int, rates: Rates, seed: int, jobs: int = 1,
              use_augraphy: bool = True, stack_size: int = STACK_SIZE, dpi: int | None = None,
              progress=None) -> tuple[Path, list[Path], dict]:
    """Make the conference in ``folder/conference`` and its scans in ``folder/scans``; write
    ``folder/truth.json``. Returns the conference folder, the scan files and the truth.
    ``dpi`` gives every stack that resolution instead of a drawn one (quick tests)."""
    folder = Path(folder)
    conf = folder / "conference"
    scans = folder / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    pdf, batch, layout = new_conference(conf, ballots)
    blank, rasteriser = rasterise(pdf, len(layout.pages))
    rng = np.random.default_rng(seed)
    plans = plan_ballots([p.number for p in layout.persons], ballots, rates, rng)
    use_augraphy = use_augraphy and augraphy_available()
    stacks: list[Stack] = []
    jobs_list = []
    for k, plan in enumerate(plans):
        if k % stack_size == 0:
            stack = draw_stack(f"s{len(stacks) + 1:02d}", rng)
            stacks.append(replace(stack, dpi=dpi) if dpi else stack)
        for page_index in range(len(layout.pages)):
            jobs_list.append((plan, page_index, stacks[-1], seed))
    truth: dict = {
        "version": TRUTH_VERSION, "generator": "benchmarks/independent",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": seed, "batch": batch, "layout_hash": layout.hash,
        "voters": ballots, "rates": rates_dict(rates), "rasteriser": rasteriser,
        "effects": "augraphy" if use_augraphy else "own (augraphy not installed)",
        "stacks": [s.__dict__ for s in stacks],
        "ballots": [p.truth() for p in plans], "foreign": [], "pages": [],
    }
    files: list[Path] = []
    writers: dict[str, PdfWriter] = {}
    state = {"layout": layout, "blank": blank, "augraphy": use_augraphy}
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(jobs, initializer=_init, initargs=(state,)) if jobs > 1 else None
    if pool is None:
        _init(state)
    results = pool.imap(make_page, jobs_list, chunksize=2) if pool else map(make_page, jobs_list)
    counters: dict[str, int] = {}
    try:
        for (plan, page_index, stack, _), (data, extra, _attempt) in zip(jobs_list, results):
            n = counters.get(stack.name, 0)
            counters[stack.name] = n + 1
            if stack.fmt == "pdf":
                name, index = f"{stack.name}-scan.pdf", n
                if name not in writers:
                    writers[name] = PdfWriter(scans / name)
                    files.append(scans / name)
                writers[name].add(data, stack.dpi, stack.mode == "bw")
            else:
                suffix = "png" if stack.mode == "bw" else "jpg"
                name, index = f"{stack.name}-{n + 1:04d}.{suffix}", 0
                (scans / name).write_bytes(data)
                files.append(scans / name)
            persons = {r.person for r in layout.pages[page_index].rows}
            last = page_index == len(layout.pages) - 1
            truth["pages"].append({
                "file": name, "index": index, "kind": "ballot", "ballot": plan.id,
                "ballot_page": page_index + 1, "flags": page_flags(plan, persons, last),
                "stack": stack.name, "dpi": stack.dpi, "mode": stack.mode, "format": stack.fmt,
                **extra})
            if progress:
                progress(1)
    finally:
        for w in writers.values():
            w.close()
        if pool:
            pool.close()
            pool.join()
    text = json.dumps(truth, ensure_ascii=False, indent=1)
    (folder / "truth.json").write_text(text, encoding="utf-8")
    return conf, files, json.loads(text)
