"""Simulate a conference's vote: ballots filled by hand and scanned, with the truth beside them.

``simulate_stack`` takes the issued ballots (layout, batch, key), plans what every voter does
(``voters``), draws it on the rendered ballot pages (``marks``), scans each sheet (``scanner``),
writes the stack (``scanfiles``) and returns the truth: for every file and page, which ballot it
came from, what each row should read as, and what a correct reader must flag.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from ballotgen import marks
from ballotgen.conference import Conference
from ballotgen.layout import Layout, PageLayout, Rect, build_layout
from ballotgen.marks import Ink, Sheet
from ballotgen.payload import KEY_BYTES, TOKEN_CHARS
from ballotgen.render import Batch, render_pdf
from ballotgen.scanfiles import StackWriter
from ballotgen.scanner import (PROFILES, blank_back, draw_params, page_transform, photocopy,
                               points_in_frame, scan)
from ballotgen.voters import BallotPlan, Mistakes, plan_ballots

TRUTH_FILE = "truth.json"
TRUTH_VERSION = 1
FOREIGN_KINDS = ("other_conference", "damaged_code", "missing_code", "photocopy")

_MARKERS = {"x": marks.cross, "tick": marks.tick, "fill": marks.fill, "circle": marks.circle,
            "small": lambda sheet, box, ink, rng: marks.cross(sheet, box, ink, rng,
                                                              size=rng.uniform(0.25, 0.4)),
            "pencil": marks.cross}


@dataclass(frozen=True)
class Issued:
    """What the conference issued, as the simulator needs it (read from the store by the caller)."""

    conference: Conference
    layout: Layout
    batch: Batch  # code, copies, serials
    key: bytes


@dataclass
class _Sheet:
    """One sheet to scan, before scanning."""

    image: np.ndarray  # (H, W, 3) BGR at the stack's dpi
    truth: dict  # the page's entry in the truth file (file and index are added when written)


def simulate_stack(issued: Issued, folder: Path, *, voters: int, profile: str = "office",
                   fmt: str = "pdf", dpi: int | None = None, seed: int = 0,
                   mistakes: Mistakes = Mistakes(),
                   choices: list[dict[int, str | None]] | None = None,
                   foreign: int = 0) -> dict:
    """Fill ``voters`` ballots, scan them as ``profile`` would, write the stack into ``folder``.

    Returns the truth (also written to ``folder/truth.json``).
    """
    if voters < 1:
        raise ValueError("at least one voter is needed")
    if voters > issued.batch.copies:
        raise ValueError(f"only {issued.batch.copies} ballots were printed in batch "
                         f"{issued.batch.code}; cannot simulate {voters} voters")
    scanner = PROFILES[profile]
    rng = np.random.default_rng(seed)
    dpi = dpi or int(rng.choice(scanner.dpis))
    mode = str(rng.choice(scanner.modes))
    plans = plan_ballots(issued.layout.persons, voters, rng, mistakes=mistakes, choices=choices)
    serials = list(issued.batch.serials or [])
    rng.shuffle(serials)

    truth: dict = {
        "version": TRUTH_VERSION, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": profile, "format": fmt, "dpi": dpi, "mode": mode, "seed": seed,
        "batch": issued.batch.code, "layout_hash": issued.layout.hash, "voters": voters,
        "serials": bool(serials), "mistakes": dataclasses.asdict(mistakes),
        "ballots": [], "foreign": [], "pages": [],
    }
    renderer = _Renderer(issued, dpi)
    sheets = list(_ballot_sheets(plans, serials, issued, renderer, truth))
    for sheet in list(_foreign_sheets(foreign, issued, renderer, sheets, rng, truth)):
        # between two ballots, never inside one (a stray sheet does not split a ballot's pages)
        starts = [i for i, s in enumerate(sheets) if s.truth.get("ballot_page", 1) == 1]
        sheets.insert(int(rng.choice(starts + [len(sheets)])), sheet)

    marks_mm = list(issued.layout.pages[0].marks)

    def scan_one(image: np.ndarray, writer: StackWriter) -> dict:
        h, w = image.shape[:2]
        params = draw_params(scanner, rng)
        matrix = page_transform((w, h), params, dpi, rng)
        scanned = scan(image, scanner, matrix, dpi, mode, rng)
        name, index = writer.add(scanned, dpi, bw=mode == "bw", jpeg_quality=params.jpeg_quality)
        return {"file": name, "index": index, "scan": {
            **dataclasses.asdict(params), "matrix": np.round(matrix, 6).tolist(),
            "marks_in_frame": points_in_frame(marks_mm, issued.layout.mark_radius, matrix,
                                              (w, h), dpi)}}

    with StackWriter(folder, fmt) as writer:
        for sheet in sheets:
            truth["pages"].append({**scan_one(sheet.image, writer), **sheet.truth})
            if scanner.duplex:
                back = blank_back(sheet.image, scanner.bleed, rng)
                truth["pages"].append({**scan_one(back, writer), "kind": "blank_back",
                                       "flags": []})
    text = json.dumps(truth, ensure_ascii=False, indent=1)
    (Path(folder) / TRUTH_FILE).write_text(text, encoding="utf-8")
    return json.loads(text)  # exactly what the file says


class _Renderer:
    """Blank ballot pages rendered at the stack's dpi, cached when every copy is identical."""

    def __init__(self, issued: Issued, dpi: int) -> None:
        self.issued = issued
        self.dpi = dpi
        self._cache: dict[tuple, list[np.ndarray]] = {}

    def pages(self, serial: str | None = None, *, layout: Layout | None = None,
              batch: Batch | None = None, key: bytes | None = None) -> list[np.ndarray]:
        layout = layout or self.issued.layout
        batch = batch or self.issued.batch
        key = key or self.issued.key
        cache_key = (layout.hash, batch.code, serial)
        if cache_key not in self._cache:
            one = Batch(batch.code, 1, (serial,) if serial else None)
            document = pdfium.PdfDocument(render_pdf(layout, one, key))
            images = [np.ascontiguousarray(document[i].render(scale=self.dpi / 72).to_numpy())
                      for i in range(len(document))]
            if serial:  # every copy differs: do not keep them
                return images
            self._cache[cache_key] = images
        return [image.copy() for image in self._cache[cache_key]]


