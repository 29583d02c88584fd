"""Is a page a blank duplex back? Only when it holds no ink and shows none of our print.

The test runs on the page brought to a common white: its paper level is scaled to white, so a
dim or dark scan (a low exposure, 12-bit samples in a 16-bit file) shows its print as clearly as
a bright one, while the faint front showing through a back stays as faint, relative to its
paper, as it is. A page that the ink test finds empty is still not blank when it shows a QR code
(not mirrored: the front showing through is mirrored), registration discs or the rules of the
printed table, whatever its grey levels.
"""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp

from ballotgen.layout import MARK_RADIUS_MM
from omr.load import SHEET_SHORT_MM, px_per_mm
from omr.qr import CORNER_CROP, QR_CODES, mirrored
from omr.settings import DEFAULT, ReaderSettings

# Resolutions and search strategy, not limits: every limit on ink is in ReaderSettings.
BLANK_PX_PER_MM = 3.0  # resolution of the blank test (limits: ReaderSettings.blank_*)
PAPER_PERCENTILE = 99.0  # the page's paper level: this percentile of its grey levels
MAX_WHITE_GAIN = 16.0  # a paper level is raised to white by at most this factor (12 bits of 16)
# What our print looks like (discs, rules) is told by ReaderSettings.blank_disc_* and
# blank_rule_*; how the code is looked for is said here.
STRETCH_PERCENTILES = (0.5, 99.5)  # a corner crop's grey levels stretched over this span
MIN_STRETCH_SPAN = 8  # … unless they span fewer levels than this (nothing to see)
# The code is looked for at half resolution on pages this fine (px per mm; 300 dpi is 11.8):
# its modules (about 0.65 mm) still span 3.5 pixels or more, and zxing reads them 4 times
# faster.
QR_HALVE_PX_PER_MM = 11.0


def is_blank(image: np.ndarray, dpi: float | None, s: ReaderSettings = DEFAULT) -> bool:
    """True for a page with (almost) no ink away from its edges and none of our print: a blank
    duplex back.

    Ink is what is clearly darker than the paper around it: by half the page's own range of
    grey, between ``blank_min_contrast`` and ``blank_contrast`` grey levels, on the page brought
    to white (:func:`white_normalised`). Dark regions reaching the image's border are not ink:
    the scanner's background beyond a skewed or shifted sheet, a dark scanner edge.

    Parameters
    ----------
    image : (H, W) uint8
    dpi : the file's resolution, or None (then an A4 width is assumed)
    """
    h, w = image.shape
    if h < 50 or w < 50:
        return int(image.max()) - int(image.min()) < 60
    small = white_normalised(_resampled(image, dpi))
    smooth = cv2.medianBlur(small, 3)
    paper = cv2.dilate(smooth, np.ones((15, 15), np.uint8))
    # Clearly darker than the paper around it, on this page's own contrast: light print on grey
    # paper (toner saving, a dim scanner) is still print; a front showing through is not.
    low, high = percentiles_u8(smooth, (0.1, 99.0))
    contrast = float(np.clip(0.5 * (high - low), s.blank_min_contrast, s.blank_contrast))
    dark = (cv2.subtract(paper, smooth) > contrast).view(np.uint8)  # paper >= smooth: exact
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    ink = ~_at_border(stats, dark.shape)[labels]
    m = int(s.blank_margin_mm * BLANK_PX_PER_MM)
    inner = ink[m:-m, m:-m]
    if inner.size == 0 or float(inner.mean()) >= s.blank_ink_fraction:
        return False
    return not shows_print(image, small, s)


def shows_print(image: np.ndarray, small: np.ndarray, s: ReaderSettings = DEFAULT) -> bool:
    """Whether the page shows a ballot's print: a QR code in a corner (not mirrored), at least
    ``s.blank_min_discs`` registration discs or ``s.blank_min_rules`` rules of the table, at
    least ``s.blank_min_contrast`` grey levels darker than the paper around them (rules are
    looked for more than ``s.blank_margin_mm`` from the border, discs up to it).

    Parameters
    ----------
    image : (H, W) uint8, the page as scanned
    small : the page at BLANK_PX_PER_MM brought to white (:func:`white_normalised`)
    """
    # The cheap tests on the small page first; the code is looked for only when they fail.
    return _discs(small, s) >= s.blank_min_discs or _rules(small, s) >= s.blank_min_rules \
        or _code_in_corners(image)


def white_normalised(image: np.ndarray) -> np.ndarray:
    """``image`` (H, W) uint8 scaled so its paper level (``PAPER_PERCENTILE``) is white, by at
    most ``MAX_WHITE_GAIN``. A contrast relative to the paper is kept as it is."""
    paper = float(percentiles_u8(image, (PAPER_PERCENTILE,))[0])
    gain = min(255.0 / max(paper, 1.0), MAX_WHITE_GAIN)
    if gain <= 1.0:
        return image
    return cv2.convertScaleAbs(image, alpha=gain)


def _resampled(image: np.ndarray, dpi: float | None) -> np.ndarray:
    """``image`` at BLANK_PX_PER_MM, never enlarged (a wrong resolution cannot make it huge):
    halved with a Gaussian pyramid while it stays at or above that resolution, then resized
    the rest of the way (a 300-dpi page in 4 ms where one area resize takes 18 ms)."""
    resolution = px_per_mm(image, dpi)
    while resolution / 2 >= BLANK_PX_PER_MM:
        image = cv2.pyrDown(image)
        resolution /= 2
    scale = min(1.0, BLANK_PX_PER_MM / resolution)
    if scale == 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)  # by less than 2


