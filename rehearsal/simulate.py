"""Simulate a conference's vote: ballots filled by hand and scanned, with the truth beside them.

``simulate_stack`` takes the issued ballots (layout, batch, key), plans what every voter does
(``voters``), draws it on the rendered ballot pages (``marks``), scans each sheet (``scanner``),
writes the stack (``scanfiles``) and returns the truth: for every file and page, which ballot it
came from, what each row should read as, and what a correct reader must flag.

Beyond what a reader must report, the truth records how each thing was made, for breaking results
down: per ballot the voter's ``hand`` and where they signed (``signature``); per row the ``shape``
of the mark, its ink ``contrast`` and ``width_mm``, and ``spill`` (the neighbouring box a stroke
end ran into, or null) with ``spill_mm``; per page the print darkness (``print.toner``), the
scanner's tone curve (``scan.tone``), JPEG subsampling, the rows with a box cut off by the scan
area (``scan.rows_cut``), whether the QR code is wholly on the scan (``scan.qr_in_frame``), and on
the last page of a signed ballot the signature's place and bounding box in sheet millimetres
(``signature``); on a stamped page the stamp's impression and the share of its ink inside the
stamp area (``stamp``), and on a colour page the scanner's colour cast (``scan.tone.cast``) and
colour fringes (``scan.colour_fringe_px``). A ballot records whether it was stamped (``stamp``);
the stack, the conference's stamp check (``stamp_check``): with ``required``, an unstamped
ballot and a grey photocopy scanned in colour must be flagged ``missing_stamp``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium

from ballotgen.conference import Conference
from ballotgen.layout import (
    MARGIN_MM,
    MARK_INSET_MM,
    MARK_RADIUS_MM,
    Layout,
    PageLayout,
    Rect,
    Row,
    build_layout,
)
from ballotgen.payload import KEY_BYTES, TOKEN_CHARS
from ballotgen.render import Batch, render_pdf
from rehearsal import marks
from rehearsal.marks import Hand, Ink, Sheet, Strokes
from rehearsal.scanfiles import StackWriter
from rehearsal.scanner import (
    PROFILES,
    ScannerProfile,
    banded,
    blank_back,
    draw_banding,
    draw_params,
    draw_streaks,
    page_transform,
    photocopy,
    points_in_frame,
    print_density,
    rect_in_frame,
    rows_cut,
    scan,
    stained,
    streaked,
)
from rehearsal.voters import SMUDGE_STREAM, BallotPlan, Mistakes, plan_ballots

TRUTH_FILE = "truth.json"
TRUTH_VERSION = 1  # fields are only ever added, so readers of version 1 read every later truth
FOREIGN_KINDS = ("other_conference", "damaged_code", "missing_code", "photocopy")

CROSS_STYLES = ("x", "small", "pencil", "light", "heavy", "overshoot")
MARK_SIZE = (0.65, 1.15)  # a cross or tick's extent relative to the box, times the hand's size
SMALL_SIZE = (0.25, 0.4)  # a small cross: a quarter to 40 % of the box side
OVERSHOOT_SIZE = (1.25, 1.6)  # a large cross: its ends well past the box
HEAVY_WIDTH_MM = (0.8, 1.3)
PENCIL_WIDTH_MM = (0.25, 0.4)
LIGHT_SKIP = 1.0  # ink skips per 10 mm a dry pen adds to the hand's own
MARK_REACH_MM = 3.0  # a mark may reach this far left or right of its box…
MARK_ROW_PAD_MM = 0.4  # …and this far past its row's rules: never into another box
SIGNATURE_TOP = 2 / 3  # signatures anywhere below this share of the page height…
SIGNATURE_BOTTOM_MM = 9.0  # …down to this far above the bottom edge
SIGNATURE_SIDE_MM = MARGIN_MM + 1.0  # and this far from the left and right edges
SIGNATURE_MIN_REGION_MM = 10.0  # a place with less room falls back to the signature area
WRITE_IN_CLEARANCE_MM = 20.0  # below the top of the free area, a write-in's lines end
# The stamp's look is drawn from a stream of its own (seed, page, STAMP_STREAM), so the marks
# drawn after it are those of a stack made before stamps varied, for the same seed.
STAMP_STREAM = 18
STAMP_JITTER_MM = 3.0  # how far (sd) a hand puts the stamp from where it usually goes …
STAMP_SHIFT_RATE = 0.08  # … and how often much further: partly off the stamp area
STAMP_SHIFT_X_MM = (-12.0, 40.0)
STAMP_SHIFT_Y_MM = (-8.0, 22.0)
STAMP_STRENGTH = (0.8, 1.0)  # the pad's ink, times the stamp's own opacity …
STAMP_FAINT_RATE = 0.15  # … and how often a drying pad leaves it faint
STAMP_FAINT = (0.45, 0.8)
STAMP_FADE = (0.0, 0.3)  # uneven pressure (see marks.Stamp.fade) …
STAMP_UNEVEN_RATE = 0.25  # … and how often one side barely touched the paper
STAMP_UNEVEN_FADE = (0.3, 0.85)
STAMP_INK_WEIGHTS = (0.55, 0.2, 0.15, 0.1)  # marks.STAMP_INKS in order
STAMP_CLEARANCE_MM = 3.0  # a stamp stays this far from the edge, the discs, the code, the table
COLOUR_STREAM = 19  # a colour page's cast, fringes and channel grain: (seed, page, COLOUR_STREAM)
SMUDGE_KINDS = ("smudge", "specks")  # what smudge_boxes draws in an unmarked box
STREAK_STREAM = 23  # a stack's scanner streaks: (seed, STREAK_STREAM), apart from all the rest
BAND_STREAM = 25  # a print run's banding: (seed, BAND_STREAM), each sheet's (seed, sheet, …)


@dataclass(frozen=True)
class Issued:
    """What the conference issued, as the simulator needs it (read from the store by the caller)."""

    conference: Conference
    layout: Layout
    batch: Batch  # code, copies, serials
    key: bytes


@dataclass(frozen=True)
class Rescan:
    """The same paper stack scanned once more: the sheets exactly as the voters filled them (the
    stack's own seed, profile and resolution say how), fed through a scanner again with draws
    of its own (``seed``): a new skew, shift, noise and tone, maybe another profile, resolution,
    mode and file format. A scanner's resolution is its own: the sheets are resampled to it.
    The paper's stains are the same on every pass (see ``STAIN_STREAM``)."""

    seed: int
    profile: str | None = None  # None: the stack's own
    dpi: int | None = None  # None: drawn from the profile
    mode: str | None = None  # "colour", "grey" or "bw"; None: drawn from the profile


RESCAN_STREAM = 20  # a rescan's scanner draws from (rescan seed, RESCAN_STREAM)
# A rescanned sheet's stains are the paper's: drawn from (stack seed, sheet, STAIN_STREAM) with
# the stack's own profile, the same on every pass (a stack scanned without ``rescan`` draws its
# stains with the scanner's other effects, as it always has: pass it as a rescan too to compare).
STAIN_STREAM = 21


@dataclass
class _Sheet:
    """One sheet to scan, before scanning."""

    image: np.ndarray  # (H, W, 3) BGR at the stack's dpi
    truth: dict  # the page's entry in the truth file (file and index are added when written)


def simulate_stack(issued: Issued, folder: Path, *, voters: int, profile: str = "office",
                   fmt: str = "pdf", dpi: int | None = None, seed: int = 0,
                   mistakes: Mistakes = Mistakes(),
                   choices: list[dict[int, str | None]] | None = None,
                   foreign: int = 0, mode: str | None = None,
                   rescan: Rescan | None = None) -> dict:
    """Fill ``voters`` ballots, scan them as ``profile`` would, write the stack into ``folder``.

    ``mode`` ("colour", "grey" or "bw") overrides the one the profile would choose. With
    ``rescan``, the same sheets (those of the stack the other arguments make) are scanned again
    as it says: the truth names the same ballots, and says ``rescan`` (a committee excludes the
    second copy of a sheet). Returns the truth (also written to ``folder/truth.json``).
    """
    if voters < 1:
        raise ValueError("at least one voter is needed")
    if mode not in (None, "colour", "grey", "bw"):
        raise ValueError(f"unknown scan mode {mode!r}")
    if voters > issued.batch.copies:
        raise ValueError(f"only {issued.batch.copies} ballots were printed in batch "
                         f"{issued.batch.code}; cannot simulate {voters} voters")
    scanner = PROFILES[profile]
    rng = np.random.default_rng(seed)
    dpi = dpi or int(rng.choice(scanner.dpis))
    drawn_mode = str(rng.choice(scanner.modes))  # drawn all the same: the stack stays the seed's
    mode = mode or drawn_mode
    bed = int(rng.choice(scanner.bed_tones))
    paper_dpi, paper_profile = dpi, profile  # what made the sheets
    scan_rng = rng
    if rescan is not None:  # another pass through a scanner: its draws are its own
        scan_rng = np.random.default_rng([rescan.seed, RESCAN_STREAM])
        profile = rescan.profile or profile
        scan_scanner = PROFILES[profile]
        dpi = rescan.dpi or int(scan_rng.choice(scan_scanner.dpis))
        mode = rescan.mode or str(scan_rng.choice(scan_scanner.modes))
        bed = int(scan_rng.choice(scan_scanner.bed_tones))
    plans = plan_ballots(issued.layout.persons, voters, rng, mistakes=mistakes, choices=choices)
    serials = list(issued.batch.serials or [])
    rng.shuffle(serials)

    truth: dict = {
        "version": TRUTH_VERSION, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": profile, "format": fmt, "dpi": dpi, "mode": mode, "seed": seed,
        "batch": issued.batch.code, "layout_hash": issued.layout.hash, "voters": voters,
        "serials": bool(serials), "mistakes": dataclasses.asdict(mistakes),
        "stamp_check": issued.conference.stamp,
        **({"rescan": {**dataclasses.asdict(rescan), "paper": {
            "profile": paper_profile, "dpi": paper_dpi}}} if rescan else {}),
        "ballots": [], "foreign": [], "pages": [],
    }
    renderer = Renderer(issued, paper_dpi)
    checked = issued.conference.stamp == "required" and mode == "colour"
    sheets = list(_ballot_sheets(plans, serials, issued, renderer, truth, scanner, rng,
                                 stamp_checked=checked))
    for sheet in list(_foreign_sheets(foreign, issued, renderer, sheets, rng, truth, scanner,
                                      stamp_checked=checked)):
        # between two ballots, never inside one (a stray sheet does not split a ballot's pages)
        starts = [i for i, s in enumerate(sheets) if s.truth.get("ballot_page", 1) == 1]
        sheets.insert(int(rng.choice(starts + [len(sheets)])), sheet)

    marks_mm = list(issued.layout.pages[0].marks)
    paper_scanner, paper_seed = scanner, seed
    if rescan is not None:
        scanner, rng = PROFILES[profile], scan_rng
        seed = rescan.seed  # the colour stream's too
    # The streaks are the scanner's (a rescan's its own): drawn after the pass's scanner is known.
    streaks = draw_streaks(scanner, issued.layout.width, dpi,
                           np.random.default_rng([seed, STREAK_STREAM]))
    truth["streaks"] = [dataclasses.asdict(s) for s in streaks]
    # The banding is the print run's, the same whatever scans it.
    banding = draw_banding(paper_scanner, np.random.default_rng([paper_seed, BAND_STREAM]))
    truth["banding"] = dataclasses.asdict(banding) if banding else None

    def scan_one(image: np.ndarray, writer: StackWriter, page: PageLayout | None = None,
                 sheet: int = 0) -> dict:
        stain = None  # the darkness of the paper's stains, if the sheet is stained
        if rescan is not None:  # the paper's own stains, the same on every pass
            sheet_rng = np.random.default_rng([paper_seed, sheet, STAIN_STREAM])
            if page is not None and paper_scanner.stain_rate and \
                    sheet_rng.random() < paper_scanner.stain_rate:
                stain = round(float(sheet_rng.uniform(*paper_scanner.stain_darkness)), 3)
                image = stained(image, paper_dpi, stain, sheet_rng)
        if page is not None and banding is not None:  # a ballot sheet, as printed
            offset = np.random.default_rng([paper_seed, sheet, BAND_STREAM]).uniform(
                0, banding.period_mm)
            image = banded(image, banding, paper_dpi, float(offset))
        if dpi != paper_dpi:  # this scanner's resolution
            image = resampled(image, dpi / paper_dpi)
        h, w = image.shape[:2]
        if rescan is None and page is not None and scanner.stain_rate and \
                rng.random() < scanner.stain_rate:
            stain = round(float(rng.uniform(*scanner.stain_darkness)), 3)
            image = stained(image, dpi, stain, rng)
        colour = (np.random.default_rng([seed, len(truth["pages"]), COLOUR_STREAM])
                  if mode == "colour" else None)
        params = draw_params(scanner, rng, bed=bed, colour=colour)
        matrix = page_transform((w, h), params, dpi, rng)
        scanned = streaked(scan(image, scanner, matrix, dpi, mode, rng, tone=params.tone,
                                fringe_px=params.colour_fringe_px, colour=colour),
                           streaks, dpi, bw=mode == "bw")
        name, index = writer.add(scanned, dpi, bw=mode == "bw", jpeg_quality=params.jpeg_quality,
                                 jpeg_subsampling=params.jpeg_subsampling)
        rows = [(r.person, r.boxes) for r in page.rows] if page else []
        return {"file": name, "index": index, "scan": {
            **dataclasses.asdict(params), "matrix": np.round(matrix, 6).tolist(), "stain": stain,
            "marks_in_frame": points_in_frame(marks_mm, issued.layout.mark_radius, matrix,
                                              (w, h), dpi),
            "rows_cut": rows_cut(rows, matrix, (w, h), dpi),
            "qr_in_frame": rect_in_frame(page.qr, matrix, (w, h), dpi) if page else None}}

    with StackWriter(folder, fmt) as writer:
        for number, sheet in enumerate(sheets):
            page = (issued.layout.pages[sheet.truth["ballot_page"] - 1]
                    if sheet.truth["kind"] == "ballot" else None)
            truth["pages"].append({**scan_one(sheet.image, writer, page, number),
                                   **sheet.truth})
            if scanner.duplex:
                back = blank_back(sheet.image, scanner.bleed, rng)
                truth["pages"].append({**scan_one(back, writer), "kind": "blank_back",
                                       "flags": []})
    text = json.dumps(truth, ensure_ascii=False, indent=1)
    (Path(folder) / TRUTH_FILE).write_text(text, encoding="utf-8")
    return json.loads(text)  # exactly what the file says


def resampled(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` ((H, W, 3) uint8) at ``factor`` times its resolution."""
    h, w = image.shape[:2]
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


class Renderer:
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


def _printed(image: np.ndarray, scanner: ScannerProfile,
             rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A blank page as this copy came out of the printer, and its entry for the truth."""
    toner = round(float(rng.uniform(*scanner.toner)), 3)
    return print_density(image, toner), {"toner": toner}


def _ballot_sheets(plans: list[BallotPlan], serials: list[str], issued: Issued,
                   renderer: Renderer, truth: dict, scanner: ScannerProfile,
                   rng: np.random.Generator, *, stamp_checked: bool = False) -> Iterator[_Sheet]:
    """The sheets of the voters' ballots. With ``stamp_checked`` (the conference requires the
    stamp and the stack is scanned in colour) an unstamped ballot must be flagged
    ``missing_stamp`` on its first page."""
    for plan in plans:
        serial = serials[plan.voter - 1] if serials else None
        ballot_id = f"V{plan.voter:04d}"
        missing = stamp_checked and not plan.stamp
        truth["ballots"].append(_ballot_truth(ballot_id, plan, serial, missing_stamp=missing))
        images = renderer.pages(serial)
        for page in issued.layout.pages:
            image, printed = _printed(images[page.index], scanner, rng)
            sheet = Sheet(image, renderer.dpi)
            drawn = fill_page(sheet, page, plan, last=page.index == len(issued.layout.pages) - 1)
            flags = _page_flags(plan, page) + (["missing_stamp"] if missing and page.index == 0
                                               else [])
            yield _Sheet(sheet.image, {"kind": "ballot", "ballot": ballot_id,
                                       "ballot_page": page.index + 1,
                                       "flags": sorted(flags), "print": printed, **drawn})


def _ballot_truth(ballot_id: str, plan: BallotPlan, serial: str | None, *,
                  missing_stamp: bool = False) -> dict:
    hand = plan.hand or Hand()
    flags = list(plan.flags) + (["missing_stamp"] if missing_stamp else [])
    return {
        "id": ballot_id, "voter": plan.voter, "serial": serial, "flags": sorted(flags),
        "stamp": plan.stamp,
        "hand": dataclasses.asdict(hand) if plan.hand else None,
        "signature": plan.signature_place or ("area" if plan.signature else None),
        "rows": [{"person": r.person, "intended": r.intended, "expected": r.expected,
                  "flags": list(r.flags), "style": r.style if r.marked else None,
                  "marked": list(r.marked), "scribbled": r.scribbled,
                  "shape": mark_shape(r.style, hand) if r.marked else None,
                  **(_ink_truth(style_ink(hand, r.style)) if r.marked else
                     {"contrast": None, "width_mm": None}),
                  "spill": r.spill, "spill_mm": r.spill_mm} for r in plan.rows],
    }


def _ink_truth(ink: Ink) -> dict:
    return {"contrast": round(marks.ink_contrast(ink), 3), "width_mm": round(ink.width_mm, 3)}


def _page_flags(plan: BallotPlan, page: PageLayout) -> list[str]:
    """Flags a reader must raise on this page (row flags and those whose ink is on it).

    A signature is never a flag, wherever on the page it is.
    """
    on_page = {row.person for row in page.rows}
    flags = {f for r in plan.rows if r.person in on_page for f in r.flags}
    if any(p in on_page for p in plan.crossed):
        flags.add("name_crossed")
    if plan.write_in and page.signature is not None:
        flags.add("write_in")
    if "blank_ballot" in plan.flags:
        flags.add("blank_ballot")
    return sorted(flags)


# ------------------------------------------------------------------------------ one hand's marks

def mark_shape(style: str, hand: Hand) -> str | None:
    """The stroke shape ``hand`` gives a mark of ``style`` (None for fills and circles)."""
    if style in CROSS_STYLES:
        return hand.cross
    return hand.tick if style == "tick" else None


def style_ink(hand: Hand, style: str) -> Ink:
    """The ink of a mark of ``style`` made by ``hand``.

    ``pencil`` is a pencil and ``light`` a dry pen of the hand's colour, both at the hand's
    ``faint`` contrast; ``heavy`` presses hard with a wide stroke; a fill is at least 0.6 mm wide.
    """
    if style == "pencil":
        width = float(np.clip(hand.width_mm, *PENCIL_WIDTH_MM))
        full = marks.ink_contrast(Ink(marks.PENCIL, 1.0, width))
        return Ink(marks.PENCIL, min(1.0, hand.faint / full), width)
    if style == "light":
        colour = hand.colour if hand.pen != "pencil" else marks.BLUE
        full = marks.ink_contrast(Ink(colour, 1.0, hand.width_mm))
        return Ink(colour, min(1.0, hand.faint / full), max(hand.width_mm, 0.3))
    if style == "heavy":
        width = float(np.clip(hand.width_mm * 2.0, *HEAVY_WIDTH_MM))
        return Ink(hand.colour, max(hand.pressure, 0.92), width)
    if style == "fill":
        return Ink(hand.colour, hand.pressure, max(hand.width_mm, 0.6))
    return hand.ink


def mark_strokes(style: str, box: Rect, hand: Hand, rng: np.random.Generator) -> Strokes:
    """The strokes ``hand`` draws for a mark of ``style`` over ``box`` (before fitting)."""
    kw = {"slant_deg": hand.slant_deg, "wobble": hand.wobble}
    if style == "tick":
        return marks.tick_strokes(box, rng, size=hand.size * rng.uniform(0.6, 1.1),
                                  shape=hand.tick, **kw)
    if style == "fill":
        return marks.fill_strokes(box, rng, wobble=hand.wobble)
    if style == "circle":
        return marks.circle_strokes(box, rng, wobble=hand.wobble)
    size = {"small": SMALL_SIZE, "overshoot": OVERSHOOT_SIZE}.get(style)
    size = rng.uniform(*size) if size else hand.size * rng.uniform(*MARK_SIZE)
    strokes = marks.cross_strokes(box, rng, size=size, shape=hand.cross, **kw)
    if style == "heavy":  # gone over again, not quite on the first strokes
        strokes += [s + rng.normal(0, 0.12, 2) for s in strokes]
    return strokes


def mark_region(row: Row, box: Rect) -> Rect:
    """Where a mark in ``box`` may have ink: around the box, within its row (give or take the
    rules), never reaching another box."""
    return Rect(box.x - MARK_REACH_MM, row.rect.y - MARK_ROW_PAD_MM,
                box.w + 2 * MARK_REACH_MM, row.rect.h + 2 * MARK_ROW_PAD_MM)


def draw_mark(sheet: Sheet, row: Row, index: int, style: str, hand: Hand,
              rng: np.random.Generator, *, spill: int | None = None,
              spill_mm: float | None = None) -> None:
    """One mark of ``style`` in box ``index`` of ``row``, kept clear of every other box except
    that, with ``spill``, a stroke end runs ``spill_mm`` into that neighbouring box."""
    box = row.boxes[index]
    ink = style_ink(hand, style)
    strokes = marks.fit_into(mark_strokes(style, box, hand, rng), mark_region(row, box),
                             box.centre, ink.width_mm / 2 + 0.1)
    if spill is not None:
        through = box.centre if style in CROSS_STYLES or style == "tick" else None
        strokes, _ = marks.spill(strokes, row.boxes[spill], spill_mm or 1.0, rng, through=through)
    skip = hand.skip + (LIGHT_SKIP if style == "light" else 0.0)
    sheet.strokes(strokes, ink, rng, skip=0.0 if style == "fill" else skip)


def steady_hand(rng: np.random.Generator) -> Hand:
    """A plain ballpoint, for plans made without a hand (as the simulator drew before hands)."""
    return Hand(pen="ballpoint", colour=marks.BLUE if rng.random() < 0.5 else marks.BLACK,
                width_mm=float(rng.uniform(0.35, 0.7)), pressure=float(rng.uniform(0.75, 1.0)),
                faint=float(rng.uniform(0.3, 0.4)))


# ---------------------------------------------------------------------------------- a page

def page_size(page: PageLayout) -> tuple[float, float]:
    """(width, height) of the sheet in mm, from its registration marks."""
    return page.marks[3][0] + MARK_INSET_MM, page.marks[3][1] + MARK_INSET_MM


def signature_region(page: PageLayout, place: str, *, below: float = 0.0) -> Rect:
    """Where a signature at ``place`` (see ``voters.SIGNATURE_PLACES``) goes on the last page.

    Everything but ``area`` and ``over_note`` lies in the lower third of the page, below the table
    and ``below`` (the end of a write-in). Too little room there falls back to ``area``.
    """
    width, height = page_size(page)
    sig = page.signature
    area = (Rect(sig.x + 0.1 * sig.w, sig.y + 0.3 * sig.h, 0.85 * sig.w, 0.65 * sig.h) if sig else
            Rect(SIGNATURE_SIDE_MM, height - 30.0, 60.0, 20.0))
    top = max(height * SIGNATURE_TOP, page.table.bottom + 3.0, below)
    bottom = height - SIGNATURE_BOTTOM_MM
    left, right = SIGNATURE_SIDE_MM, width - SIGNATURE_SIDE_MM
    if place == "over_note" and sig:
        return Rect(sig.x, sig.y - 2.0, sig.w, 10.0)
    if place == "bottom_left":
        region = Rect(left, top, 0.45 * (right - left), bottom - top)
    elif place == "centre":
        region = Rect(width / 2 - 35.0, top, 70.0, bottom - top)
    elif place == "bottom_right":
        y = max(top, (sig.bottom if sig else bottom) - 12.0)
        region = Rect(right - 75.0, y, 75.0, bottom - y)
    else:
        return area
    return region if region.h >= SIGNATURE_MIN_REGION_MM else area


def draw_signature(sheet: Sheet, page: PageLayout, plan: BallotPlan, hand: Hand,
                   rng: np.random.Generator) -> dict:
    """Sign the last page where ``plan`` says; return the signature's entry for the truth."""
    place = plan.signature_place or "area"
    below = page.free.y + WRITE_IN_CLEARANCE_MM if plan.write_in else 0.0
    region = signature_region(page, place, below=below)
    strokes = marks.signature_strokes(rng, rng.uniform(*marks.SIGNATURE_WIDTH_MM),
                                      rng.uniform(*marks.SIGNATURE_HEIGHT_MM),
                                      angle_deg=plan.signature_angle, wobble=hand.wobble)
    strokes = marks.place_signature(strokes, region, rng)
    ink = Ink(hand.colour, hand.pressure, min(hand.width_mm, 0.7))
    sheet.strokes(strokes, ink, rng, skip=hand.skip)
    return {"place": place, "angle_deg": plan.signature_angle,
            "bbox_mm": [round(v, 2) for v in marks.bounds(strokes, ink.width_mm)]}


def fill_page(sheet: Sheet, page: PageLayout, plan: BallotPlan, *, last: bool) -> dict:
    """Draw what the voter of ``plan`` does on ``page`` (and the stamp put on before issue).

    Returns
    -------
    dict
        What was drawn that the truth records beyond the plan: ``{"stamp": {...}}`` on a
        stamped page (:func:`stamp_truth`) and ``{"signature": {...}}`` on a signed last page.
    """
    rng = np.random.default_rng([plan.seed, page.index])
    hand = plan.hand or steady_hand(rng)
    pen = hand.ink
    drawn: dict = {}
    if plan.stamp:
        impression = stamp_impression(page, marks.place_stamp(page.stamp, rng),
                                      np.random.default_rng([plan.seed, page.index, STAMP_STREAM]))
        marks.stamp(sheet, impression, rng)
        drawn["stamp"] = stamp_truth(impression, page.stamp)
    rows = {row.person: row for row in page.rows}
    for row_plan in plan.rows:
        row = rows.get(row_plan.person)
        if row is None:
            continue
        for box_index in row_plan.marked:
            spill = row_plan.spill if len(row_plan.marked) == 1 else None
            draw_mark(sheet, row, box_index, row_plan.style, hand, rng, spill=spill,
                      spill_mm=row_plan.spill_mm)
        if row_plan.scribbled is not None:
            marks.scribble_out(sheet, row.boxes[row_plan.scribbled], _visible(pen), rng)
        if row_plan.person in plan.crossed:
            marks.strike_through(sheet, row.name_cell, _visible(pen), rng)
    if plan.stray:
        for _ in range(plan.stray):
            _stray(sheet, page, rng)
    if plan.smudges:  # from a stream of their own: the rest of the page is the seed's as before
        drawn["smudges"] = smudge_boxes(sheet, page, plan, np.random.default_rng(
            [plan.seed, page.index, SMUDGE_STREAM]))
    if last and plan.write_in:
        area = page.free
        x = area.x + rng.uniform(0.05, 0.3) * area.w
        y = area.y + min(area.h - 2.0, rng.uniform(6.0, 14.0))
        sheet.text(plan.write_in, (x, y), rng.uniform(4.0, 6.0), _visible(pen))
    if last and plan.signature and page.signature is not None:
        drawn["signature"] = draw_signature(sheet, page, plan, hand, rng)
    return drawn


def stamp_impression(page: PageLayout, placed: marks.Stamp,
                     rng: np.random.Generator) -> marks.Stamp:
    """How the committee member's stamp came out on ``page``, from where it was ``placed``:
    shifted by a hand (now and then far: partly off the stamp area), turned any way, one of the
    red pad inks, sometimes faint (a drying pad) or pressed unevenly. It stays clear of the
    registration discs, the QR code and the table, which no committee stamps over."""
    dx, dy = rng.normal(0.0, STAMP_JITTER_MM, 2)
    if rng.random() < STAMP_SHIFT_RATE:
        dx, dy = rng.uniform(*STAMP_SHIFT_X_MM), rng.uniform(*STAMP_SHIFT_Y_MM)
    strength = rng.uniform(*(STAMP_FAINT if rng.random() < STAMP_FAINT_RATE else STAMP_STRENGTH))
    fade = rng.uniform(*(STAMP_UNEVEN_FADE if rng.random() < STAMP_UNEVEN_RATE else STAMP_FADE))
    impression = dataclasses.replace(
        placed, angle_deg=round(float(rng.uniform(0.0, 360.0)), 2),
        ink=str(rng.choice(list(marks.STAMP_INKS), p=STAMP_INK_WEIGHTS)),
        opacity=round(placed.opacity * float(strength), 3), fade=round(float(fade), 3),
        fade_towards_deg=round(float(rng.uniform(0.0, 360.0)), 2))
    x, y = _stamp_clear(page, placed.centre, (placed.centre[0] + dx, placed.centre[1] + dy),
                        placed.radius_mm)
    return dataclasses.replace(impression, centre=(round(x, 3), round(y, 3)))


def _stamp_clear(page: PageLayout, start: tuple[float, float], wanted: tuple[float, float],
                 radius: float) -> tuple[float, float]:
    """The point nearest ``wanted`` on the way from ``start`` where a stamp of ``radius`` keeps
    STAMP_CLEARANCE_MM from the page's edge, its discs, its QR code and its table."""
    width = page_size(page)[0]
    gap = radius + STAMP_CLEARANCE_MM

    def clear(x: float, y: float) -> bool:
        if not (gap <= x <= width - gap and gap <= y <= page.table.y - gap):
            return False
        if any(np.hypot(x - mx, y - my) < gap + MARK_RADIUS_MM for mx, my in page.marks):
            return False
        qr = page.qr
        nearest = (min(max(x, qr.x), qr.right), min(max(y, qr.y), qr.bottom))
        return bool(np.hypot(x - nearest[0], y - nearest[1]) >= gap)

    for t in np.linspace(1.0, 0.0, 21):  # back towards where it was placed
        x, y = start[0] + t * (wanted[0] - start[0]), start[1] + t * (wanted[1] - start[1])
        if clear(x, y):
            return float(x), float(y)
    return start


def stamp_truth(impression: marks.Stamp, area: Rect) -> dict:
    """The truth's record of a stamp drawn on a page: its impression and the share of its ink
    inside the stamp area the layout reserves (``in_area``)."""
    return {**dataclasses.asdict(impression), "centre": list(impression.centre),
            "in_area": round(marks.stamp_share_in(impression, area), 3)}


def _visible(ink: Ink) -> Ink:
    """``ink`` for what a reader must flag (corrections, struck names, write-ins): the voter's
    pen, but never fainter than an ordinary ballpoint, so the flag the truth asks for is fair."""
    return Ink(ink.colour, max(ink.opacity, 0.75) if ink.colour != marks.PENCIL else 1.0,
               max(ink.width_mm, 0.35))


def smudge_boxes(sheet: Sheet, page: PageLayout, plan: BallotPlan,
                 rng: np.random.Generator) -> list[dict]:
    """``plan.smudges`` smudges or clusters of specks, each in a box of ``page`` that the voter
    left unmarked (no mark, scribble or spill): a dirty finger, graphite rubbed off another
    sheet, toner specks. None is a mark: a reader must never count one (it may ask a human).
    Returns what the truth records: person, box (LEVELS order) and kind of each."""
    rows = {row.person: row for row in page.rows}
    free = [(r.person, box) for r in plan.rows if r.person in rows for box in range(3)
            if box not in r.marked and box != r.scribbled and box != r.spill]
    out = []
    for k in rng.choice(len(free), size=min(plan.smudges, len(free)), replace=False):
        person, box = free[int(k)]
        rect = rows[person].boxes[box]
        cx = rect.x + rect.w * rng.uniform(0.3, 0.7)
        cy = rect.y + rect.h * rng.uniform(0.3, 0.7)
        kind = str(rng.choice(SMUDGE_KINDS))
        if kind == "smudge":  # soft and grey, a few millimetres across
            grey = Ink(marks.PENCIL, rng.uniform(0.12, 0.35), 0.3)
            sheet.blot((cx, cy), rng.uniform(0.8, 1.8), grey, blur_mm=rng.uniform(0.6, 1.4))
        else:
            speck_cluster(sheet, (cx, cy), rng, spread_mm=rng.uniform(0.8, 1.8),
                          count=int(rng.integers(15, 60)))
        out.append({"person": person, "box": box, "kind": kind})
    return out


def speck_cluster(sheet: Sheet, centre: tuple[float, float], rng: np.random.Generator, *,
                  spread_mm: float, count: int) -> None:
    """``count`` tiny dark dots scattered around ``centre`` (mm), ``spread_mm`` apart on
    average (a standard deviation, cut at 3 mm): toner, dirt, graphite off another sheet."""
    for _ in range(count):
        dx, dy = np.clip(rng.normal(0.0, spread_mm, 2), -3.0, 3.0)
        sheet.blot((centre[0] + float(dx), centre[1] + float(dy)), rng.uniform(0.04, 0.1),
                   Ink(marks.BLACK, rng.uniform(0.25, 0.6), 0.1))


def _stray(sheet: Sheet, page: PageLayout, rng: np.random.Generator) -> None:
    """A dot or smudge in a margin, away from boxes, names and the free area below the table."""
    x = rng.choice([rng.uniform(3.0, 12.0), rng.uniform(198.0, 207.0)])
    y = rng.uniform(page.table.y, page.table.bottom)
    if rng.random() < 0.6:
        sheet.blot((x, y), rng.uniform(0.2, 0.6), Ink(marks.BLACK, rng.uniform(0.5, 0.9), 0.3))
    else:
        sheet.blot((x, y), rng.uniform(1.5, 3.0), Ink((120, 110, 100), rng.uniform(0.2, 0.4), 0.3),
                   blur_mm=1.2)


def _foreign_sheets(count: int, issued: Issued, renderer: Renderer, ballots: list[_Sheet],
                    rng: np.random.Generator, truth: dict,
                    scanner: ScannerProfile = PROFILES["clean"], *,
                    stamp_checked: bool = False) -> Iterator[_Sheet]:
    """Sheets that are not valid ballots of this conference, cycling through FOREIGN_KINDS.

    A photocopy is grey, so, with ``stamp_checked``, it must be flagged ``missing_stamp``."""
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
            sheet = Sheet(_printed(image, scanner, rng)[0], renderer.dpi)
            fill_page(sheet, other_layout.pages[0], plan, last=len(other_layout.pages) == 1)
            flags = ["foreign"]
        elif kind in ("damaged_code", "missing_code"):
            serial = (issued.batch.serials or (None,))[0]
            sheet = Sheet(_printed(renderer.pages(serial)[0], scanner, rng)[0], renderer.dpi)
            fill_page(sheet, issued.layout.pages[0], plan, last=len(issued.layout.pages) == 1)
            _spoil_code(sheet, issued.layout.pages[0].qr, damaged=kind == "damaged_code", rng=rng)
            flags = ["foreign"]
        else:  # a grey photocopy of a ballot already in the stack
            original = ballots[int(rng.integers(len(ballots)))]
            sheet = Sheet(photocopy(original.image, rng), renderer.dpi)
            # identical code: only a per-ballot serial, or the red stamp it lacks, can tell it
            # from the original
            flags = ["duplicate"] if issued.batch.serials else []
            if stamp_checked and original.truth["ballot_page"] == 1:
                flags.append("missing_stamp")
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

