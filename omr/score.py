"""Measure new ink on a registered page: raw numbers only (no decisions, see ``decide``).

All functions take the page registered to its layout at ``PX_PER_MM`` (``register.warp``).
*Darkness* is normalised per page: 0 is the local paper (so uneven lighting and paper tone cancel
out), 1 the black of the registration discs. *New ink* is darkness where the blank ballot is
white: the printed outline of a box, the printed name and the table rules never count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium

from ballotgen.layout import Layout, Rect
from ballotgen.render import Batch, render_pdf
from omr.blank import histogram_percentiles
from omr.register import PX_PER_MM, Registration, warp
from omr.settings import ReaderSettings

PAPER_WINDOW_MM = 14  # paper level = brightest nearby within this window (wider than a filled box)
INK_DARKNESS = 0.45  # default darkness of new ink for new_ink_mm2 (the reader passes its own)
REFERENCE_GROW_MM = 0.25  # printed ink of the blank ballot is grown by this much (after alignment)
RANSAC_SEED = 0  # OpenCV's random generator is global: seeded before each fit, for repeatability


def darkness(page: np.ndarray, black: float, out: np.ndarray | None = None) -> np.ndarray:
    """Normalised darkness (H, W) float32 in 0..1 of a registered page (H, W) uint8 (or a band
    of its rows) whose printed black is ``black`` (:func:`black_level`), written into ``out``
    if given.

    A 3 × 3 median first removes scanner speckle (isolated pixels) but keeps pen strokes.
    """
    page = cv2.medianBlur(page, 3)
    small = cv2.resize(page, None, fx=1 / PX_PER_MM, fy=1 / PX_PER_MM, interpolation=cv2.INTER_AREA)
    kernel = np.ones((PAPER_WINDOW_MM, PAPER_WINDOW_MM), np.uint8)
    paper_small = cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), 3)
    size = (page.shape[1], page.shape[0])
    paper = cv2.resize(paper_small, size, interpolation=cv2.INTER_LINEAR)
    # (paper - page) / max(paper - black, 40), clipped to 0..1, in OpenCV's saturating
    # arithmetic: one pass a step and no temporaries (a full page is 4 M pixels). The
    # contrast is as smooth as the paper level, so its inverse is taken at 1 px/mm and
    # interpolated (within 0.001 of dividing pixel by pixel, in a quarter less time).
    inverse = 1.0 / np.maximum(paper_small.astype(np.float32) - black, 40.0)  # never tiny
    inverse = cv2.resize(inverse, size, interpolation=cv2.INTER_LINEAR)
    dark = cv2.multiply(cv2.subtract(paper, page), inverse, dst=out, dtype=cv2.CV_32F)
    return np.minimum(dark, 1.0, out=dark)


# The paper level is the brightest nearby within PAPER_WINDOW_MM, then blurred (3 mm): a band
# of rows this much wider on each side than what is read has the same darkness as the page.
DARKNESS_MARGIN_MM = 2 * PAPER_WINDOW_MM


def registered_darkness(image: np.ndarray, registration: Registration, layout: Layout, *,
                        rows_mm: tuple[float, float], paper: int) -> np.ndarray:
    """Darkness (:func:`darkness`) of the page registered to its layout (H, W) float32, for
    the ``rows_mm`` that are read (from, to: the table and the free area below it), with
    DARKNESS_MARGIN_MM more on each side; 0 elsewhere (the header is never read). Beyond the
    scan is ``paper``."""
    width, height = int(round(layout.width * PX_PER_MM)), int(round(layout.height * PX_PER_MM))
    step = int(PX_PER_MM)  # rows aligned to the 1-mm grid of the paper level
    top = max(int((rows_mm[0] - DARKNESS_MARGIN_MM) * PX_PER_MM) // step * step, 0)
    bottom = min(int(np.ceil((rows_mm[1] + DARKNESS_MARGIN_MM) * PX_PER_MM)), height)
    band = warp(image, registration, layout, border=paper, rows=(top, bottom))
    out = np.zeros((height, width), np.float32)
    darkness(band, black_level(image, registration, layout), out=out[top:bottom])
    return out


def black_level(image: np.ndarray, registration: Registration, layout: Layout) -> float:
    """Grey level of printed black in ``image`` (the scan): the median inside the registration
    discs found (``registration.discs``), 0.6 of their radius around their centres."""
    values = []
    scale = float(np.hypot(*registration.matrix[:2, 0])) / abs(registration.matrix[2, 2])
    r = max(1, int(layout.mark_radius * scale * 0.6))
    for x, y in registration.discs:
        cx, cy = (int(round(v)) for v in registration.points_px([(x, y)])[0])
        patch = image[max(cy - r, 0):max(cy + r, 0), max(cx - r, 0):max(cx + r, 0)]
        if patch.size:
            values.append(float(np.median(patch)))
    return float(np.median(values)) if values else 0.0


def _median(values: np.ndarray) -> float:
    """``np.median`` of a 1-D array, by partition only (a box's ring or outline: a few hundred
    values, measured dozens of times a page)."""
    n = len(values)
    if n == 0:
        return float("nan")
    k = n // 2
    if n % 2:
        return float(np.partition(values, k)[k])
    part = np.partition(values, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2)


def _mean(values: np.ndarray) -> float:
    """The mean of a float32 array, by OpenCV (no temporary)."""
    return float(cv2.mean(values)[0]) if values.size else float("nan")


def _px(rect: Rect, inset_mm: float = 0.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixel bounds of ``rect`` shrunk by ``inset_mm``."""
    return (int(round((rect.x + inset_mm) * PX_PER_MM)),
            int(round((rect.y + inset_mm) * PX_PER_MM)),
            int(round((rect.right - inset_mm) * PX_PER_MM)),
            int(round((rect.bottom - inset_mm) * PX_PER_MM)))


