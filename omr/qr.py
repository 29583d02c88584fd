"""Decode the QR code of a ballot page: zxing-cpp first, pyzbar as the second opinion.

zxing-cpp is the most robust and about ten times faster (measured on degraded ballot pages);
pyzbar (libzbar0) is asked only when zxing-cpp finds nothing, and is optional at run time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import zxingcpp


@functools.lru_cache(maxsize=1)
def _pyzbar():  # noqa: ANN202 - returns pyzbar.decode or None
    try:
        from pyzbar.pyzbar import decode
    except ImportError:  # libzbar0 missing: zxing-cpp alone
        return None
    return decode


@dataclass(frozen=True)
class CodeHit:
    """A decoded QR code and where it is. ``corners`` (4, 2) are the symbol's own top-left,
    top-right, bottom-right and bottom-left corners in image pixels (None from pyzbar, which
    gives the symbol's outline but not which corner is which: then ``side_px`` is the mean side
    of that outline, so the page's resolution is still measured on the code)."""

    text: str
    centre: tuple[float, float]
    corners: np.ndarray | None
    side_px: float | None = None


QR_CODES = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)  # what zxing-cpp looks for
CORNER_CROP = (0.45, 0.3)  # width and height fractions of the page searched first in each corner


def find_code(image: np.ndarray) -> CodeHit | None:
    """Find the ballot's QR code: in each corner crop first (cheap; the code is top-right on an
    upright page, bottom-left on an upside-down one), then on the whole page.

    Parameters
    ----------
    image : (H, W) uint8
    """
    hit = code_in_corners(image, CORNERS)
    if hit:
        return hit
    hit = _zxing(image, (0, 0))
    if hit:
        return hit
    hits = _pyzbar_codes(image)
    return hits[0] if hits else None


CORNERS = ("top right", "bottom left", "top left", "bottom right")
USUAL_CORNERS = CORNERS[:2]  # where the code is on an upright and on an upside-down page


SQUARE_RATIO = 1.1  # an image this close to square does not tell which side is the short one


def mirrored(corners: np.ndarray, shape: tuple[int, int]) -> bool:
    """Whether a symbol found with ``corners`` (4, 2: top left, top right, …) in a page of
    ``shape`` (H, W) is mirrored: the front of a sheet seen through its back.

    zxing-cpp decodes a mirrored symbol as the transposed one, so its corners keep their turn;
    but the code's top edge runs along the sheet's short side (portrait sheets), which is the
    image's shorter side whichever way the sheet lay. Along the longer side, it is mirrored. On
    an image nearly square (``SQUARE_RATIO``) this cannot be told, and the code counts."""
    h, w = shape
    if max(h, w) < SQUARE_RATIO * min(h, w):
        return False
    (tlx, tly), (trx, try_) = corners[0], corners[1]
    along_x = abs(trx - tlx) >= abs(try_ - tly)
    return along_x != (h > w)


def code_in_corners(image: np.ndarray, corners: tuple[str, ...] = USUAL_CORNERS
                    ) -> CodeHit | None:
    """The ballot's QR code when zxing finds it, not mirrored, in one of the ``corners`` crops
    (CORNER_CROP) of ``image`` (H, W) uint8, tried in that order; None otherwise. (A mirrored
    code is the front of a sheet showing through its back.)"""
    h, w = image.shape
    cw, ch = int(w * CORNER_CROP[0]), int(h * CORNER_CROP[1])
    origins = {"top right": (w - cw, 0), "bottom left": (0, h - ch), "top left": (0, 0),
               "bottom right": (w - cw, h - ch)}
    for corner in corners:
        x0, y0 = origins[corner]
        hit = _zxing(image[y0:y0 + ch, x0:x0 + cw], (x0, y0))
        if hit and not (hit.corners is not None and mirrored(hit.corners, (h, w))):
            return hit
    return None


def _pyzbar_codes(image: np.ndarray) -> list[CodeHit]:
    """QR codes found by pyzbar, the second opinion (none when libzbar0 is missing)."""
    pyzbar_decode = _pyzbar()
    if pyzbar_decode is None or image.size == 0:
        return []
    return [CodeHit(r.data.decode("ascii", "replace"),
                    (r.rect.left + r.rect.width / 2, r.rect.top + r.rect.height / 2), None,
                    _mean_side(r.polygon))
            for r in pyzbar_decode(image) if r.type == "QRCODE"]


def _mean_side(polygon: list) -> float | None:
    """Mean side (px) of a symbol's outline of four points, in whatever order round it."""
    if len(polygon) != 4:
        return None
    points = np.array([(p.x, p.y) for p in polygon], float)
    return float(np.hypot(*(np.roll(points, -1, axis=0) - points).T).mean())


def _zxing(crop: np.ndarray, offset: tuple[int, int]) -> CodeHit | None:
    if crop.size == 0 or int(crop.max()) == int(crop.min()):
        return None
    for barcode in zxingcpp.read_barcodes(np.ascontiguousarray(crop),
                                          formats=QR_CODES):
        if barcode.valid:
            p = barcode.position
            corners = np.array([[p.top_left.x, p.top_left.y], [p.top_right.x, p.top_right.y],
                                [p.bottom_right.x, p.bottom_right.y],
                                [p.bottom_left.x, p.bottom_left.y]], float) + offset
            centre = corners.mean(axis=0)
            return CodeHit(barcode.text, (float(centre[0]), float(centre[1])), corners)
    return None
