"""Measure new ink on a registered page: raw numbers only (no decisions, see ``decide``).

All functions take the page registered to its layout at ``PX_PER_MM`` (``register.warp``).
*Darkness* is normalised per page: 0 is the local paper (so uneven lighting and paper tone cancel
out), 1 the black of the registration discs. *New ink* is darkness where the blank ballot is
white: the printed outline of a box, the printed name and the table rules never count.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium

from ballotgen.layout import Layout, PageLayout, Rect
from ballotgen.render import Batch, render_pdf
from omr.register import PX_PER_MM

PAPER_WINDOW_MM = 14  # paper level = brightest nearby within this window (wider than a filled box)
BOX_INSET_MM = 0.55  # box interior starts this far inside the printed outline's centre line
REFINE_REACH_MM = 1.8  # box outlines are first looked for this far from where registration puts them
REFINE_TOLERANCE_MM = 0.4  # outlines this close to the fitted correction agree with it
RELOCATE_MM = 0.5  # then each box is looked for this far around the corrected position
INK_DARKNESS = 0.45  # darkness above which a pixel counts as ink for areas (mm²)
REFERENCE_GROW_MM = 0.25  # printed ink of the blank ballot is grown by this much (after alignment)
CELL_MARGIN_MM = 0.8  # new ink this close to a cell's rules is ignored
ALIGN_REACH_MM = 2.0  # a cell's print is matched to the blank ballot this far around


def darkness(page: np.ndarray, layout: Layout, page_layout: PageLayout) -> np.ndarray:
    """Normalised darkness (H, W) float32 in 0..1 of a registered page (H, W) uint8.

    A 3 × 3 median first removes scanner speckle (isolated pixels) but keeps pen strokes.
    """
    page = cv2.medianBlur(page, 3)
    small = cv2.resize(page, None, fx=1 / PX_PER_MM, fy=1 / PX_PER_MM, interpolation=cv2.INTER_AREA)
    kernel = np.ones((PAPER_WINDOW_MM, PAPER_WINDOW_MM), np.uint8)
    paper_small = cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), 3)
    paper = cv2.resize(paper_small, (page.shape[1], page.shape[0]),
                       interpolation=cv2.INTER_LINEAR).astype(np.float32)
    black = _black_level(page, layout, page_layout)
    span = np.maximum(paper - black, 40.0)  # never divide by a tiny contrast
    return np.clip((paper - page.astype(np.float32)) / span, 0.0, 1.0)


def _black_level(page: np.ndarray, layout: Layout, page_layout: PageLayout) -> float:
    """Grey level of printed black: the median inside the registration discs."""
    r = int(layout.mark_radius * PX_PER_MM * 0.6)
    values = []
    for x, y in page_layout.marks:
        cx, cy = int(x * PX_PER_MM), int(y * PX_PER_MM)
        patch = page[max(cy - r, 0):cy + r, max(cx - r, 0):cx + r]
        if patch.size:
            values.append(float(np.median(patch)))
    return float(np.median(values)) if values else 0.0


def _px(rect: Rect, inset_mm: float = 0.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixel bounds of ``rect`` shrunk by ``inset_mm``."""
    return (int(round((rect.x + inset_mm) * PX_PER_MM)), int(round((rect.y + inset_mm) * PX_PER_MM)),
            int(round((rect.right - inset_mm) * PX_PER_MM)),
            int(round((rect.bottom - inset_mm) * PX_PER_MM)))


EXTENT_DARKNESS = 0.12  # pixels lighter than this never count towards a mark's extent


@dataclass(frozen=True)
class BoxScore:
    score: float  # mean darkness of the interior: 0 empty … 1 filled black
    extent_mm: float  # the larger side of the box around the ink in the interior