@dataclass(frozen=True)
class BoxScore:
    """Raw measurements of one box (no decision: see ``decide``)."""

    # Mean darkness of the interior above the paper around it, of its pixels as dark as ink
    # (INK_DARKNESS; lighter ones count 0): 0 empty … 1 black. A blob of ink shows here; a grey
    # blotch of the paper does not.
    score: float
    extent_mm: float  # the larger side of the box around the ink in the interior
    ink_mm2: float = 0.0  # area of ink pixels in the interior (page-calibrated, dust removed)
    # Ink entering across the left / right edge and reaching no further than the spill depth
    # into the box (a stroke of the next box's mark).
    entering_mm2: tuple[float, float] = (0.0, 0.0)
    # Ink of thin straight lines right across the box as dark as a pen (a slash), not in
    # ink_mm2; lighter ones (a fold, a crease) are not counted at all.
    line_mm2: float = 0.0
    stroke: float | None = None  # mean darkness above the box's background (None: as score)
    surround: float = 0.0  # median darkness of a ring just outside the box: paper is near 0
    # Median darkness along the box's printed outline: near 1 where the outline shows, as dark
    # as the surround where the box is not on the scan (None: not measured, older readings).
    outline: float | None = None
    # Ink of blots, not in ink_mm2: small solid round shapes, broader than a pen's line (a drop
    # of ink, a splash of toner), which no voter's cross or tick is.
    blot_mm2: float = 0.0
    texture: float = 0.0  # how dark the paper's grain gets around the box (Texture.level)
    peak: float | None = None  # the darkest pixel of its ink (None: no ink, or not measured)
    # The longest piece of its ink's core (:func:`longest_piece_mm`): a pen's stroke is long
    # and unbroken, the grain of stained paper is specks (0: no ink, or not measured).
    piece_mm: float = 0.0
    # The share of its ink within a stroke's width of two straight lines (:func:`line_share`):
    # near 1 for a cross or a tick however broken its strokes, low for a cluster of specks
    # (1: no ink, not measured, or not needed: its ink holds a piece ``mark_piece_mm`` long).
    line_share: float = 1.0

    @property
    def stroke_score(self) -> float:
        return self.score if self.stroke is None else self.stroke


@dataclass(frozen=True)
class InkLevels:
    """When a pixel of this page is ink: darker than ``low`` and connected to one past ``high``."""

    noise: float  # 99th percentile of darkness inside the page's emptiest boxes
    low: float
    high: float

    def above_texture(self, texture: float, s: ReaderSettings) -> InkLevels:
        """These levels for a box whose paper's grain reaches ``texture`` (``Texture.level``):
        a component must reach ``s.texture_ratio`` times it, but never more than
        ``s.texture_cap`` (or this page's own level, if higher)."""
        high = min(max(self.high, s.texture_ratio * texture), max(s.texture_cap, self.high))
        return self if high == self.high else InkLevels(self.noise, self.low, high)


@dataclass(frozen=True)
class Texture:
    """The paper's own grain just around a box (:func:`paper_texture`), above its background:
    how dark it gets (``level``, the TEXTURE_PERCENTILE) and its mean. Both near 0 on clean
    paper; on a mottled sheet the level is 0.05-0.15 and the mean 0.01-0.04."""

    level: float = 0.0
    mean: float = 0.0


def find_outline(dark: np.ndarray, box: Rect, line_mm: float, *, around: tuple[int, int] = (0, 0),
                 reach_mm: float) -> tuple[int, int]:
    """Shift (dx, dy) in pixels, within ``reach_mm`` of ``around``, that best fits the printed
    outline of ``box``: the ring along its edges darkest against the inside of the box.
    (The reader looks ``ReaderSettings.relocate_mm`` around each box once the outlines fixed
    the registration.)"""
    pad = int(np.ceil(reach_mm * PX_PER_MM))
    line = max(1, int(round(line_mm * PX_PER_MM)))  # ring a little wider than the outline
    x0, y0, x1, y1 = _px(box)
    w, h = x1 - x0, y1 - y0
    x0, y0 = x0 + around[0], y0 + around[1]
    margin = pad + line + 1
    wx0, wy0 = max(x0 - margin, 0), max(y0 - margin, 0)
    window = dark[wy0:y0 + h + margin + 1, wx0:x0 + w + margin + 1]
    integral = cv2.integral(window.astype(np.float64))
    dy, dx = _offsets(pad)
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


