"""Read one scanned page: blank? whose ballot? where is everything? what is marked?

``read_page`` is the whole pipeline for one page and returns a :class:`PageReading` whatever
happens: a blank back, a foreign sheet or a page that cannot be registered is an outcome with its
reason, never an exception. The conference facts it needs come in a :class:`Context` (the reader
never opens the store).
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field

import numpy as np

from ballotgen import payload
from ballotgen.i18n import N_, _
from ballotgen.layout import Layout, PageLayout, Rect
from ballotgen.vocabulary import BoxStatus, Flag, PageKind
from omr.blank import is_blank
from omr.decide import decide_row, name_level, page_model, row_flags
from omr.inkprint import Background, ink_signature
from omr.load import PageImage
from omr.qr import code_in_corners, find_code
from omr.reading import PageReading, RowReading
from omr.register import PX_PER_MM, Registration, RegistrationFailure, register
from omr.score import (
    BoxScore,
    Texture,
    above_background,
    above_paper,
    blank_reference,
    box_score,
    find_outline,
    ink_levels,
    interior,
    new_ink_mm2,
    outline_correction,
    paper_texture,
    registered_darkness,
    strike_ink_mm2,
    surround_darkness,
)
from omr.settings import DEFAULT, ReaderSettings
from omr.stamp import read_stamp, stamp_flags
from omr.streaks import find_streaks, remove_streaks

# Why a page with a ballot code is another conference's (or a forgery): its reading's reason.
# The reasons of a foreign page: recorded in English (the stored reading is a record, the same in
# every language), shown in the user's by reason_text().
NO_CODE = N_("no ballot code found on the page")
NOT_A_BALLOT_CODE = N_("the QR code is not a ballot code")
NOT_SIGNED_HERE = N_("the ballot code is not signed for this conference (forged, or a ballot of "
                     "another conference)")
NOT_PRINTED_HERE = " was not printed for this conference"  # after "batch <code>"
NEVER_ISSUED = " was never issued"  # after "serial <code>"
WRONG_PAGE_COUNT = N_("the code's page count does not match its layout")
_REASON_FORMS = (  # the recorded reasons made of parts, and their message ids
    (re.compile(r"batch (?P<batch>\S+)" + re.escape(NOT_PRINTED_HERE)),
     N_("batch {batch} was not printed for this conference")),
    (re.compile(r"serial (?P<serial>\S+)" + re.escape(NEVER_ISSUED)),
     N_("serial {serial} was never issued")),
)


def reason_text(reason: str) -> str:
    """A recorded reason in the user's language (one of another form as it was recorded)."""
    for pattern, message in _REASON_FORMS:
        match = pattern.fullmatch(reason)
        if match:
            return _(message).format(**match.groupdict())
    return _(reason) if reason else reason


def of_another_conference(reading: PageReading) -> bool:
    """Whether ``reading`` is of a page carrying a ballot code that is not this conference's."""
    return reading.kind == PageKind.FOREIGN and (
        reading.reason == NOT_SIGNED_HERE
        or (reading.reason.startswith("batch ") and reading.reason.endswith(NOT_PRINTED_HERE)))


@dataclass(frozen=True)
class Context:
    """What the reader must know of the conference."""

    key: bytes | None  # verifies the ballot codes; None in an audit archive, which has none
    layouts: dict[str, Layout]  # every layout printed, by hash
    batches: frozenset[str]  # every batch printed
    serials: frozenset[str] = frozenset()  # every serial issued (batches printed with --serials)
    settings: ReaderSettings = field(default=DEFAULT)
    code_digests: frozenset[str] = frozenset()  # verify the codes when there is no key
    stamp_required: bool = False  # the conference's stamp check (flags a first sheet without it)

    def authentic(self, code: payload.BallotCode, mac: str) -> bool:
        """Whether ``code`` signed with ``mac`` was printed for this conference: by its MAC
        with the key, else by its public verification value."""
        if self.key:
            return payload.is_authentic(code, mac, self.key)
        return payload.code_digest(payload.signed_text(code, mac)) in self.code_digests


@dataclass(frozen=True)
class Located:
    """A page identified as one of ours and registered: where every box of its layout is."""

    ident: dict  # batch, page, pages, serial, layout_hash: PageReading fields
    layout: Layout
    page_layout: PageLayout
    registration: Registration
    dark: np.ndarray  # (H, W) float32 darkness of the registered page, PX_PER_MM
    streaks: tuple[tuple[int, int], ...] = ()  # scanner streaks taken away (columns of the scan)


