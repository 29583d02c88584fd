"""Register a scanned page to its layout: find the registration discs, fit the page transform.

The QR code gives a first guess (its size gives the scale, its corners the rotation, so skew and
upside-down sheets need no special case); each disc is then looked for near where that guess puts
it. Three discs fix an affine transform, four a perspective one (keystone). The fit is checked
against the expected scale, its own residual and the QR code; when anything does not fit, the
result is a :class:`RegistrationFailure` with the reason, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import Layout, PageLayout
from ballotgen.render import qr_modules
from omr.qr import CodeHit

PX_PER_MM = 8.0  # resolution of the registered page (203 dpi): boxes are 60 px wide
SEARCH_RADIUS_MM = 9.0  # how far from the first guess a disc is looked for
SEARCH_RADIUS_NO_CORNERS_MM = 30.0  # … when the QR code gave no corners (pyzbar), so no rotation
MARK_AREA_RANGE = (0.5, 1.7)  # found disc area / expected disc area
MARK_FILL_RANGE = (0.6, 0.92)  # disc area / bounding-box area (π/4 ≈ 0.785 for a disc)
MAX_SCALE_ERROR = 0.08  # the fit's scale vs the QR code's (or the file's dpi)
MAX_ANISOTROPY = 0.04  # |sx/sy - 1|: paper does not stretch more than this
MAX_RESIDUAL_MM = 2.5  # RMS of the four discs around the best affine fit (keystone)
MAX_QR_DISAGREEMENT_MM = 3.0  # the fit must put the QR code where it was found
MIN_MARKS = 1  # with fewer than 3 discs the QR code's corners help, and the box outlines must
#               confirm the fit (see ``read``): a sheet skewed past the scanner's edge still reads


@dataclass(frozen=True)
class Registration:
    """``matrix`` (3 × 3) takes layout millimetres to image pixels."""

    matrix: np.ndarray
    marks_found: int
    residual_mm: float
    upside_down: bool

    @property
    def weak(self) -> bool:
        """Fitted with the QR code's help: fewer than three discs were found."""
        return self.marks_found < 3

    def to_registered(self) -> np.ndarray:
        """The matrix taking image pixels to registered pixels (PX_PER_MM, pixel centres)."""
        return _REGISTERED @ np.linalg.inv(self.matrix)

    def refined(self, correction: np.ndarray) -> Registration:
        """This registration corrected by ``correction`` (2 × 3, registered pixels: where the
        layout's features were found in the page as first registered)."""
        a = np.vstack([correction, [0.0, 0.0, 1.0]])
        matrix = self.matrix @ np.linalg.inv(_REGISTERED) @ a @ _REGISTERED
        return Registration(matrix, self.marks_found, self.residual_mm, self.upside_down)


_REGISTERED = np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]])  # mm → px


@dataclass(frozen=True)
class RegistrationFailure:
    reason: str
    marks_found: int = 0


def register(image: np.ndarray, layout: Layout, page: PageLayout, code: CodeHit,
             dpi: float | None) -> Registration | RegistrationFailure:
    """Find the page transform of ``image`` (H, W) uint8, whose QR code is ``code``."""
    guess, scale = _first_guess(image, layout, page, code, dpi)
    radius_mm = SEARCH_RADIUS_MM if code.corners is not None else SEARCH_RADIUS_NO_CORNERS_MM
    found_mm, found_px = [], []
    for mark in page.marks:
        predicted = _apply(guess, np.array([mark]))[0]
        centre = find_disc(image, predicted, layout.mark_radius * scale, radius_mm * scale)
        if centre is not None:
            found_mm.append(mark)
            found_px.append(centre)
    n = len(found_mm)
    if n < MIN_MARKS or (n < 3 and code.corners is None):
        return RegistrationFailure(f"only {n} of 4 registration marks found", n)
    with_qr = n < 4 and code.corners is not None
    if with_qr:  # the QR code's three finder-pattern corners join the discs
        found_mm += _qr_finder_corners_mm(page, code.text)
        found_px += [tuple(p) for p in code.corners[[0, 1, 3]]]
    src, dst = np.float64(found_mm), np.float64(found_px)
    affine, residual_px = _affine_fit(src, dst)
    if n == 4 or (n == 3 and with_qr):  # perspective (keystone): 4 discs, or 3 and the QR corners
        matrix = cv2.findHomography(src, dst, 0)[0]
        residual_px = _residual(matrix, src, dst) if n == 3 else residual_px
    else:
        matrix = np.vstack([affine, [0.0, 0.0, 1.0]])
    sx = np.hypot(*affine[:, 0])
    sy = np.hypot(*affine[:, 1])
    if abs(sx / scale - 1) > MAX_SCALE_ERROR or abs(sy / scale - 1) > MAX_SCALE_ERROR:
        return RegistrationFailure(f"the marks give {sx / scale:.2f}× the expected scale", n)
    if abs(sx / sy - 1) > MAX_ANISOTROPY:
        return RegistrationFailure("the marks are not where an undistorted page puts them", n)
    residual_mm = residual_px / sx
    if residual_mm > MAX_RESIDUAL_MM:
        return RegistrationFailure(f"the marks fit the page with a {residual_mm:.1f} mm error", n)
    qr_mm = np.array([page.qr.centre])
    disagreement = np.hypot(*(_apply(matrix, qr_mm)[0] - code.centre)) / sx
    if disagreement > MAX_QR_DISAGREEMENT_MM:
        return RegistrationFailure(f"the marks and the QR code disagree by {disagreement:.1f} mm", n)
    angle = np.degrees(np.arctan2(affine[1, 0], affine[0, 0]))
    return Registration(matrix, n, round(float(residual_mm), 3), bool(abs(angle) > 90))