@functools.lru_cache(maxsize=8)
def _offsets(pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Every shift (dy, dx) within ``pad`` pixels either way, flattened (read only)."""
    dy, dx = np.mgrid[-pad:pad + 1, -pad:pad + 1].reshape(2, -1)
    dy.flags.writeable = dx.flags.writeable = False
    return dy, dx


def outline_correction(dark: np.ndarray, boxes: list[Rect], line_mm: float, *, reach_mm: float,
                       tolerance_mm: float) -> tuple[np.ndarray | None, float]:
    """How the printed box outlines sit relative to the layout: an affine correction (2 × 3,
    registered pixels, layout → found) and the fraction of outlines that agree with it, within
    ``tolerance_mm`` (``ReaderSettings.refine_tolerance_mm``).

    Each outline is looked for within ``reach_mm`` (``ReaderSettings.refine_reach_mm``); the
    correction is fitted to all of them with RANSAC, so a box under a heavy mark cannot pull it.
    """
    if len(boxes) < 6:
        return None, 1.0
    found = np.array([find_outline(dark, b, line_mm, reach_mm=reach_mm) for b in boxes], float)
    centres = np.array([b.centre for b in boxes]) * PX_PER_MM
    cv2.setRNGSeed(RANSAC_SEED)  # the same page always reads the same, whatever came before
    model, inliers = cv2.estimateAffine2D(centres, centres + found, method=cv2.RANSAC,
                                          ransacReprojThreshold=tolerance_mm * PX_PER_MM)
    if model is None or inliers is None:
        return None, 0.0
    return model, float(inliers.mean())


def interior(dark: np.ndarray, box: Rect, shift: tuple[int, int], inset_mm: float) -> np.ndarray:
    """The darkness inside ``box`` (outline found at ``shift`` pixels), ``inset_mm`` in from the
    centre line of its printed outline: (h, w) float32, empty at the page's edge."""
    x0, y0, x1, y1 = _px(box, inset_mm)
    return dark[max(y0 + shift[1], 0):max(y1 + shift[1], 0),
                max(x0 + shift[0], 0):max(x1 + shift[0], 0)]


def _ink_dark_mean(area: np.ndarray, darkness: float) -> float:
    """Mean of ``area`` counting only pixels darker than ``darkness`` (others as 0)."""
    if not area.size:
        return 0.0
    return _mean(cv2.threshold(area, darkness, 0.0, cv2.THRESH_TOZERO)[1])


def above_paper(area: np.ndarray, surround: float) -> np.ndarray:
    """Darkness of ``area`` above the paper just around its box (``surround``, the median of a
    ring outside it): on a dirty or mottled sheet (a stained, aged or recycled paper, a grey
    texture) an empty box is as dark as the paper around it, and only what is darker is ink.
    On clean paper the surround is near 0 and nothing changes. A blot across a box and its
    ring cannot be taken away this way: it hides the box's printed outline, and a box whose
    outline does not show is never read (``decide.unseen``)."""
    return np.maximum(area - np.float32(surround), np.float32(0.0)) if surround > 0 else area


def above_background(area: np.ndarray, *, stroke_mm: float, solid: float,
                     fill: float = 1.0) -> np.ndarray:
    """Darkness of ``area`` above its own background: what is left after taking away every
    shape wider than a pen stroke (a grey-level opening with a ``stroke_mm`` square, the
    "top-hat"). Stains, shadows and a coffee ring are broad and smooth, so they go; crosses,
    ticks and circles are strokes, so they stay. An area whose background averages darker than
    ``solid``, or half covered by darkness above ``fill``, is filled in (a fill is as broad as
    the box), and is left as it is."""
    if not area.size:
        return area
    background = cv2.morphologyEx(area, cv2.MORPH_OPEN, stroke_kernel(stroke_mm))
    if _mean(background) >= solid or cv2.countNonZero((area > fill).view(np.uint8)) \
            >= 0.5 * area.size:
        return area
    return area - background


def stroke_kernel(stroke_mm: float) -> np.ndarray:
    """The square structuring element of :func:`above_background`: ``stroke_mm`` wide, odd,
    at least 3 px, on the registered page."""
    k = max(3, int(round(stroke_mm * PX_PER_MM)) | 1)
    return np.ones((k, k), np.uint8)


def ink_levels(empty_interiors: list[np.ndarray], *, low: float, high: float, low_noise: float,
               high_noise: float) -> InkLevels:
    """The page's ink levels from interiors (above their background) of boxes that are almost
    certainly empty (the emptiest box of each row): the noise is the median of their 99th
    percentiles."""
    values = [float(np.percentile(a, 99)) for a in empty_interiors if a.size]
    noise = float(np.median(values)) if values else 0.0
    return InkLevels(noise, max(low, low_noise * noise), max(high, high_noise * noise))


def box_score(dark: np.ndarray, box: Rect, shift: tuple[int, int], levels: InkLevels,
              s: ReaderSettings, *, outline_mm: float, surround: float,
              texture: Texture = Texture()) -> BoxScore:
    """New ink inside ``box`` whose outline is at ``shift`` (pixels) from the layout.

    The limits are ``s``'s (:class:`~omr.settings.ReaderSettings`; ``outline_mm`` is the
    printed outline's width). Everything is measured above the paper around the box
    (:func:`above_paper`; ``surround`` is :func:`surround_darkness`). The mean darkness is
    taken ``box_inset_mm`` inside the outline, of the pixels darker than ``blob_darkness``
    (``score``: a blob of ink shows there) and above the box's background (``stroke``). The
    ink area, its extent and where it enters the box are measured ``ink_inset_mm`` inside (so
    the printed outline never counts) and above the box's own background
    (:func:`above_background`); an ink component must stand out from the paper's ``texture``
    around the box (:func:`paper_texture`, :meth:`InkLevels.above_texture`), and the mean
    darkness above the background (``stroke``) is taken above the texture's mean. A thin
    straight line right across the box
    (within ``line_sd_mm`` of a straight line, from one side to the opposite one) is measured
    apart, as ``line_mm2``, when it is as dark as a pen, and not at all when it is lighter than
    ``fold_darkness`` (a fold, a crease); blots (``blot_*``) apart, as ``blot_mm2``.
    """
    outline = outline_darkness(dark, box, shift, outline_mm)
    whole = above_paper(interior(dark, box, shift, s.box_inset_mm), surround)
    if not whole.size:
        return BoxScore(0.0, 0.0, surround=surround, outline=outline, texture=texture.level)
    inner = above_paper(interior(dark, box, shift, s.ink_inset_mm), surround)
    if not inner.size:
        return BoxScore(_ink_dark_mean(whole, s.blob_darkness), 0.0, surround=surround,
                        outline=outline, texture=texture.level)
    raw = _ink_dark_mean(whole, s.blob_darkness)
    stroke = max(_mean(above_background(whole, stroke_mm=s.stroke_max_mm,
                                        solid=s.solid_darkness, fill=s.fill_darkness))
                 - texture.mean, 0.0)
    inner = above_background(inner, stroke_mm=s.stroke_max_mm, solid=s.solid_darkness,
                             fill=s.fill_darkness)
    box_levels = levels.above_texture(texture.level, s)
    ink = _ink(inner, box_levels, speck_px=s.speck_mm2 * PX_PER_MM**2)
    if ink is None:
        return BoxScore(raw, 0.0, stroke=stroke, surround=surround, outline=outline,
                        texture=texture.level)
    labels, with_lines = ink
    kept = _drop_lines_across(labels, with_lines, line_sd_mm=s.line_sd_mm)
    blots = _blots(labels, kept, s)
    blot = float(np.isin(labels, np.flatnonzero(blots)).sum()) / PX_PER_MM**2 if blots.any() \
        else 0.0
    kept &= ~blots
    line = 0.0
    for label in np.flatnonzero(with_lines & ~kept & ~blots):
        pixels = labels == label
        if float(inner[pixels].mean()) >= s.fold_darkness:
            line += float(pixels.sum()) / PX_PER_MM**2
    if not kept.any():
        return BoxScore(raw, 0.0, line_mm2=line, stroke=stroke, surround=surround,
                        outline=outline, blot_mm2=blot, texture=texture.level)
    mask = kept[labels]
    peak = float(inner[mask].max())
    piece = longest_piece_mm(inner, mask, box_levels.high)
    # Only ink without a long piece needs it (decide.specks): a cross's, a tick's or a fill's
    # strokes are long, and the Hough transform is the dearest measure of a marked box.
    along = line_share(mask, width_px=LINE_BAND_MM * PX_PER_MM) \
        if piece < s.mark_piece_mm else 1.0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) / PX_PER_MM
    area = float(mask.sum()) / PX_PER_MM**2
    # Components that touch the left (right) edge and stay within the spill depth of it.
    depth_px = max(1, int(round((s.spill_depth_mm - s.ink_inset_mm) * PX_PER_MM)))
    w = mask.shape[1]
    areas = np.bincount(labels[mask], minlength=len(kept))  # pixels of each kept component
    entering = []
    for edge, far, opposite in ((0, slice(depth_px, None), w - 1),
                                (w - 1, slice(0, max(w - depth_px, 0)), 0)):
        at_edge = _labels_in(labels[:, edge], mask[:, edge], len(kept))
        shallow = at_edge & ~_labels_in(labels[:, far], mask[:, far], len(kept))
        # … or one straight stroke from this edge that stops short of the opposite one
        for label in np.flatnonzero(at_edge & ~shallow
                                    & ~_labels_in(labels[:, opposite], mask[:, opposite],
                                                  len(kept))):
            ys, xs = np.nonzero(labels == label)
            shallow[label] = _straight(xs, ys, s.spill_line_sd_mm)
        entering.append(float(areas[shallow].sum()) / PX_PER_MM**2)
    return BoxScore(raw, float(extent), area, (entering[0], entering[1]), line, stroke,
                    surround, outline, blot, texture.level, peak, piece, along)