def locate(page: PageImage, ctx: Context, *, timings: dict[str, float] | None = None
           ) -> Located | PageReading:
    """Identify and register ``page``; a PageReading when it is blank, foreign or unreadable.

    Such a reading records the settings too: its outcome depends on the blank-page and
    registration limits, so an audit must re-read it with the same ones."""
    located = _locate(page, ctx, _Clock(timings))
    if isinstance(located, PageReading):
        return dataclasses.replace(located, settings=ctx.settings.to_dict())
    return located


def _locate(page: PageImage, ctx: Context, clock: _Clock) -> Located | PageReading:
    s = ctx.settings
    grey = page.image
    # A scanner's streak is taken away before anything is looked for (the code, the marks).
    streaks = find_streaks(grey, page.dpi, s)
    grey = remove_streaks(grey, streaks)
    dark_part = dark_share(grey, s)
    if dark_part > s.dark_page_fraction:  # before the blank test: a uniform page shows no ink
        return _unreadable(f"the page is almost entirely dark ({dark_part:.0%} of it): the "
                           "scanner's "
                           "lid open, a sheet face down, or a negative image", 0, {})
    # A ballot's code is almost always found at once where it is printed, and a page showing
    # it is never blank: the blank test is for the pages where it is not found.
    hit = code_in_corners(grey)
    clock.lap("QR code")
    if hit is None:
        blank = is_blank(grey, page.dpi, s)
        clock.lap("blank test")
        if blank:
            return PageReading(PageKind.BLANK)
        hit = find_code(grey)
        clock.lap("QR code")
    if hit is None:
        return _foreign(NO_CODE)
    try:
        code, mac = payload.decode(hit.text)
    except payload.PayloadFormatError:
        return _foreign(NOT_A_BALLOT_CODE)
    if not ctx.authentic(code, mac):
        return _foreign(NOT_SIGNED_HERE)
    ident = {"batch": code.batch, "page": code.page, "pages": code.pages, "serial": code.serial,
             "layout_hash": code.layout_hash}
    layout = ctx.layouts.get(code.layout_hash)
    if code.batch not in ctx.batches or layout is None:
        return _foreign(f"batch {code.batch}{NOT_PRINTED_HERE}", **ident)
    if code.serial is not None and code.serial not in ctx.serials:
        return _foreign(f"serial {code.serial}{NEVER_ISSUED}", **ident)
    if code.pages != len(layout.pages):
        return _foreign(WRONG_PAGE_COUNT, **ident)
    page_layout = layout.pages[code.page - 1]

    registration = register(grey, layout, page_layout, hit, page.dpi, s)
    clock.lap("registration marks")
    if isinstance(registration, RegistrationFailure):
        return _unreadable(registration.reason, registration.marks_found, ident)
    boxes = [box for row in page_layout.rows for box in row.boxes]
    # Darkness takes its black from the discs found (not white beyond the scan area).
    paper = int(np.percentile(grey[::8, ::8], 90))  # beyond the scan: as the page's paper
    rows_mm = _rows_read(page_layout, layout, s)
    dark = registered_darkness(grey, registration, layout, rows_mm=rows_mm, paper=paper)
    correction, agreeing = outline_correction(dark, boxes, layout.box_line,
                                              reach_mm=s.refine_reach_mm,
                                              tolerance_mm=s.refine_tolerance_mm)
    needed = s.min_outlines_weak if registration.weak else s.min_outlines
    if agreeing < needed:
        return _unreadable(f"only {agreeing:.0%} of the printed boxes are where the registration "
                           "puts them", registration.marks_found, ident)
    clock.lap("warp, darkness, outline fit")
    if correction is not None and _largest_shift_mm(correction, boxes) >= s.refine_min_mm:
        # resample once more, so names and free areas line up too
        registration = registration.refined(correction)
        dark = registered_darkness(grey, registration, layout, rows_mm=rows_mm, paper=paper)
        residual, agreeing = outline_correction(dark, boxes, layout.box_line,
                                                reach_mm=s.refine_reach_mm,
                                                tolerance_mm=s.refine_tolerance_mm)
        # The same share of outlines as before (heavy marks and light toner hide some), and
        # what remains to correct must be within the tolerance.
        if residual is None or agreeing < needed or \
                _largest_shift_mm(residual, boxes) > s.refine_tolerance_mm:
            return _unreadable("the printed boxes do not line up after registration",
                               registration.marks_found, ident)
    clock.lap("refined warp")
    return Located(ident, layout, page_layout, registration, dark, tuple(streaks))


