"""Images for the people who review: a page as printed (registered), crops of its boxes, and
its header in colour (the red stamp).

A page the reader could register is shown in layout coordinates, so the review page can outline
every box exactly where the layout puts it (in millimetres × ``px_per_mm``). A page it could not
register (foreign, unreadable) is shown as scanned, scaled to an A4 width.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import Layout, PageLayout, Rect
from ballotgen.vocabulary import PageKind
from omr.load import PageImage
from omr.read import SIGNATURE_MARGIN_MM, Context, Located, locate, signature_zone
from omr.reading import PageReading
from omr.register import PX_PER_MM, Registration, warp
from omr.stamp import header_view, to_colour_copy

REVIEW_PX_PER_MM = 5.0  # 1050 px across an A4 page: boxes and names are easy to read
CROP_MARGIN_MM = 1.5  # around a box in the gallery, so the printed outline is visible


@dataclass(frozen=True)
class ReviewImage:
    image: np.ndarray  # (H, W) uint8 grey
    registered: bool  # True: layout coordinates; a point (x, y) mm is at (x, y) × px_per_mm
    px_per_mm: float


@dataclass(frozen=True)
class Placed:
    """Where a page lies: the transform of its layout page onto the image."""

    layout: Layout
    page_layout: PageLayout
    registration: Registration


def place(page: PageImage, ctx: Context, reading: PageReading | None = None) -> Placed | None:
    """Where ``page`` lies, from the transform its ``reading`` kept when it was read; a page
    whose reading kept none (not a ballot page, or read by an earlier version) is registered
    again. None when it cannot be placed (foreign, unreadable, blank)."""
    if reading is not None and reading.kind == PageKind.BALLOT and reading.transform and \
            reading.page and reading.layout_hash in ctx.layouts:
        layout = ctx.layouts[reading.layout_hash]
        matrix = np.array(reading.transform, dtype=float).reshape(3, 3)
        registration = Registration(matrix, reading.marks_found,
                                    reading.registration_error_mm or 0.0, reading.upside_down)
        return Placed(layout, layout.pages[reading.page - 1], registration)
    located = locate(page, ctx)
    if isinstance(located, Located):
        return Placed(located.layout, located.page_layout, located.registration)
    return None


def review_image(page: PageImage, ctx: Context,
                 reading: PageReading | None = None) -> ReviewImage:
    """``page`` as the reviewer should see it (see the module docstring), placed with its
    ``reading``'s transform when it kept one."""
    placed = place(page, ctx, reading)
    if placed is not None:
        registered = warp(page.image, placed.registration, placed.layout)
        scale = REVIEW_PX_PER_MM / PX_PER_MM
        image = cv2.resize(registered, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return ReviewImage(image, True, REVIEW_PX_PER_MM)
    h, w = page.image.shape
    scale = min(1.0, 210.0 * REVIEW_PX_PER_MM / max(w, 1))
    image = cv2.resize(page.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1.0 else page.image
    return ReviewImage(np.ascontiguousarray(image), False, w * scale / 210.0)


def stamp_view(page: PageImage, ctx: Context,
               reading: PageReading | None = None) -> np.ndarray | None:
    """The header of a ballot page scanned in colour, registered, at REVIEW_PX_PER_MM: (H, W, 3)
    uint8 BGR, so the reviewer sees the red stamp (or its absence); None for a page without
    colour or that cannot be placed (see :func:`place`)."""
    if page.colour is None:
        return None
    placed = place(page, ctx, reading)
    if placed is None:
        return None
    return header_view(page.colour, to_colour_copy(page, placed.registration), placed.layout,
                       placed.page_layout, px_per_mm=REVIEW_PX_PER_MM)


def box_crop(image: np.ndarray, px_per_mm: float, box: Rect, *,
             margin_mm: float = CROP_MARGIN_MM) -> np.ndarray:
    """The box ``box`` (mm) of a registered review image, with a margin: (h, w) uint8."""
    x0 = max(0, int(round((box.x - margin_mm) * px_per_mm)))
    y0 = max(0, int(round((box.y - margin_mm) * px_per_mm)))
    x1 = min(image.shape[1], int(round((box.right + margin_mm) * px_per_mm)))
    y1 = min(image.shape[0], int(round((box.bottom + margin_mm) * px_per_mm)))
    return image[y0:y1, x0:x1]




def mask_signature(page: PageImage, ctx: Context,
                   reading: PageReading | None = None) -> tuple[np.ndarray, bool]:
    """``page`` with the places voters sign painted white, and whether there were any.

    A signature identifies the voter; exports can leave it out. Voters sign in the signature
    area and anywhere in the lower part of the last page, so the whole signature zone the
    reader ignores is masked (``read.signature_zone``), and the page reads the same after. It
    is placed with the transform the page's ``reading`` kept (or by registering it again), so
    it is masked wherever the sheet lay on the scanner.
    """
    placed = place(page, ctx, reading)
    if placed is None or placed.page_layout.signature is None:
        return page.image, False
    masked = page.image.copy()
    zone = signature_zone(placed.page_layout, placed.layout, ctx.settings)
    # The signature area with a margin (a signature overruns its box); the zone as it is (its
    # sides are the content margins, clear of the registration discs).
    for r, m in ((placed.page_layout.signature, SIGNATURE_MARGIN_MM), (zone, 0.0)):
        if r is None:
            continue
        polygon = placed.registration.corners_px(r, m).round().astype(np.int32)
        cv2.fillPoly(masked, [polygon], 255)
    return masked, True