def longest_piece_mm(area: np.ndarray, mask: np.ndarray, core: float) -> float:
    """The larger side (mm) of the box around the longest connected piece of ``mask``'s pixels
    darker than ``core`` (the level an ink component must reach). A cross's stroke, a tick or a
    fill is one piece several millimetres long, however grained the paper; the grain of a stain
    is specks about a millimetre across, which the hysteresis of :func:`_ink` may chain
    together at its low level but which stay apart at this one."""
    pieces = ((area > core) & mask).view(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(pieces, connectivity=8)
    if count < 2:
        return 0.0
    sides = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    return float(sides.max()) / PX_PER_MM


LINE_BAND_MM = 0.8  # line_share's band: a pen's width and a hand's wobble around a straight line
HOUGH_STEP_DEG = 2.0  # … and the directions it tries


def line_share(mask: np.ndarray, *, width_px: float, lines: int = 2) -> float:
    """The share of ``mask``'s pixels within ``width_px`` (a band centred on the line) of the
    best ``lines`` straight lines, found one after the other by a Hough transform over what the
    earlier ones left: a cross or a tick is two strokes (a light pencil's broken into pieces
    still lies along them), a cluster of specks is scattered. 1.0 for fewer than 3 pixels."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 3:
        return 1.0
    remaining = mask.astype(np.uint8)
    covered = np.zeros(len(xs), bool)
    for _ in range(lines):
        found = cv2.HoughLines(remaining, 1, np.deg2rad(HOUGH_STEP_DEG), 1)
        if found is None or not len(found):
            break
        rho, theta = (float(v) for v in found[0][0])
        near = np.abs(xs * np.cos(theta) + ys * np.sin(theta) - rho) <= width_px / 2
        covered |= near
        remaining[ys[near], xs[near]] = 0
        if not remaining.any():
            break
    return float(covered.mean())


def _labels_in(labels: np.ndarray, mask: np.ndarray, count: int) -> np.ndarray:
    """(count,) bool: which labels occur in ``labels`` where ``mask``."""
    present = np.zeros(count, bool)
    present[labels[mask]] = True
    return present


SURROUND_MM = (1.0, 2.0)  # the ring outside a box's outline where its paper is looked at


def surround_darkness(dark: np.ndarray, box: Rect, shift: tuple[int, int]) -> float:
    """Median darkness of the ring SURROUND_MM outside ``box``: near 0 on paper (a rule or a
    stroke crossing it does not move the median), high where the box lies beyond the sheet's
    edge, over the scanner's dark background."""
    outer = interior(dark, box, shift, -SURROUND_MM[1])
    if not outer.size:
        return 0.0
    inset = int(round((SURROUND_MM[1] - SURROUND_MM[0]) * PX_PER_MM))
    h = outer.shape[0]
    if 2 * inset >= min(outer.shape):
        return _median(outer.ravel())
    ring = np.concatenate([outer[:inset].ravel(), outer[h - inset:].ravel(),
                           outer[inset:h - inset, :inset].ravel(),
                           outer[inset:h - inset, outer.shape[1] - inset:].ravel()])
    return _median(ring)


TEXTURE_PERCENTILE = 95
TEXTURE_MIN_PX = 64  # fewer paper pixels than this in the ring (a page's edge): not measured
TEXTURE_STROKE_CLEARANCE_MM = 0.5  # … leaving out this much around strokes darker than texture


def paper_texture(dark: np.ndarray, reference: Reference, box: Rect, shift: tuple[int, int],
                  surround: float, s: ReaderSettings) -> Texture:
    """The grain of the paper around ``box`` (found at ``shift``): darkness above the paper
    (:func:`above_paper`, ``surround``) and above its background (an opening with a
    ``s.stroke_max_mm`` square, as :func:`above_background`), in a ring from
    ``s.texture_ring_min_mm`` to ``s.texture_ring_max_mm`` outside the box's printed outline.
    Printed pixels (the outline, the table's rules) are left out, and so are the pixels near
    ink darker than ``s.texture_cap`` (the strokes of a mark overshooting its box or the next
    one's): what is left is paper. Nothing where the ring is off the page."""
    x0, y0, x1, y1 = _px(box, -s.texture_ring_max_mm)
    window = interior(dark, box, shift, -s.texture_ring_max_mm)
    h, w = window.shape
    if (h, w) != (y1 - y0, x1 - x0) or y0 < 0 or x0 < 0:
        return Texture()  # at the page's edge
    grain = above_background(above_paper(window, surround), stroke_mm=s.stroke_max_mm,
                             solid=1.0)  # never a fill: always the top-hat
    keep = ~reference.printed[y0:y1, x0:x1]
    inner = int(round((s.texture_ring_max_mm - s.texture_ring_min_mm) * PX_PER_MM))
    keep[inner:h - inner, inner:w - inner] = False  # the box itself, and a mark's overflow
    clear = 2 * int(round(TEXTURE_STROKE_CLEARANCE_MM * PX_PER_MM)) + 1
    keep &= cv2.dilate((grain > s.texture_cap).astype(np.uint8),
                       np.ones((clear, clear), np.uint8)) == 0
    # In 1/255 steps, from a histogram of the paper's pixels: no sort, no copy.
    histogram = cv2.calcHist([cv2.convertScaleAbs(grain, alpha=255)], [0],
                             keep.view(np.uint8), [256], [0, 256]).ravel()
    count = float(histogram.sum())
    if count < TEXTURE_MIN_PX:
        return Texture()
    level = histogram_percentiles(histogram, (TEXTURE_PERCENTILE,))[0]
    return Texture(level / 255, float(histogram @ np.arange(256)) / count / 255)


def outline_darkness(dark: np.ndarray, box: Rect, shift: tuple[int, int],
                     line_mm: float) -> float:
    """Median darkness along the printed outline of ``box`` (found at ``shift``): across a band
    of the outline's width on either side of its centre line, the darkest pixel at each point
    of the perimeter (a pixel of misregistration cannot miss the line), then the median round
    it (a mark crossing the outline does not move it). Near 1 on paper; where the box lies
    beyond the sheet, under white-out or a blot, as dark as what covers it."""
    x0, y0, x1, y1 = _px(box)
    x0, x1, y0, y1 = x0 + shift[0], x1 + shift[0], y0 + shift[1], y1 + shift[1]
    r = max(1, int(round(line_mm * PX_PER_MM)))
    h, w = dark.shape
    if x0 - r < 0 or y0 - r < 0 or x1 + r + 1 > w or y1 + r + 1 > h or x1 <= x0 or y1 <= y0:
        return 0.0  # at the page's edge: not seen
    sides = (dark[y0 - r:y0 + r + 1, x0:x1].max(axis=0), dark[y1 - r:y1 + r + 1, x0:x1].max(axis=0),
             dark[y0:y1, x0 - r:x0 + r + 1].max(axis=1), dark[y0:y1, x1 - r:x1 + r + 1].max(axis=1))
    return _median(np.concatenate(sides))


def _blots(labels: np.ndarray, kept: np.ndarray, s: ReaderSettings) -> np.ndarray:
    """Which of the ``kept`` components are blots: small, thick and solid (``s.blot_*``); against
    the interior's edge, round too (a stroke's end come in from outside is longer)."""
    out = np.zeros_like(kept)
    h, w = labels.shape
    for label in np.flatnonzero(kept):
        ys, xs = np.nonzero(labels == label)
        bw, bh = (xs.max() - xs.min() + 1) / PX_PER_MM, (ys.max() - ys.min() + 1) / PX_PER_MM
        if not (s.blot_min_mm <= min(bw, bh) and max(bw, bh) <= s.blot_max_mm):
            continue
        at_edge = xs.min() == 0 or ys.min() == 0 or xs.max() == w - 1 or ys.max() == h - 1
        if at_edge and max(bw, bh) > s.blot_edge_aspect * min(bw, bh):
            continue  # a stroke's end come in from outside
        hull = cv2.convexHull(np.column_stack([xs, ys]).astype(np.int32))
        hull_px = cv2.contourArea(hull) + cv2.arcLength(hull, True) / 2 + 1  # pixels it covers
        out[label] = len(xs) >= (s.blot_edge_solidity if at_edge else s.blot_solidity) * hull_px
    return out


def _drop_lines_across(labels: np.ndarray, kept: np.ndarray, *, line_sd_mm: float) -> np.ndarray:
    """``kept`` without the components that are one thin straight line from a side of the box
    to the opposite side."""
    h, w = labels.shape
    out = kept.copy()
    for label in np.flatnonzero(kept):
        ys, xs = np.nonzero(labels == label)
        across = (xs.min() == 0 and xs.max() == w - 1) or (ys.min() == 0 and ys.max() == h - 1)
        if across and _straight(xs, ys, line_sd_mm):
            out[label] = False
    return out


def _straight(xs: np.ndarray, ys: np.ndarray, line_sd_mm: float) -> bool:
    """True when the pixels (xs, ys) lie within ``line_sd_mm`` (standard deviation across
    their main direction) of one straight line: a single stroke, not two at an angle."""
    if len(xs) < 3:
        return False
    x, y = xs - xs.mean(), ys - ys.mean()
    n = len(xs) - 1  # the covariance of the points, as np.cov
    sxx, syy, sxy = float(x @ x) / n, float(y @ y) / n, float(x @ y) / n
    minor = (sxx + syy) / 2 - np.hypot((sxx - syy) / 2, sxy)  # its smaller eigenvalue
    return bool(np.sqrt(max(minor, 0.0)) < line_sd_mm * PX_PER_MM)


def _ink(area: np.ndarray, levels: InkLevels, *, speck_px: float
         ) -> tuple[np.ndarray, np.ndarray] | None:
    """Hysteresis ink mask of ``area``: (labels, kept) where ``kept[labels]`` is the mask, or None
    when nothing is ink. Components lighter than ``levels.high`` throughout, or smaller than
    ``speck_px``, are dropped."""
    low = (area > levels.low).astype(np.uint8)
    if not low.any():
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(low, connectivity=8)
    strong = np.zeros(count, bool)
    strong[labels[area > levels.high]] = True
    kept = strong & (stats[:, cv2.CC_STAT_AREA] >= speck_px)
    kept[0] = False
    return (labels, kept) if kept.any() else None


def _sums(integral: np.ndarray, x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Sums of the w × h rectangles at (x, y) (arrays) from an integral image."""
    return integral[y + h, x + w] - integral[y, x + w] - integral[y + h, x] + integral[y, x]


def new_ink_mm2(dark: np.ndarray, reference: Reference, rect: Rect, *, margin_mm: float,
                exclude: Rect | None = None, ink_darkness: float = INK_DARKNESS,
                handwriting: bool = False, stroke_mm: float | None = None,
                align_mm: float = 0.0) -> float:
    """Area of new ink inside ``rect`` (less ``margin_mm`` at its edges, less ``exclude``): ink on
    the scan where the blank ballot is white, after aligning the two locally (within
    ``align_mm``; 0: not aligned, for an area with no text, where the registration is close
    enough) so that printed text a little off its place is not taken for new ink.

    With ``handwriting``, ink that runs right across the area from its left side to its right
    one is left out: a dark scanner edge, a fold or a ruled line crossing a skewed sheet, not
    words a voter wrote (letters may fill the area's height). With ``stroke_mm``, darkness is
    taken above the area's background (:func:`above_background`): a stain is not new ink."""
    found = _new_ink(dark, reference, rect, margin_mm=margin_mm, align_mm=align_mm,
                     stroke_mm=stroke_mm, ink_darkness=ink_darkness)
    if found is None:
        return 0.0
    ink, _, (x0, y0) = found
    if exclude is not None:
        ex0, ey0, ex1, ey1 = _px(exclude)
        ink[max(ey0 - y0, 0):max(ey1 - y0, 0), max(ex0 - x0, 0):max(ex1 - x0, 0)] = False
    if handwriting and ink.any():
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8),
                                                                   connectivity=8)
        w = ink.shape[1]
        across = (stats[:, cv2.CC_STAT_LEFT] == 0) \
            & (stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] >= w)
        across[0] = True
        return float(stats[~across, cv2.CC_STAT_AREA].sum()) / PX_PER_MM**2
    return float(ink.sum()) / PX_PER_MM**2