def find_outline(dark: np.ndarray, box: Rect, line_mm: float, *, around: tuple[int, int] = (0, 0),
                 reach_mm: float = RELOCATE_MM) -> tuple[int, int]:
    """Shift (dx, dy) in pixels, within ``reach_mm`` of ``around``, that best fits the printed
    outline of ``box``: the ring along its edges darkest against the inside of the box."""
    pad = int(np.ceil(reach_mm * PX_PER_MM))
    line = max(1, int(round(line_mm * PX_PER_MM)))  # ring a little wider than the outline
    x0, y0, x1, y1 = _px(box)
    w, h = x1 - x0, y1 - y0
    x0, y0 = x0 + around[0], y0 + around[1]
    margin = pad + line + 1
    wx0, wy0 = max(x0 - margin, 0), max(y0 - margin, 0)
    window = dark[wy0:y0 + h + margin + 1, wx0:x0 + w + margin + 1]
    integral = cv2.integral(window.astype(np.float64))
    dy, dx = np.mgrid[-pad:pad + 1, -pad:pad + 1].reshape(2, -1)
    ax, ay = x0 - wx0 + dx - line, y0 - wy0 + dy - line  # outer corner of the ring per shift
    ok = (ax >= 0) & (ay >= 0) & (ax + w + 2 * line < integral.shape[1]) & \
        (ay + h + 2 * line < integral.shape[0])
    dx, dy, ax, ay = dx[ok], dy[ok], ax[ok], ay[ok]
    if not dx.size:
        return around
    outer = _sums(integral, ax, ay, w + 2 * line, h + 2 * line)
    inner = _sums(integral, ax + 2 * line, ay + 2 * line, w - 2 * line, h - 2 * line)
    inner_area = (w - 2 * line) * (h - 2 * line)
    ring_area = (w + 2 * line) * (h + 2 * line) - inner_area
    # A dark ring around a lighter inside: the outline, not a row rule or a heavy mark beside it.
    contrast = (outer - inner) / ring_area - inner / inner_area
    contrast -= 0.002 * (np.abs(dx) + np.abs(dy))  # on a tie, prefer where we were told to look
    best = int(np.argmax(contrast))
    return (around[0] + int(dx[best]), around[1] + int(dy[best]))


def outline_correction(dark: np.ndarray, boxes: list[Rect],
                       line_mm: float) -> tuple[np.ndarray | None, float]:
    """How the printed box outlines sit relative to the layout: an affine correction (2 × 3,
    registered pixels, layout → found) and the fraction of outlines that agree with it.

    Each outline is looked for within REFINE_REACH_MM; the correction is fitted to all of them
    with RANSAC, so a box under a heavy mark cannot pull it.
    """
    if len(boxes) < 6:
        return None, 1.0
    found = np.array([find_outline(dark, b, line_mm, reach_mm=REFINE_REACH_MM) for b in boxes], float)
    centres = np.array([b.centre for b in boxes]) * PX_PER_MM
    model, inliers = cv2.estimateAffine2D(centres, centres + found, method=cv2.RANSAC,
                                          ransacReprojThreshold=REFINE_TOLERANCE_MM * PX_PER_MM)
    if model is None or inliers is None:
        return None, 0.0
    return model, float(inliers.mean())


def box_score(dark: np.ndarray, box: Rect, shift: tuple[int, int]) -> BoxScore:
    """New ink inside ``box`` whose outline is at ``shift`` (pixels) from the layout."""
    x0, y0, x1, y1 = _px(box, BOX_INSET_MM)
    interior = dark[max(y0 + shift[1], 0):y1 + shift[1], max(x0 + shift[0], 0):x1 + shift[0]]
    if not interior.size:
        return BoxScore(0.0, 0.0)
    # The extent counts pixels darker than half the mark's own (near-)maximum: a pen's blurred
    # halo is left out, and a light pencil stroke still counts.
    inked = interior > max(EXTENT_DARKNESS, 0.5 * float(np.percentile(interior, 99.5)))
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) / PX_PER_MM if rows.size else 0.0
    return BoxScore(float(interior.mean()), float(extent))