def percentiles_u8(image: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """``np.percentile(image, qs)`` (linear interpolation) of a uint8 image, from its histogram:
    no sort of half a million pixels."""
    return histogram_percentiles(np.bincount(image.ravel(), minlength=256), qs)


def histogram_percentiles(histogram: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """``np.percentile(values, qs)`` (linear interpolation) of the values 0, 1, … counted by
    ``histogram`` (not empty)."""
    cumulative = np.cumsum(histogram)
    size = int(cumulative[-1])
    out = []
    for q in qs:
        rank = q / 100 * (size - 1)
        below = int(np.floor(rank))
        lo = int(np.searchsorted(cumulative, below, side="right"))
        hi = int(np.searchsorted(cumulative, min(below + 1, size - 1), side="right"))
        out.append(lo + (rank - below) * (hi - lo))
    return out


def _at_border(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per connected component, whether it touches the image's border (label 0 included)."""
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    at_border = (x == 0) | (y == 0) | (x + stats[:, cv2.CC_STAT_WIDTH] >= shape[1]) | \
        (y + stats[:, cv2.CC_STAT_HEIGHT] >= shape[0])
    at_border[0] = True  # the background label
    return at_border


def _darker(small: np.ndarray, min_contrast: float) -> np.ndarray:
    """(H, W) uint8, 1 where ``small`` is ``min_contrast`` darker than the paper around it."""
    paper = cv2.dilate(small, np.ones((15, 15), np.uint8))
    return (cv2.subtract(paper, small) > min_contrast).view(np.uint8)  # paper >= small: exact


def _discs(small: np.ndarray, s: ReaderSettings) -> int:
    """How many solid dark discs of the registration marks' size ``small`` shows, away from
    its border (a disc cut by the scan area is not counted)."""
    dark = _darker(small, s.blank_min_contrast)
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    expected = np.pi * (MARK_RADIUS_MM * BLANK_PX_PER_MM) ** 2
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    ok = (area >= s.blank_disc_area_min * expected) & (area <= s.blank_disc_area_max * expected) \
        & (w >= s.blank_disc_aspect_min * h) & (w <= s.blank_disc_aspect_max * h) & \
        (area >= s.blank_disc_min_fill * w * h) & ~_at_border(stats, dark.shape)
    return int(ok.sum())


def _rules(small: np.ndarray, s: ReaderSettings) -> int:
    """How many straight horizontal lines at least ``s.blank_rule_min_mm`` long ``small``
    shows more than ``s.blank_margin_mm`` from its border (not the edge of the sheet or its
    shadow), counting the lines within ``s.blank_rule_gap_mm`` of each other as one (a skewed
    rule breaks into pieces)."""
    length = int(s.blank_rule_min_mm * BLANK_PX_PER_MM)
    m = int(s.blank_margin_mm * BLANK_PX_PER_MM)
    inner = small[m:-m, m:-m] if m > 0 else small
    if inner.shape[1] < length or inner.shape[0] < 1:
        return 0
    dark = _darker(inner, s.blank_min_contrast)
    lines = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    rows = np.flatnonzero(lines.any(axis=1))
    if rows.size == 0:
        return 0
    return int(1 + (np.diff(rows) > s.blank_rule_gap_mm * BLANK_PX_PER_MM).sum())


def _code_in_corners(image: np.ndarray) -> bool:
    """Whether a QR code that is not mirrored is found in a corner crop of ``image``, its grey
    levels stretched first (a faint code reads as well as a crisp one)."""
    if min(image.shape) / SHEET_SHORT_MM >= QR_HALVE_PX_PER_MM:
        image = cv2.pyrDown(image)
    h, w = image.shape
    cw, ch = int(w * CORNER_CROP[0]), int(h * CORNER_CROP[1])
    for x0, y0 in ((w - cw, 0), (0, h - ch), (0, 0), (w - cw, h - ch)):
        crop = _stretched(image[y0:y0 + ch, x0:x0 + cw])
        if crop is None:
            continue
        for code in zxingcpp.read_barcodes(crop, formats=QR_CODES):
            if code.valid and not _mirrored(code.position, image.shape):
                return True
    return False


def _stretched(crop: np.ndarray) -> np.ndarray | None:
    low, high = percentiles_u8(crop[::2, ::2], STRETCH_PERCENTILES)
    if high - low < MIN_STRETCH_SPAN:
        return None
    levels = (np.arange(256, dtype=np.float32) - low) * (255.0 / (high - low))
    return np.ascontiguousarray(cv2.LUT(crop, np.clip(levels, 0, 255).astype(np.uint8)))


def _mirrored(position: zxingcpp.Position, shape: tuple[int, int]) -> bool:
    """Whether a symbol found at ``position`` in a page of ``shape`` (H, W) is mirrored
    (:func:`omr.qr.mirrored`)."""
    corners = np.array([[position.top_left.x, position.top_left.y],
                        [position.top_right.x, position.top_right.y]], float)
    return mirrored(corners, shape)