def _ballot_sheets(plans: list[BallotPlan], serials: list[str], issued: Issued,
                   renderer: _Renderer, truth: dict) -> Iterator[_Sheet]:
    for plan in plans:
        serial = serials[plan.voter - 1] if serials else None
        ballot_id = f"V{plan.voter:04d}"
        truth["ballots"].append(_ballot_truth(ballot_id, plan, serial))
        images = renderer.pages(serial)
        for page in issued.layout.pages:
            sheet = Sheet(images[page.index], renderer.dpi)
            fill_page(sheet, page, plan, last=page.index == len(issued.layout.pages) - 1)
            yield _Sheet(sheet.image, {"kind": "ballot", "ballot": ballot_id,
                                       "ballot_page": page.index + 1,
                                       "flags": _page_flags(plan, page)})


def _ballot_truth(ballot_id: str, plan: BallotPlan, serial: str | None) -> dict:
    return {
        "id": ballot_id, "voter": plan.voter, "serial": serial, "flags": list(plan.flags),
        "rows": [{"person": r.person, "intended": r.intended, "expected": r.expected,
                  "flags": list(r.flags), "style": r.style if r.marked else None,
                  "marked": list(r.marked), "scribbled": r.scribbled} for r in plan.rows],
    }


def _page_flags(plan: BallotPlan, page: PageLayout) -> list[str]:
    """Flags a reader must raise on this page (row flags and those whose ink is on it)."""
    on_page = {row.person for row in page.rows}
    flags = {f for r in plan.rows if r.person in on_page for f in r.flags}
    if any(p in on_page for p in plan.crossed):
        flags.add("name_crossed")
    if plan.write_in and page.signature is not None:
        flags.add("write_in")
    if "blank_ballot" in plan.flags:
        flags.add("blank_ballot")
    return sorted(flags)


def fill_page(sheet: Sheet, page: PageLayout, plan: BallotPlan, *, last: bool) -> None:
    """Draw what the voter of ``plan`` does on ``page`` (and the stamp put on before issue)."""
    rng = np.random.default_rng([plan.seed, page.index])
    pen = Ink(marks.BLUE if rng.random() < 0.5 else marks.BLACK, rng.uniform(0.75, 1.0),
              rng.uniform(0.35, 0.7))
    if plan.stamp:
        marks.stamp(sheet, page.stamp, rng)
    rows = {row.person: row for row in page.rows}
    for row_plan in plan.rows:
        row = rows.get(row_plan.person)
        if row is None:
            continue
        ink = pen
        if row_plan.style == "pencil":
            # light, but still visible to a black-and-white scanner (a mark no scan shows
            # cannot be read by anyone, machine or human)
            ink = Ink(marks.PENCIL, rng.uniform(0.4, 0.6), rng.uniform(0.25, 0.35))
        for box_index in row_plan.marked:
            _MARKERS[row_plan.style](sheet, row.boxes[box_index], ink, rng)
        if row_plan.scribbled is not None:
            marks.scribble_out(sheet, row.boxes[row_plan.scribbled], pen, rng)
        if row_plan.person in plan.crossed:
            marks.strike_through(sheet, row.name_cell, pen, rng)
    if plan.stray:
        for _ in range(plan.stray):
            _stray(sheet, page, rng)
    if last and plan.write_in:
        area = page.free
        x = area.x + rng.uniform(0.05, 0.3) * area.w
        y = area.y + min(area.h - 2.0, rng.uniform(6.0, 14.0))
        sheet.text(plan.write_in, (x, y), rng.uniform(4.0, 6.0), pen)
    if last and plan.signature and page.signature is not None:
        marks.signature(sheet, page.signature, pen, rng)