def _sums(integral: np.ndarray, x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Sums of the w × h rectangles at (x, y) (arrays) from an integral image."""
    return integral[y + h, x + w] - integral[y, x + w] - integral[y + h, x] + integral[y, x]


def new_ink_mm2(dark: np.ndarray, reference: Reference, rect: Rect, *,
                margin_mm: float = CELL_MARGIN_MM, exclude: Rect | None = None) -> float:
    """Area of new ink inside ``rect`` (less ``margin_mm`` at its edges, less ``exclude``): ink on
    the scan where the blank ballot is white, after aligning the two locally (ALIGN_REACH_MM)
    so that printed text a little off its place after registration is not taken for new ink."""
    x0, y0, x1, y1 = _px(rect, margin_mm)
    x0, y0 = max(x0, 0), max(y0, 0)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    dx, dy = _align(dark, reference.darkness, (x0, y0, x1, y1))
    scan = dark[y0 + dy:y1 + dy, x0 + dx:x1 + dx] > INK_DARKNESS
    ink = scan & ~reference.printed[y0:y0 + scan.shape[0], x0:x0 + scan.shape[1]]
    if exclude is not None:
        ex0, ey0, ex1, ey1 = _px(exclude)
        ink[max(ey0 - y0, 0):max(ey1 - y0, 0), max(ex0 - x0, 0):max(ex1 - x0, 0)] = False
    return float(ink.sum()) / PX_PER_MM**2


def _align(dark: np.ndarray, reference: np.ndarray, bounds: tuple[int, int, int, int]) -> tuple[int, int]:
    """Shift (dx, dy) of the scan that best matches the blank ballot's print within ``bounds``."""
    x0, y0, x1, y1 = bounds
    template = reference[y0:y1, x0:x1]
    reach = int(ALIGN_REACH_MM * PX_PER_MM)
    if template.std() < 0.05 or y0 < reach or x0 < reach:
        return (0, 0)  # nothing printed to align on (a free area), or at the page's edge
    window = dark[y0 - reach:y1 + reach, x0 - reach:x1 + reach]
    if window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1]:
        return (0, 0)
    match = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _, _, _, (bx, by) = cv2.minMaxLoc(match)
    return (bx - reach, by - reach)


@dataclass(frozen=True)
class Reference:
    """The blank ballot page at PX_PER_MM: its darkness (H, W) float32, and where it has printed
    ink, grown by REFERENCE_GROW_MM (H, W) bool."""

    darkness: np.ndarray
    printed: np.ndarray


_REFERENCES: dict[tuple[str, int], Reference] = {}


def blank_reference(layout: Layout, page_index: int) -> Reference:
    """The blank ballot page, rendered once per layout page and process."""
    key = (layout.hash, page_index)
    if key not in _REFERENCES:
        _REFERENCES[key] = _render_reference(layout, page_index)
    return _REFERENCES[key]


_REFERENCE_KEY = bytes(32)  # the reference ballot's QR code is never looked at


def _render_reference(layout: Layout, page_index: int) -> np.ndarray:
    pdf = render_pdf(layout, Batch("AAAAAAAAAA", 1, None), _REFERENCE_KEY)
    document = pdfium.PdfDocument(pdf)
    grey = document[page_index].render(scale=PX_PER_MM * 25.4 / 72, grayscale=True).to_numpy()
    size = (int(round(layout.width * PX_PER_MM)), int(round(layout.height * PX_PER_MM)))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA) if grey.shape[::-1] != size else grey
    grow = int(round(REFERENCE_GROW_MM * PX_PER_MM)) * 2 + 1
    printed = cv2.dilate((grey < 200).astype(np.uint8), np.ones((grow, grow), np.uint8))
    return Reference((1.0 - grey.astype(np.float32) / 255.0), printed.astype(bool))