def warp(image: np.ndarray, registration: Registration, layout: Layout) -> np.ndarray:
    """The page resampled into layout coordinates at PX_PER_MM: (H, W) uint8."""
    size = (int(round(layout.width * PX_PER_MM)), int(round(layout.height * PX_PER_MM)))
    return cv2.warpPerspective(image, registration.to_registered(), size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=255)


def find_disc(image: np.ndarray, near: np.ndarray, radius_px: float,
              search_px: float) -> tuple[float, float] | None:
    """Centre (x, y) of the solid dark disc of ``radius_px`` nearest to ``near``, or None.

    Looks within ``search_px`` of ``near``; a candidate must have the area, the roundness and the
    fill of a disc, so ink strokes, stamps, QR modules and the dark scanner edge are passed over.
    """
    h, w = image.shape
    x0, y0 = int(max(near[0] - search_px, 0)), int(max(near[1] - search_px, 0))
    x1, y1 = int(min(near[0] + search_px, w)), int(min(near[1] + search_px, h))
    if x1 - x0 < 2 * radius_px or y1 - y0 < 2 * radius_px:
        return None
    window = image[y0:y1, x0:x1]
    _, binary = cv2.threshold(window, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Detach speckle and thin strokes touching the disc; the disc itself survives the opening.
    k = max(3, int(radius_px / 3) | 1)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    count, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    expected_area = np.pi * radius_px**2
    best, best_distance = None, np.inf
    for i in range(1, count):
        x, y, bw, bh, area = stats[i]
        if not MARK_AREA_RANGE[0] <= area / expected_area <= MARK_AREA_RANGE[1]:
            continue
        if not 0.75 <= bw / bh <= 1.33 or not MARK_FILL_RANGE[0] <= area / (bw * bh) <= MARK_FILL_RANGE[1]:
            continue
        if x == 0 or y == 0 or x + bw >= window.shape[1] or y + bh >= window.shape[0]:
            continue  # cut by the window (or the scanner's edge): its centre would be wrong
        centre = centroids[i] + (x0, y0)
        distance = np.hypot(*(centre - near))
        if distance < best_distance:
            best, best_distance = centre, distance
    return (float(best[0]), float(best[1])) if best is not None else None


def _first_guess(image: np.ndarray, layout: Layout, page: PageLayout, code: CodeHit,
                 dpi: float | None) -> tuple[np.ndarray, float]:
    """A similarity transform (mm → px) from the QR code, and the scale in px per mm."""
    if code.corners is not None:
        modules = len(qr_modules(code.text))
        symbol_mm = page.qr.w * modules / (modules + 8)  # the quiet zone is 4 modules each side
        top = code.corners[1] - code.corners[0]
        left = code.corners[3] - code.corners[0]
        scale = (np.hypot(*top) + np.hypot(*left)) / 2 / symbol_mm
        angle = np.arctan2(top[1], top[0])
    else:
        scale = (dpi / 25.4) if dpi else image.shape[1] / layout.width
        upside_down = code.centre[1] > image.shape[0] / 2
        angle = np.pi if upside_down else 0.0
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    rotation = np.array([[c, -s], [s, c]])
    qr_centre_mm = np.array(page.qr.centre)
    shift = np.array(code.centre) - rotation @ qr_centre_mm
    return np.vstack([np.column_stack([rotation, shift]), [0, 0, 1]]), float(scale)


def _qr_finder_corners_mm(page: PageLayout, text: str) -> list[tuple[float, float]]:
    """Layout positions of the QR symbol's top-left, top-right and bottom-left corners."""
    modules = len(qr_modules(text))
    module = page.qr.w / (modules + 8)
    x0, y0 = page.qr.x + 4 * module, page.qr.y + 4 * module
    size = modules * module
    return [(x0, y0), (x0 + size, y0), (x0, y0 + size)]


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return pts[:, :2] / pts[:, 2:3]


def _residual(matrix: np.ndarray, src: np.ndarray, dst: np.ndarray) -> float:
    """RMS distance between ``matrix`` applied to ``src`` and ``dst``."""
    return float(np.sqrt(((_apply(matrix, src) - dst) ** 2).sum(axis=1).mean()))


def _affine_fit(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares affine (2 × 3) from ``src`` to ``dst`` and its RMS residual (dst units)."""
    a = np.column_stack([src, np.ones(len(src))])
    solution, *_ = np.linalg.lstsq(a, dst, rcond=None)
    residual = a @ solution - dst
    return solution.T, float(np.sqrt((residual**2).sum(axis=1).mean()))