def strike_ink_mm2(dark: np.ndarray, reference: Reference, cell: Rect, *, min_stroke_mm: float,
                   band_mm: float, stroke_mm: float, ink_darkness: float, margin_mm: float,
                   align_mm: float, line_width_mm: float = 0.0,
                   line_max_deg: float = 0.0, pieces: int = 1,
                   near: tuple[int, int] | None = None) -> float:
    """Area of new ink struck through the printed text of ``cell`` (a name).

    New ink is darker than ``ink_darkness`` above the cell's background (a stain is not ink)
    where the blank ballot is white. It counts when it is part of a stroke: a connected line at
    least ``min_stroke_mm`` long, joined through the printed letters it crosses (a line struck
    through a name runs over them, so its visible pieces are short), and within ``band_mm``
    above and below the printed text. A blot, a dot of toner or a splash is not a stroke; a
    table rule that the scan bent into the cell lies outside the text. The print is matched to
    the blank ballot's in ``pieces`` parts side by side (see :func:`_new_ink`).

    With ``line_width_mm``, only the ink along the best straight line counts (at most
    ``line_max_deg`` from the text's direction, :func:`ink_along_line`), and none unless it
    spans ``min_stroke_mm`` along it: a stroke struck through a name is a line, while the
    slivers a warped or blurred scan leaves along the letters' edges, and a blot that touches
    a letter, are not.

    ``near`` (pixels), where the print is expected (the nearest box's outline was found
    there): when the cell shows no new ink at all there, the print is not matched (the match
    is most of the work, and most names are untouched)."""
    if near is not None:
        there = _new_ink(dark, reference, cell, margin_mm=margin_mm, align_mm=0.0,
                         stroke_mm=stroke_mm, ink_darkness=ink_darkness, shift=near)
        if there is None or not there[0].any():
            return 0.0
    found = _new_ink(dark, reference, cell, margin_mm=margin_mm, align_mm=align_mm,
                     stroke_mm=stroke_mm, ink_darkness=ink_darkness)
    if found is None:
        return 0.0
    if pieces > 1 and found[0].any():  # new ink: matched in parts, is it still there?
        found = _new_ink(dark, reference, cell, margin_mm=margin_mm, align_mm=align_mm,
                         stroke_mm=stroke_mm, ink_darkness=ink_darkness, pieces=pieces)
        assert found is not None  # the same area
    ink, printed, (x0, y0) = found
    h, w = ink.shape
    text_rows = np.flatnonzero(reference.darkness[y0:y0 + h, x0:x0 + w].max(axis=1) > 0.5)
    if not ink.any() or not text_rows.size:
        return 0.0
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ink | printed).astype(np.uint8),
                                                               connectivity=8)
    long = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) \
        >= min_stroke_mm * PX_PER_MM
    long[0] = False
    band = int(round(band_mm * PX_PER_MM))
    top, bottom = max(text_rows[0] - band, 0), text_rows[-1] + band + 1
    struck = long[labels[top:bottom]] & ink[top:bottom]
    if not line_width_mm:
        return float(struck.sum()) / PX_PER_MM**2
    if not struck.any():
        return 0.0
    ys, xs = np.nonzero(struck)
    py, px = np.nonzero(printed[top:bottom])
    return ink_along_line(xs, ys, px, py, width_px=line_width_mm * PX_PER_MM,
                          max_deg=line_max_deg, min_span_px=min_stroke_mm * PX_PER_MM,
                          max_gap_px=LINE_MAX_GAP_MM * PX_PER_MM) / PX_PER_MM**2