def read_page(page: PageImage, ctx: Context, *,
              timings: dict[str, float] | None = None) -> PageReading:
    """Everything the reader can tell about one page. ``timings``, if given, receives the
    seconds spent in each stage (for benchmarks)."""
    located = locate(page, ctx, timings=timings)
    if isinstance(located, PageReading):
        return located
    clock = _Clock(timings)
    s = ctx.settings
    ident, layout, page_layout = located.ident, located.layout, located.page_layout
    registration, dark = located.registration, located.dark
    reference = blank_reference(layout, page_layout.index)
    shifts = [[find_outline(dark, box, layout.box_line, reach_mm=s.relocate_mm)
               for box in row.boxes] for row in page_layout.rows]
    surrounds = [[surround_darkness(dark, box, shift) for box, shift in zip(row.boxes, sh)]
                 for row, sh in zip(page_layout.rows, shifts)]
    levels = ink_levels([above_background(_emptiest(dark, row.boxes, row_shifts, row_surrounds,
                                                    s.ink_inset_mm),
                                          stroke_mm=s.stroke_max_mm, solid=s.solid_darkness,
                                          fill=s.fill_darkness)
                         for row, row_shifts, row_surrounds
                         in zip(page_layout.rows, shifts, surrounds)],
                        low=s.ink_low, high=s.ink_high, low_noise=s.ink_low_noise,
                        high_noise=s.ink_high_noise)
    on_scan = _on_scan(page_layout, registration, (page.image.shape[1], page.image.shape[0]))

    def measure(box: Rect, shift: tuple[int, int], surround: float, seen: bool) -> BoxScore:
        if not seen:  # a corner cut off by the scan area: its row is unclear
            return BoxScore(0.0, 0.0, surround=1.0)
        texture = paper_texture(dark, reference, box, shift, surround, s) \
            if s.texture_ratio > 0 else Texture()
        return box_score(dark, box, shift, levels, s, outline_mm=layout.box_line,
                         surround=surround, texture=texture)

    measured = [[measure(*box) for box in zip(row.boxes, row_shifts, row_surrounds, row_seen)]
                for row, row_shifts, row_surrounds, row_seen
                in zip(page_layout.rows, shifts, surrounds, on_scan)]
    if levels.noise > s.max_ink_noise:
        return _unreadable("the boxes do not line up with the page (their insides are as dark as "
                           "ink)", registration.marks_found, ident)
    model = page_model(measured, s)
    names = [round(strike_ink_mm2(dark, reference, row.name_cell, stroke_mm=s.stroke_max_mm,
                                  min_stroke_mm=s.name_stroke_min_mm, band_mm=s.name_band_mm,
                                  ink_darkness=s.name_darkness, margin_mm=s.cell_margin_mm,
                                  align_mm=s.align_reach_mm, line_width_mm=s.name_line_width_mm,
                                  line_max_deg=s.name_line_max_deg,
                                  pieces=s.name_align_pieces, near=row_shifts[0]), 2)
             for row, row_shifts in zip(page_layout.rows, shifts)]
    crossed_level = name_level(names, s)
    rows = []
    for row, boxes, name_ink in zip(page_layout.rows, measured, names):
        gaps = tuple(new_ink_mm2(dark, reference, _between(a, b), margin_mm=0.0,
                                 ink_darkness=levels.high)
                     for a, b in zip(row.boxes, row.boxes[1:]))
        statuses, reading, spill = decide_row(boxes, model, s, gaps_mm2=gaps)
        rows.append(RowReading(
            row.person, _rounded([b.score for b in boxes], 4),  # type: ignore[arg-type]
            _rounded([b.extent_mm for b in boxes], 2), statuses, reading,  # type: ignore[arg-type]
            name_ink, row_flags(reading, name_ink, s, name_crossed_mm2=crossed_level),
            ink_mm2=_rounded([b.ink_mm2 for b in boxes], 2),
            spill_mm2=_rounded(list(spill), 2),
            line_mm2=_rounded([b.line_mm2 for b in boxes], 2),
            blot_mm2=_rounded([b.blot_mm2 for b in boxes], 2),
            stroke_scores=_rounded([b.stroke_score for b in boxes], 4),
            surround=_rounded([b.surround for b in boxes], 3),
            outline=_rounded([b.outline or 0.0 for b in boxes], 3),
            texture=_rounded([b.texture for b in boxes], 3),
            peak=_rounded([b.peak or 0.0 for b in boxes], 3),
            piece_mm=_rounded([b.piece_mm for b in boxes], 2),
            line_share=_rounded([b.line_share for b in boxes], 3)))
    band = write_in_band(page_layout, layout, s)
    write_in = round(new_ink_mm2(dark, reference, band, exclude=page_layout.signature,
                                 handwriting=True, stroke_mm=s.stroke_max_mm,
                                 ink_darkness=s.write_in_darkness, margin_mm=s.cell_margin_mm,
                                 align_mm=s.align_reach_mm), 2) if band is not None else 0.0
    clock.lap("scores and new ink")
    # In a row at least one box is empty; if most rows have none, the boxes are not where
    # registration put them (their printed outlines are being measured as ink).
    if rows and sum(BoxStatus.EMPTY not in r.statuses for r in rows) > len(rows) / 2:
        return _unreadable("the boxes do not line up with the page", registration.marks_found,
                           ident)
    flags = {f for r in rows for f in r.flags}
    if write_in >= s.write_in_mm2:
        flags.add(Flag.WRITE_IN)
    stamp = read_stamp(page, registration, layout, page_layout, s)
    flags.update(stamp_flags(stamp, required=ctx.stamp_required, first_page=ident["page"] == 1))
    clock.lap("stamp")
    ink = ink_signature(dark, reference.printed, page_layout, shifts, write_in=band,
                        keep_out=signature_keep_out(page_layout, layout, s),
                        background=Background(s.stroke_max_mm, s.solid_darkness,
                                              s.fill_darkness))
    clock.lap("ink signature")
    calibration = {"ink_noise": round(levels.noise, 4), "ink_low": round(levels.low, 4),
                   "ink_high": round(levels.high, 4), **model.to_dict(),
                   "name_crossed_mm2": round(crossed_level, 2)}
    if located.streaks:  # the scan's columns taken away as a scanner's streak
        calibration["streaks"] = [list(span) for span in located.streaks]
    return PageReading(PageKind.BALLOT, upside_down=registration.upside_down,
                       registration_error_mm=registration.residual_mm,
                       marks_found=registration.marks_found, rows=tuple(rows),
                       write_in_mm2=write_in, flags=tuple(sorted(flags)),
                       settings=s.to_dict(), calibration=calibration,
                       transform=tuple(float(v) for v in registration.matrix.ravel()),
                       stamp=stamp, ink=ink, **ident)


