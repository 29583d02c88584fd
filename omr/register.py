"""Register a scanned page to its layout: find the registration discs, fit the page transform.

The QR code gives a first guess (its size gives the scale, its corners the rotation, so skew and
upside-down sheets need no special case); each disc is then looked for near where that guess puts
it. Three discs fix an affine transform, four a perspective one (keystone).

When fewer than three discs are found (a corner cut off by the scan area, a skewed sheet), or
their fit fails, the page is placed from its printed table instead: the box outlines and the
table's cells, a far larger target than four discs, are looked for around the QR code's guess and
an affine transform is fitted to the many that agree (``omr.table``); the discs found join in.

Every fit is checked against the expected scale, the paper's anisotropy, its own residual and the
QR code; when the discs fail and the table cannot be placed either, the result is a
:class:`RegistrationFailure` with the reason, never a guess and never an exception. The limits
applied are the reader's settings (``omr.settings.ReaderSettings``, its registration section), so
an audit re-registers a page with the limits it was first read with.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import QR_QUIET_MODULES, Layout, PageLayout, Rect, qr_module_mm
from ballotgen.render import qr_modules
from omr.qr import CodeHit
from omr.settings import ReaderSettings

# Resolutions and search strategy: how the page is looked at, not what is accepted. The limits
# (search radii, disc shape, fit checks, the table's reach and agreement) are ReaderSettings.
PX_PER_MM = 8.0  # resolution of the registered page (203 dpi): boxes are 60 px wide
TABLE_COARSE_ROWS = 4  # placing the page from its table, the boxes of this many rows, spread
#                        over the table, are looked for first (searching far is slow); then the
#                        other boxes and every table cell near where those put them
SKEW_STEP_NO_CORNERS_DEG = 0.25  # without the QR code's corners (pyzbar) the skew is looked for
SKEW_PX_PER_MM = 2.0  # in these steps, on the table's rules resampled at this resolution
#                       (omr.table.find_skew; how far: ReaderSettings.max_skew_no_corners_deg)


@dataclass(frozen=True)
class Registration:
    """``matrix`` (3 × 3) takes layout millimetres to image pixels."""

    matrix: np.ndarray
    marks_found: int
    residual_mm: float
    upside_down: bool
    discs: tuple[tuple[float, float], ...] = ()  # layout positions of the discs the fit used

    @property
    def weak(self) -> bool:
        """Fewer than three discs in the fit: the printed table placed the page."""
        return self.marks_found < 3

    def to_registered(self) -> np.ndarray:
        """The matrix taking image pixels to registered pixels (PX_PER_MM, pixel centres)."""
        return _REGISTERED @ np.linalg.inv(self.matrix)

    def corners_px(self, rect: Rect, margin_mm: float = 0.0) -> np.ndarray:
        """Where the corners of ``rect`` (layout mm, grown by ``margin_mm``) fall in the
        image: (4, 2) pixels, clockwise from the top left."""
        x0, y0, x1, y1 = rect.x - margin_mm, rect.y - margin_mm, rect.right + margin_mm, \
            rect.bottom + margin_mm
        return _apply(self.matrix, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))

    def points_px(self, points_mm) -> np.ndarray:
        """Where ``points_mm`` (layout mm) fall in the image: (N, 2) pixels."""
        return _apply(self.matrix, np.asarray(points_mm, float).reshape(-1, 2))

    def refined(self, correction: np.ndarray) -> Registration:
        """This registration corrected by ``correction`` (2 × 3, registered pixels: where the
        layout's features were found in the page as first registered)."""
        a = np.vstack([correction, [0.0, 0.0, 1.0]])
        matrix = self.matrix @ np.linalg.inv(_REGISTERED) @ a @ _REGISTERED
        return Registration(matrix, self.marks_found, self.residual_mm, self.upside_down,
                            self.discs)


_REGISTERED = np.array([[PX_PER_MM, 0, -0.5], [0, PX_PER_MM, -0.5], [0, 0, 1]])  # mm → px


@dataclass(frozen=True)
class RegistrationFailure:
    reason: str
    marks_found: int = 0


def register(image: np.ndarray, layout: Layout, page: PageLayout, code: CodeHit,
             dpi: float | None, settings: ReaderSettings) -> Registration | RegistrationFailure:
    """Find the page transform of ``image`` (H, W) uint8, whose QR code is ``code``, within the
    registration limits of ``settings``.

    Three or four discs fix the transform. With fewer, or when their fit fails its checks, the
    page is placed from its printed table (:func:`omr.table.find_table`), the discs found
    joining in. When that fails too and the code's corners were used for the first guess, the
    page is placed once more from the code's centre and size alone, the skew taken from the
    table's rules: a code whose corners were found a few degrees off (a smudged or warped
    symbol) must not lose a page whose discs and table are plain to see.
    """
    found = _register(image, layout, page, code, dpi, settings)
    if isinstance(found, Registration) or code.corners is None:
        return found
    sides = np.roll(code.corners, -1, axis=0) - code.corners
    by_centre = _register(image, layout, page,
                          CodeHit(code.text, code.centre, None,
                                  side_px=float(np.hypot(*sides.T).mean())), dpi, settings)
    return by_centre if isinstance(by_centre, Registration) else found


def _register(image: np.ndarray, layout: Layout, page: PageLayout, code: CodeHit,
              dpi: float | None, settings: ReaderSettings) -> Registration | RegistrationFailure:
    s = settings
    guess, scale = _first_guess(image, layout, page, code, dpi)
    radius_mm = s.search_radius_mm if code.corners is not None else s.search_radius_no_corners_mm
    found_mm, found_px = [], []
    for mark in page.marks:
        predicted = _apply(guess, np.array([mark]))[0]
        centre = find_disc(image, predicted, layout.mark_radius * scale, radius_mm * scale,
                           area_range=(s.mark_area_min, s.mark_area_max),
                           aspect_range=(s.mark_aspect_min, s.mark_aspect_max),
                           fill_range=(s.mark_fill_min, s.mark_fill_max), mend=s.mark_mend)
        if centre is not None:
            found_mm.append(mark)
            found_px.append(centre)
    n = len(found_mm)
    if n >= 3:
        by_discs = _disc_fit(found_mm, found_px, page, code, scale, s)
        if isinstance(by_discs, Registration):
            return by_discs
        discs_failed = by_discs.reason
    else:
        discs_failed = f"only {n} of 4 registration marks found"
    by_table = _table_fit(image, layout, page, code, guess, scale, found_mm, found_px, s)
    if isinstance(by_table, Registration):
        return by_table
    return RegistrationFailure(f"{discs_failed}, and {by_table}", n)


def _disc_fit(found_mm: list, found_px: list, page: PageLayout, code: CodeHit,
              scale: float, s: ReaderSettings) -> Registration | RegistrationFailure:
    """The transform fixed by four discs, or three and the QR code's corners (perspective:
    keystone), or three alone (affine), checked."""
    n = len(found_mm)
    with_qr = n == 3 and code.corners is not None
    if with_qr:  # the QR code's three finder-pattern corners join the discs
        assert code.corners is not None  # with_qr says so
        found_mm = found_mm + _qr_finder_corners_mm(page, code.text)
        found_px = found_px + [tuple(p) for p in code.corners[[0, 1, 3]]]
    src, dst = np.asarray(found_mm, np.float64), np.asarray(found_px, np.float64)
    affine, residual_px = _affine_fit(src, dst)
    if n == 4 or with_qr:
        matrix = cv2.findHomography(src, dst, 0)[0]
        residual_px = _residual(matrix, src, dst) if with_qr else residual_px
    else:
        matrix = np.vstack([affine, [0.0, 0.0, 1.0]])
    problem = _check(affine, matrix, residual_px, s.max_residual_mm, page, code, scale, s,
                     "marks")
    if problem:
        return RegistrationFailure(problem, n)
    return _registration(matrix, affine, n, residual_px, tuple(tuple(m) for m in found_mm[:n]))


def _table_fit(image: np.ndarray, layout: Layout, page: PageLayout, code: CodeHit,
               guess: np.ndarray, scale: float, discs_mm: list, discs_px: list,
               s: ReaderSettings) -> Registration | str:
    """The transform fixed by the printed table's outlines (and the discs that agree with
    them), checked; or why the table cannot be placed."""
    from omr.table import find_skew, find_table  # here: omr.table needs PX_PER_MM from here

    if code.corners is None:  # the guess knows no skew: the table's rules tell it
        skew = find_skew(image, page, guess, max_deg=s.max_skew_no_corners_deg,
                         step_deg=SKEW_STEP_NO_CORNERS_DEG, px_per_mm=SKEW_PX_PER_MM)
        guess = _rotated(guess, skew, code.centre)
    table = find_table(image, page, layout.box_line, guess, reach_mm=s.table_reach_mm,
                       coarse_rows=TABLE_COARSE_ROWS, fine_reach_mm=s.table_fine_reach_mm,
                       tolerance_mm=s.table_tolerance_mm, min_contrast=s.min_ring_contrast)
    if table is None or table.agreeing < s.min_table_agreeing:
        share = 0.0 if table is None else table.agreeing
        return f"the printed table cannot be placed: only {share:.0%} of its outlines agree"
    src, dst = table.layout_mm, table.image_px
    affine, residual_px = _affine_fit(src, dst)
    placed = _apply(np.vstack([affine, [0.0, 0.0, 1.0]]),
                    np.asarray(discs_mm, np.float64).reshape(-1, 2))
    agree = [np.hypot(*(p - px)) / scale < s.disc_agreement_mm for p, px in zip(placed, discs_px)]
    discs = [mm for mm, ok in zip(discs_mm, agree) if ok]
    if discs:  # the discs found where the table puts them join the fit
        src = np.vstack([src, discs])
        dst = np.vstack([dst, [px for px, ok in zip(discs_px, agree) if ok]])
        affine, residual_px = _affine_fit(src, dst)
    matrix = np.vstack([affine, [0.0, 0.0, 1.0]])
    problem = _check(affine, matrix, residual_px, s.max_table_residual_mm, page, code, scale, s,
                     "printed table")
    if problem:
        return f"the printed table cannot be placed: {problem}"
    return _registration(matrix, affine, len(discs), residual_px, tuple(tuple(d) for d in discs))


def _check(affine: np.ndarray, matrix: np.ndarray, residual_px: float, max_residual_mm: float,
           page: PageLayout, code: CodeHit, scale: float, s: ReaderSettings,
           what: str) -> str | None:
    """Why the fit (from ``what``) cannot be the page's transform, or None."""
    sx = np.hypot(*affine[:, 0])
    sy = np.hypot(*affine[:, 1])
    if abs(sx / scale - 1) > s.max_scale_error or abs(sy / scale - 1) > s.max_scale_error:
        return f"the {what} give {sx / scale:.2f}× the expected scale"
    if abs(sx / sy - 1) > s.max_anisotropy:
        return f"the {what} are not where an undistorted page puts them"
    residual_mm = residual_px / sx
    if residual_mm > max_residual_mm:
        return f"the {what} fit the page with a {residual_mm:.1f} mm error"
    qr_mm = np.array([page.qr.centre])
    disagreement = np.hypot(*(_apply(matrix, qr_mm)[0] - code.centre)) / sx
    if disagreement > s.max_qr_disagreement_mm:
        return f"the {what} and the QR code disagree by {disagreement:.1f} mm"
    return None


def _registration(matrix: np.ndarray, affine: np.ndarray, marks_found: int, residual_px: float,
                  discs: tuple) -> Registration:
    residual_mm = residual_px / np.hypot(*affine[:, 0])
    angle = np.degrees(np.arctan2(affine[1, 0], affine[0, 0]))
    return Registration(matrix, marks_found, round(float(residual_mm), 3), bool(abs(angle) > 90),
                        discs)


def warp(image: np.ndarray, registration: Registration, layout: Layout, *,
         border: int = 255, rows: tuple[int, int] | None = None) -> np.ndarray:
    """The page resampled into layout coordinates at PX_PER_MM: (H, W) uint8, or only its
    ``rows`` (first, end) of pixels. What lies beyond the scan is filled with ``border`` (the
    page's paper, so the paper level nearby is not taken for brighter than it is)."""
    width, height = int(round(layout.width * PX_PER_MM)), int(round(layout.height * PX_PER_MM))
    top, end = rows if rows is not None else (0, height)
    shift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -top], [0.0, 0.0, 1.0]])
    return cv2.warpPerspective(image, shift @ registration.to_registered(), (width, end - top),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=border)