LINE_STEP_DEG = 1.0  # the directions ink_along_line tries
LINE_CANDIDATES = 3  # … and the bands with the most ink in each
LINE_MAX_GAP_MM = 1.0  # a line struck through a name leaves no longer gap of ink and print


def ink_along_line(xs: np.ndarray, ys: np.ndarray, print_xs: np.ndarray, print_ys: np.ndarray,
                   *, width_px: float, max_deg: float, min_span_px: float,
                   max_gap_px: float) -> float:
    """How many of the ink pixels (xs, ys) lie along one straight line struck through print
    (``print_xs``, ``print_ys``): the most found within a band ``width_px`` wide, at up to
    ``max_deg`` from the horizontal, along a stretch of the band where ink and print leave no
    gap longer than ``max_gap_px`` (a line's visible pieces are joined by the letters it
    crosses; two blots at one height are not) and whose ink spans ``min_span_px``."""
    best = 0
    for deg in np.arange(-max_deg, max_deg + LINE_STEP_DEG / 2, LINE_STEP_DEG):
        a = np.deg2rad(deg)
        across = ys * np.cos(a) - xs * np.sin(a)
        along = xs * np.cos(a) + ys * np.sin(a)
        order = np.argsort(across)
        across, along = across[order], along[order]
        ends = np.searchsorted(across, across + width_px, side="right")
        counts = ends - np.arange(len(across))
        print_across = print_ys * np.cos(a) - print_xs * np.sin(a)
        print_along = print_xs * np.cos(a) + print_ys * np.sin(a)
        for start in np.argsort(counts)[::-1][:LINE_CANDIDATES]:
            if counts[start] <= best:
                break
            low = across[start]
            in_band = (print_across >= low) & (print_across <= low + width_px)
            best = max(best, _joined_run(along[start:ends[start]], print_along[in_band],
                                         min_span_px, max_gap_px))
    return float(best)