def _rows_read(page_layout: PageLayout, layout: Layout, s: ReaderSettings
               ) -> tuple[float, float]:
    """From where to where (mm down the page) anything is read: the table's rows and the
    write-in band below them."""
    top = min((r.name_cell.y for r in page_layout.rows), default=page_layout.free.y)
    band = write_in_band(page_layout, layout, s)
    bottom = max([r.name_cell.bottom for r in page_layout.rows]
                 + [b.bottom for r in page_layout.rows for b in r.boxes]
                 + [band.bottom if band is not None else page_layout.free.y])
    return top, bottom


WRITE_IN_MIN_MM = 12.0  # the write-in band is never lower than a row with a written name


def write_in_band(page_layout: PageLayout, layout: Layout, s: ReaderSettings) -> Rect | None:
    """Where a name added to the list is looked for: the top of the free area below the table,
    above the last page's lower part where voters sign (see ``ReaderSettings``)."""
    free = page_layout.free
    bottom = min(free.bottom, free.y + s.write_in_band_mm)
    if page_layout.signature is not None:  # stop where voters sign, but keep a row's height
        zone = layout.height * s.signature_zone_from
        bottom = min(bottom, max(zone, free.y + WRITE_IN_MIN_MM))
    bottom = min(bottom, free.bottom)
    return Rect(free.x, free.y, free.w, bottom - free.y) if bottom > free.y else None


def signature_zone(page_layout: PageLayout, layout: Layout, s: ReaderSettings) -> Rect | None:
    """Where voters sign on the last page: the free area below the write-in band, across the
    content width (the reader ignores ink there). None on other pages."""
    if page_layout.signature is None:
        return None
    band = write_in_band(page_layout, layout, s)
    top = band.bottom if band is not None else page_layout.free.y
    free = page_layout.free
    bottom = max(free.bottom, page_layout.signature.bottom)
    right = max(free.right, page_layout.signature.right)
    return Rect(free.x, top, right - free.x, bottom - top) if bottom > top else None