def _stray(sheet: Sheet, page: PageLayout, rng: np.random.Generator) -> None:
    """A dot or smudge in a margin, away from boxes, names and the free area below the table."""
    x = rng.choice([rng.uniform(3.0, 12.0), rng.uniform(198.0, 207.0)])
    y = rng.uniform(page.table.y, page.table.bottom)
    if rng.random() < 0.6:
        sheet.blot((x, y), rng.uniform(0.2, 0.6), Ink(marks.BLACK, rng.uniform(0.5, 0.9), 0.3))
    else:
        sheet.blot((x, y), rng.uniform(1.5, 3.0), Ink((120, 110, 100), rng.uniform(0.2, 0.4), 0.3),
                   blur_mm=1.2)


def _foreign_sheets(count: int, issued: Issued, renderer: _Renderer, ballots: list[_Sheet],
                    rng: np.random.Generator, truth: dict) -> Iterator[_Sheet]:
    """Sheets that are not valid ballots of this conference, cycling through FOREIGN_KINDS."""
    if count <= 0:
        return
    other_conf = dataclasses.replace(issued.conference,
                                     title=issued.conference.title + " (hội nghị khác)")
    other_layout = build_layout(other_conf)
    # Invented by the simulator, so drawn from the seeded generator (real codes use `secrets`).
    other_code = base64.b32encode(rng.bytes(8)).decode("ascii")[:TOKEN_CHARS]
    other_batch, other_key = Batch(other_code, 1, None), rng.bytes(KEY_BYTES)
    persons = issued.layout.persons
    for k in range(count):
        kind = FOREIGN_KINDS[k % len(FOREIGN_KINDS)]
        foreign_id = f"F{k + 1:03d}"
        (plan,) = plan_ballots(persons, 1, rng)
        if kind == "other_conference":
            image = renderer.pages(layout=other_layout, batch=other_batch, key=other_key)[0]
            sheet = Sheet(image, renderer.dpi)
            fill_page(sheet, other_layout.pages[0], plan, last=len(other_layout.pages) == 1)
            flags = ["foreign"]
        elif kind in ("damaged_code", "missing_code"):
            serial = (issued.batch.serials or (None,))[0]
            sheet = Sheet(renderer.pages(serial)[0], renderer.dpi)
            fill_page(sheet, issued.layout.pages[0], plan, last=len(issued.layout.pages) == 1)
            _spoil_code(sheet, issued.layout.pages[0].qr, damaged=kind == "damaged_code", rng=rng)
            flags = ["foreign"]
        else:  # a photocopy of a ballot already in the stack
            original = ballots[int(rng.integers(len(ballots)))]
            sheet = Sheet(photocopy(original.image, rng), renderer.dpi)
            # identical code: only a per-ballot serial can tell it from the original
            flags = ["duplicate"] if issued.batch.serials else []
            foreign_id += f"-copy-of-{original.truth['ballot']}"
        truth["foreign"].append({"id": foreign_id, "kind": kind, "flags": flags})
        yield _Sheet(sheet.image, {"kind": "foreign", "foreign": foreign_id, "foreign_kind": kind,
                                   "flags": flags})


def _spoil_code(sheet: Sheet, qr: Rect, *, damaged: bool, rng: np.random.Generator) -> None:
    """Tear away or scribble over the QR code (``damaged``), or white it out entirely."""
    s = sheet.px_per_mm
    x0, y0, x1, y1 = (int(v * s) for v in (qr.x, qr.y, qr.right, qr.bottom))
    if not damaged:
        sheet.image[y0:y1, x0:x1] = 255
        return
    # Damaged beyond what error correction restores (level Q: a quarter of the symbol), or the
    # truth would call foreign a code any reader decodes.
    if rng.random() < 0.5:  # a torn corner: the right 60 % of the code is gone
        sheet.image[y0:y1, x0 + (x1 - x0) * 2 // 5:x1] = 255
    else:  # scribbled over with a pen
        pen = Ink(marks.BLACK, 1.0, 0.9)
        for _ in range(int(rng.integers(6, 10))):
            sheet.stroke(marks.wobbly_line((rng.uniform(qr.x, qr.right), qr.y + 2),
                                           (rng.uniform(qr.x, qr.right), qr.bottom - 2), rng), pen)
        marks.fill(sheet, Rect(qr.x + 4, qr.y + 4, qr.w - 8, qr.h - 8), pen, rng)

