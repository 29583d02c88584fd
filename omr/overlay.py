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

from ballotgen.layout import Rect
from omr.load import PageImage
from omr.read import Context, Located, locate, signature_zone
from omr.register import PX_PER_MM, warp
from omr.stamp import header_view, to_colour_copy

REVIEW_PX_PER_MM = 5.0  # 1050 px across an A4 page: boxes and names are easy to read
CROP_MARGIN_MM = 1.5  # around a box in the gallery, so the printed outline is visible


@dataclass(frozen=True)
class ReviewImage:
    image: np.ndarray  # (H, W) uint8 grey
    registered: bool  # True: layout coordinates; a point (x, y) mm is at (x, y) × px_per_mm
    px_per_mm: float


def review_image(page: PageImage, ctx: Context) -> ReviewImage:
    """``page`` as the reviewer should see it (see the module docstring)."""
    located = locate(page, ctx)
    if isinstance(located, Located):
        registered = warp(page.image, located.registration, located.layout)
        scale = REVIEW_PX_PER_MM / PX_PER_MM
        image = cv2.resize(registered, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return ReviewImage(image, True, REVIEW_PX_PER_MM)
    h, w = page.image.shape
    scale = min(1.0, 210.0 * REVIEW_PX_PER_MM / max(w, 1))
    image = cv2.resize(page.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1.0 else page.image
    return ReviewImage(np.ascontiguousarray(image), False, w * scale / 210.0)


def stamp_view(page: PageImage, ctx: Context) -> np.ndarray | None:
    """The header of a ballot page scanned in colour, registered, at REVIEW_PX_PER_MM: (H, W, 3)
    uint8 BGR, so the reviewer sees the red stamp (or its absence); None for a page without
    colour or that cannot be registered."""
    if page.colour is None:
        return None
    located = locate(page, ctx)
    if not isinstance(located, Located):
        return None
    return header_view(page.colour, to_colour_copy(page, located.registration), located.layout,
                       located.page_layout, px_per_mm=REVIEW_PX_PER_MM)


def box_crop(image: np.ndarray, px_per_mm: float, box: Rect, *,
             margin_mm: float = CROP_MARGIN_MM) -> np.ndarray:
    """The box ``box`` (mm) of a registered review image, with a margin: (h, w) uint8."""
    x0 = max(0, int(round((box.x - margin_mm) * px_per_mm)))
    y0 = max(0, int(round((box.y - margin_mm) * px_per_mm)))
    x1 = min(image.shape[1], int(round((box.right + margin_mm) * px_per_mm)))
    y1 = min(image.shape[0], int(round((box.bottom + margin_mm) * px_per_mm)))
    return image[y0:y1, x0:x1]


SIGNATURE_MARGIN_MM = 2.0  # masked around the signature area: a signature overruns its box


def mask_signature(page: PageImage, ctx: Context) -> tuple[np.ndarray, bool]:
    """``page`` with the places voters sign painted white, and whether there were any.

    A signature identifies the voter; exports can leave it out. Voters sign in the signature
    area and anywhere in the lower part of the last page, so the whole signature zone the
    reader ignores is masked (``read.signature_zone``), and the page reads the same after. It
    is found by registering the page, so it is masked wherever the sheet lay on the scanner.
    """
    located = locate(page, ctx)
    if not isinstance(located, Located) or located.page_layout.signature is None:
        return page.image, False
    masked = page.image.copy()
    zone = signature_zone(located.page_layout, located.layout, ctx.settings)
    # The signature area with a margin (a signature overruns its box); the zone as it is (its
    # sides are the content margins, clear of the registration discs).
    for r, m in ((located.page_layout.signature, SIGNATURE_MARGIN_MM), (zone, 0.0)):
        if r is None:
            continue
        polygon = located.registration.corners_px(r, m).round().astype(np.int32)
        cv2.fillPoly(masked, [polygon], 255)
    return masked, True