def _joined_run(ink: np.ndarray, printed: np.ndarray, min_span: float, max_gap: float) -> int:
    """The most ink positions (along a line) in one stretch where ink and printed positions
    leave no gap longer than ``max_gap``, and whose ink spans at least ``min_span`` (a blot
    touching a word is joined to it, but short)."""
    both = np.sort(np.concatenate([ink, printed]))
    starts = both[np.concatenate([[0], np.flatnonzero(np.diff(both) > max_gap) + 1])]
    runs = np.searchsorted(starts, ink, side="right") - 1
    best = 0
    for run in np.unique(runs):
        mine = ink[runs == run]
        if mine.max() - mine.min() >= min_span:
            best = max(best, len(mine))
    return best


def _new_ink(dark: np.ndarray, reference: Reference, rect: Rect, *, margin_mm: float,
             align_mm: float, stroke_mm: float | None, ink_darkness: float, pieces: int = 1,
             shift: tuple[int, int] = (0, 0)
             ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]] | None:
    """New ink inside ``rect`` less ``margin_mm``: (ink, printed, (x0, y0)), the (h, w) masks
    of new ink and of the blank ballot's grown print and the area's top left pixel; None for
    an empty area. The scan is aligned to the blank ballot within ``align_mm`` (0: not), then
    each of ``pieces`` side by side parts of the area again, within PIECE_REACH_MM of that (a
    sheet bent or turned in the scanner moves the two ends of a line of text differently),
    and with ``stroke_mm`` taken above its background (:func:`above_background`). Without
    ``align_mm``, the scan is taken ``shift`` (pixels) from the blank ballot."""
    x0, y0, x1, y1 = _px(rect, margin_mm)
    x0, y0 = max(x0, 0), max(y0, 0)
    if x1 <= x0 or y1 <= y0:
        return None
    dx, dy = _align(dark, reference.darkness, (x0, y0, x1, y1), align_mm) if align_mm else shift
    if not (0 <= y0 + dy and 0 <= x0 + dx):
        return None
    window = dark[y0 + dy:y1 + dy, x0 + dx:x1 + dx]
    h, w = window.shape
    if pieces > 1 and align_mm and (h, w) == (y1 - y0, x1 - x0):
        window = window.copy()
        reach = max(1, int(round(PIECE_REACH_MM * PX_PER_MM)))
        edges = np.linspace(0, w, pieces + 1).astype(int)
        for a, b in zip(edges, edges[1:]):
            px, py = _align_near(dark, reference.darkness, (x0 + a, y0, x0 + b, y1), (dx, dy),
                                 reach)
            window[:, a:b] = dark[y0 + py:y1 + py, x0 + a + px:x0 + b + px]
    if stroke_mm is not None:
        window = above_background(window, stroke_mm=stroke_mm, solid=1.0)
    printed = reference.printed[y0:y0 + h, x0:x0 + w]
    return (window > ink_darkness) & ~printed, printed, (x0, y0)