SIGNATURE_MARGIN_MM = 2.0  # masked around the signature area: a signature overruns its box


def signature_keep_out(page_layout: PageLayout, layout: Layout,
                       s: ReaderSettings) -> tuple[Rect, ...]:
    """Where voters sign, as an archive with signatures masked paints it out: the signature
    zone and the signature area with SIGNATURE_MARGIN_MM around it (none on other pages)."""
    area = page_layout.signature
    if area is None:
        return ()
    m = SIGNATURE_MARGIN_MM
    zone = signature_zone(page_layout, layout, s)
    grown = Rect(area.x - m, area.y - m, area.w + 2 * m, area.h + 2 * m)
    return (grown,) if zone is None else (zone, grown)


GAP_CLEARANCE_MM = 1.0  # the gap between two boxes is measured this far from each outline


def _between(a: Rect, b: Rect) -> Rect:
    """The gap between two boxes of a row, clear of each outline even when the outline was
    found up to ``relocate_mm`` away from the layout."""
    return Rect(a.right + GAP_CLEARANCE_MM, a.y, b.x - a.right - 2 * GAP_CLEARANCE_MM, a.h)


OFF_SCAN_MARGIN_PX = 2  # a box this close to the scan's edge counts as cut off


def _on_scan(page_layout: PageLayout, registration: Registration, size: tuple[int, int]
             ) -> list[list[bool]]:
    """For every box of every row, whether it lies wholly inside the scanned image (W, H):
    one whose corner the scan area cut off has no paper around it to be measured on."""
    corners = np.array([[(b.x, b.y), (b.right, b.y), (b.right, b.bottom), (b.x, b.bottom)]
                        for row in page_layout.rows for b in row.boxes], float)
    if not len(corners):
        return [[] for _ in page_layout.rows]
    x, y = registration.points_px(corners.reshape(-1, 2)).reshape(-1, 4, 2).transpose(2, 0, 1)
    w, h = size
    m = OFF_SCAN_MARGIN_PX
    inside = np.asarray(((x >= m) & (x <= w - 1 - m) & (y >= m) & (y <= h - 1 - m)).all(axis=1))
    flat = iter(inside.tolist())
    return [[next(flat) for _ in row.boxes] for row in page_layout.rows]


def _emptiest(dark: np.ndarray, boxes: tuple, shifts: list[tuple[int, int]],
              surrounds: list[float], inset_mm: float) -> np.ndarray:
    """The interior of the row's box with the least mean darkness (almost certainly empty),
    above the paper around it (``surrounds``: each box's)."""
    interiors = [above_paper(interior(dark, box, shift, inset_mm), surround)
                 for box, shift, surround in zip(boxes, shifts, surrounds)]
    return min(interiors, key=lambda a: float(a.mean()) if a.size else np.inf)


def _rounded(values: list[float], digits: int) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in values)


def _largest_shift_mm(correction: np.ndarray, boxes: list) -> float:
    """How far (mm) an affine correction (registered px) moves any box centre."""
    centres = np.array([b.centre for b in boxes]) * PX_PER_MM
    moved = centres @ correction[:, :2].T + correction[:, 2]
    return float(np.hypot(*(moved - centres).T).max() / PX_PER_MM)


class _Clock:
    """Adds the processor time since the previous lap to ``timings[stage]`` (nothing if timings
    is None): the time this process's threads spent, whatever else the machine runs, so the
    figures are per core even on a busy machine."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.process_time()

    def lap(self, stage: str) -> None:
        if self.timings is not None:
            now = time.process_time()
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
            self.last = now


def _unreadable(reason: str, marks_found: int, ident: dict) -> PageReading:
    return PageReading(PageKind.UNREADABLE, reason=reason, marks_found=marks_found,
                       flags=(Flag.UNREADABLE,), **ident)


def _foreign(reason: str, **ident: object) -> PageReading:
    return PageReading(PageKind.FOREIGN, reason=reason, flags=(Flag.FOREIGN,),
                       **ident)  # type: ignore[arg-type]


DARK_SAMPLE_STEP = 8  # the dark test looks at every 8th pixel of every 8th row


def dark_share(image: np.ndarray, s: ReaderSettings = DEFAULT) -> float:
    """The share of ``image`` ((H, W) uint8) darker than ``s.dark_grey``, from a sample."""
    sample = image[::DARK_SAMPLE_STEP, ::DARK_SAMPLE_STEP]
    return float((sample < s.dark_grey).mean()) if sample.size else 0.0