def find_disc(image: np.ndarray, near: np.ndarray, radius_px: float, search_px: float, *,
              area_range: tuple[float, float], aspect_range: tuple[float, float],
              fill_range: tuple[float, float], mend: float = 0.0) -> tuple[float, float] | None:
    """Centre (x, y) of the solid dark disc of ``radius_px`` nearest to ``near``, or None.

    Looks within ``search_px`` of ``near``; a candidate must have the area (``area_range`` of
    the disc's), the roundness (width / height in ``aspect_range``) and the fill (``fill_range``
    of its bounding box) of a disc, so ink strokes, stamps, QR modules and the dark scanner edge
    are passed over.
    """
    h, w = image.shape
    x0, y0 = int(max(near[0] - search_px, 0)), int(max(near[1] - search_px, 0))
    x1, y1 = int(min(near[0] + search_px, w)), int(min(near[1] + search_px, h))
    if x1 - x0 < 2 * radius_px or y1 - y0 < 2 * radius_px:
        return None
    window = image[y0:y1, x0:x1]
    _, binary = cv2.threshold(window, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # Mend the disc where a thin light line crosses it (a printer low on toner, a feeder
    # skipping lines: the halves of a disc cut in two are no disc), then detach speckle and
    # thin strokes touching it; the disc itself survives the opening.
    closing = int(round(radius_px * mend)) | 1  # gaps up to ``mend`` of the radius
    if closing > 1:
        binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (closing, closing)))
    k = max(3, int(radius_px / 3) | 1)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    count, _, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    expected_area = np.pi * radius_px**2
    best, best_distance = None, np.inf
    for i in range(1, count):
        x, y, bw, bh, area = stats[i]
        if not area_range[0] <= area / expected_area <= area_range[1]:
            continue
        if not aspect_range[0] <= bw / bh <= aspect_range[1] or \
                not fill_range[0] <= area / (bw * bh) <= fill_range[1]:
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
    """A similarity transform (mm → px) from the QR code, and the scale in px per mm.

    The scale is measured on the code (its side over its printed size), so a file's missing or
    wrong resolution does not matter; only a code found without its outline falls back on
    ``dpi``, then on the page's width."""
    modules = len(qr_modules(code.text))
    symbol_mm = page.qr.w * modules / (modules + 8)  # the quiet zone is 4 modules each side
    if code.corners is not None:
        top = code.corners[1] - code.corners[0]
        left = code.corners[3] - code.corners[0]
        scale = (np.hypot(*top) + np.hypot(*left)) / 2 / symbol_mm
        angle = np.arctan2(top[1], top[0])
    else:
        scale = code.side_px / symbol_mm if code.side_px else \
            (dpi / 25.4) if dpi else image.shape[1] / layout.width
        upside_down = code.centre[1] > image.shape[0] / 2
        angle = np.pi if upside_down else 0.0
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    rotation = np.array([[c, -s], [s, c]])
    qr_centre_mm = np.array(page.qr.centre)
    shift = np.array(code.centre) - rotation @ qr_centre_mm
    return np.vstack([np.column_stack([rotation, shift]), [0, 0, 1]]), float(scale)


def _rotated(matrix: np.ndarray, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    """``matrix`` (layout mm → image px) followed by a rotation of the image about ``centre``."""
    if degrees == 0:
        return matrix
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    x, y = centre
    rotation = np.array([[c, -s, x - c * x + s * y], [s, c, y - s * x - c * y], [0, 0, 1.0]])
    return rotation @ matrix


def _qr_finder_corners_mm(page: PageLayout, text: str) -> list[tuple[float, float]]:
    """Layout positions of the QR symbol's top-left, top-right and bottom-left corners."""
    modules = len(qr_modules(text))
    module = qr_module_mm(page.qr, modules)
    x0, y0 = page.qr.x + QR_QUIET_MODULES * module, page.qr.y + QR_QUIET_MODULES * module
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