PIECE_REACH_MM = 0.5  # each piece of a text is aligned again this far around the whole's shift


def _align_near(dark: np.ndarray, reference: np.ndarray, bounds: tuple[int, int, int, int],
                around: tuple[int, int], reach: int) -> tuple[int, int]:
    """Shift, within ``reach`` pixels of ``around``, of the scan that best matches the blank
    ballot's print within ``bounds``; ``around`` itself where little is printed there or the
    search would leave the page."""
    x0, y0, x1, y1 = bounds
    template = reference[y0:y1, x0:x1]
    ax, ay = around
    if template.std() < 0.05 or y0 + ay < reach or x0 + ax < reach:
        return around
    window = dark[y0 + ay - reach:y1 + ay + reach, x0 + ax - reach:x1 + ax + reach]
    if window.shape != (template.shape[0] + 2 * reach, template.shape[1] + 2 * reach):
        return around
    match = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _, _, _, (bx, by) = cv2.minMaxLoc(match)
    return (ax + bx - reach, ay + by - reach)


def _align(dark: np.ndarray, reference: np.ndarray, bounds: tuple[int, int, int, int],
           reach_mm: float) -> tuple[int, int]:
    """Shift (dx, dy), within ``reach_mm``, of the scan that best matches the blank ballot's
    print within ``bounds``."""
    x0, y0, x1, y1 = bounds
    template = reference[y0:y1, x0:x1]
    reach = max(1, int(reach_mm * PX_PER_MM))
    if template.std() < 0.05 or y0 < reach or x0 < reach:
        return (0, 0)  # nothing printed to align on (a free area), or at the page's edge
    window = dark[y0 - reach:y1 + reach, x0 - reach:x1 + reach]
    if window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1]:
        return (0, 0)
    # Coarse to fine: the best shift at half resolution, then the best of the full-resolution
    # shifts within a pixel of it (a sixth of the work of matching every shift at full).
    match = cv2.matchTemplate(cv2.pyrDown(window), cv2.pyrDown(template), cv2.TM_CCOEFF_NORMED)
    _, _, _, (cx, cy) = cv2.minMaxLoc(match)
    fx = min(max(2 * cx - 1, 0), 2 * reach - 2)
    fy = min(max(2 * cy - 1, 0), 2 * reach - 2)
    near = window[fy:fy + template.shape[0] + 2, fx:fx + template.shape[1] + 2]
    match = cv2.matchTemplate(near, template, cv2.TM_CCOEFF_NORMED)
    _, _, _, (bx, by) = cv2.minMaxLoc(match)
    return (fx + bx - reach, fy + by - reach)


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


def _render_reference(layout: Layout, page_index: int) -> Reference:
    pdf = render_pdf(layout, Batch("AAAAAAAAAA", 1, None), _REFERENCE_KEY)
    document = pdfium.PdfDocument(pdf)
    grey = document[page_index].render(scale=PX_PER_MM * 25.4 / 72, grayscale=True).to_numpy()
    size = (int(round(layout.width * PX_PER_MM)), int(round(layout.height * PX_PER_MM)))
    if grey.shape[::-1] != size:
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    grow = int(round(REFERENCE_GROW_MM * PX_PER_MM)) * 2 + 1
    printed = cv2.dilate((grey < 200).astype(np.uint8), np.ones((grow, grow), np.uint8))
    return Reference((1.0 - grey.astype(np.float32) / 255.0), printed.astype(bool))
