"""The agency's red stamp (*dấu treo*) on a colour scan: is it on the ballot?

The committee stamps every ballot before issue, over the organisation's name, in the stamp area
the layout reserves (``PageLayout.stamp``, top left). A grey or black-and-white photocopy of an
issued ballot lacks it, and so does a sheet printed from the PDF but never issued. Only a colour
scan can show it: a grey or black-and-white scan always *cannot tell*, and says so.

Red is told against the page's own paper. Each channel of the page is divided by the paper's
around each pixel (:func:`local_paper`), so a scanner's colour cast, uneven lighting and the
paper's tint cancel and what remains is the colour of the ink: black print and pencil have
none, a blue pen is blue, the stamp red.
Two things a scanner does would make black print look coloured at its edges, and are undone
first. A contact sensor reads its red, green and blue lines one after the other as the sheet
moves: the channels are out of step by a fraction of a pixel along the feed, which leaves a red
fringe along one side of every printed stroke and a cyan one along the other. The step is
measured on the page's QR code (black print only, always on the scan of a ballot we identified)
and each channel resampled back into step. What is left, and JPEG's subsampled colour, is
smoothed over ``SMOOTH_MM`` before it is judged.

The whole header is looked at (:func:`header`), so a stamp put elsewhere in it is seen, and
faint red beside red ink, so a stamp that barely left ink is seen too. :func:`measure_stamp`
returns raw measurements; :func:`stamp_status` turns them into
``stamped``, ``not_stamped`` or ``cannot_tell`` against the reader's settings: a stamp that is
there but shifted, partly off the area or faint is ``stamped`` when enough of its ink is in the
area, and ``cannot_tell`` otherwise, never ``not_stamped``. :func:`stamp_flags` says what the
conference's stamp check makes of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import Layout, PageLayout, Rect
from ballotgen.vocabulary import Flag, StampStatus
from omr.load import PageImage, Planes
from omr.reading import StampReading
from omr.register import Registration
from omr.settings import ReaderSettings

# How the page is looked at (not what is accepted: the limits are ReaderSettings).
GRID_PX_PER_MM = 2.0  # the header is measured on this grid (a stamp's lines are 0.7 mm)
EDGE_MM = 4.0  # the sheet's edges, where nothing is printed (layout.MARGIN_MM: 15 mm)
SCAN_EDGE_PX = 4  # … and the scanned image's (pixels of the colour copy)
SMOOTH_MM = 0.35  # colour smoothed over this (sd) before it is judged
PAPER_PERCENTILE = 90  # the page's paper, recorded: this percentile of each channel
PAPER_WINDOW_MM = 10.0  # each pixel's paper: the brightest within this (a stamp's line: 0.7)
PAPER_BLOCK_MM = 2.0  # … of the page averaged in blocks this wide: the scanner's grain out
PRINT_DARK = 0.6  # print: green below this share of its paper (a stamp's ink keeps 0.75 or more
#                   at the simulator's faintest, stamp_faint_chroma's faint red more still)
PRINT_CLEAR_MM = 0.5  # faint red is looked for this far from dark print
SPREAD_PERCENTILE = 99.9  # a page's colour: how far its channels differ at this percentile
QR_MARGIN_MM = 1.0  # the colour lines' step is measured on the QR code and this much around it
MAX_STEP_PX = 2.0  # a step found larger than this (pixels of the colour copy) is not a step

GREY_SCAN = "the page was scanned in grey or black and white: only a colour scan shows the stamp"
NO_COLOUR = "the scan holds no colour (a grey scan saved as colour): only a colour scan shows it"


@dataclass(frozen=True)
class StampMeasure:
    """Raw measurements of red ink on one page (see :func:`measure_stamp`)."""

    red_mm2: float  # red ink inside the stamp area
    elsewhere_mm2: float  # red ink in the rest of the header (see header)
    faint_mm2: float  # … and inside the area, red too faint to be ink, or ink (a faint stamp)
    on_scan: float  # share of the stamp area inside the scanned image, 0..1
    spread: float  # grey levels the page's channels differ by (0: a grey image stored as colour)
    paper: tuple[int, int, int]  # BGR of the page's paper (the scanner's cast and the tint)
    steps_px: tuple[tuple[float, float], ...]  # blue's and red's step from green (colour px)


def read_stamp(page: PageImage, registration: Registration, layout: Layout,
               page_layout: PageLayout, s: ReaderSettings) -> StampReading:
    """The stamp on a registered ballot page: measured on its colour copy, and decided."""
    if page.colour is None:
        return StampReading(StampStatus.CANNOT_TELL, GREY_SCAN, colour=False)
    m = measure_stamp(page.colour, to_colour_copy(page, registration), layout, page_layout, s)
    status, reason = stamp_status(m, s)
    return StampReading(status, reason, colour=m.spread > s.stamp_colour_min,
                        red_mm2=round(m.red_mm2, 1), elsewhere_mm2=round(m.elsewhere_mm2, 1),
                        faint_mm2=round(m.faint_mm2, 1), on_scan=round(m.on_scan, 3),
                        spread=round(m.spread, 1), paper=m.paper)


def measure_stamp(planes: Planes, to_colour: np.ndarray, layout: Layout, page: PageLayout,
                  s: ReaderSettings) -> StampMeasure:
    """Red ink inside the stamp area of ``page``, and elsewhere in its header (see
    :func:`header`).

    Parameters
    ----------
    planes : three (H, W) uint8
        The page's colour copy: blue, green, red.
    to_colour : (3, 3) float
        Takes layout millimetres to pixels of ``planes``.
    """
    area, band, g = page.stamp, header(layout, page), GRID_PX_PER_MM
    steps = colour_steps(planes, to_colour, page.qr)
    size = (round(band.w * g), round(band.h * g))
    grid_to_colour = to_colour @ _grid(g, band.x, band.y)
    grid = _resample(planes, grid_to_colour, size, steps)
    scanned = _on_scan_mask(grid_to_colour, size, planes[0].shape)
    paper = tuple(max(_percentile(c, PAPER_PERCENTILE, scanned), 1) for c in grid)
    spread = cv2.subtract(cv2.max(cv2.max(grid[0], grid[1]), grid[2]),
                          cv2.min(cv2.min(grid[0], grid[1]), grid[2]))
    paper_planes = local_paper(grid, px_per_mm=g)
    level = red_ink(grid, paper_planes, px_per_mm=g,
                    chroma_min=(s.stamp_faint_chroma, s.stamp_chroma_min),
                    hue_deg=(s.stamp_hue_min_deg, s.stamp_hue_max_deg), red_min=s.stamp_red_min)
    level[scanned == 0] = 0
    level[(level == 1) & near_print(grid[1], paper_planes[1], px_per_mm=g)] = 0
    x0, y0, x1, y1 = (round((v - o) * g) for v, o in ((area.x, band.x), (area.y, band.y),
                                                           (area.right, band.x),
                                                           (area.bottom, band.y)))
    in_area = level[max(y0, 0):y1, max(x0, 0):x1]
    inside = int(np.count_nonzero(in_area == 2))
    area_scanned = scanned[max(y0, 0):y1, max(x0, 0):x1]
    return StampMeasure(
        red_mm2=inside / g ** 2,
        elsewhere_mm2=(int(np.count_nonzero(level == 2)) - inside) / g ** 2,
        faint_mm2=int(np.count_nonzero(in_area)) / g ** 2,
        on_scan=float(np.count_nonzero(area_scanned)) / max(area_scanned.size, 1),
        spread=float(_percentile(spread, SPREAD_PERCENTILE, scanned)),
        paper=paper,  # type: ignore[arg-type]
        steps_px=tuple((round(dx, 3), round(dy, 3)) for dx, dy in steps))


def header_view(planes: Planes, to_colour: np.ndarray, layout: Layout, page: PageLayout, *,
                px_per_mm: float) -> np.ndarray:
    """The page's header (:func:`header`) in colour, in layout coordinates at ``px_per_mm``,
    the scanner's colour lines back in step: (H, W, 3) uint8 BGR, for a reviewer's eyes."""
    band = header(layout, page)
    size = (round(band.w * px_per_mm), round(band.h * px_per_mm))
    steps = colour_steps(planes, to_colour, page.qr)
    return cv2.merge(_resample(planes, to_colour @ _grid(px_per_mm, band.x, band.y), size,
                               steps))


def to_colour_copy(page: PageImage, registration: Registration) -> np.ndarray:
    """Takes layout mm to pixels of ``page``'s colour copy (3 × 3)."""
    scale = 1.0 / page.colour_scale
    return np.diag([scale, scale, 1.0]) @ registration.matrix


def header(layout: Layout, page: PageLayout) -> Rect:
    """Where a stamp is looked for: the page's header, across the sheet, down to its table
    (and at least the stamp area), but for a strip along the sheet's edges (``EDGE_MM``),
    where the scanner's background shows beside a sheet askew. A committee stamps the header;
    a stamp over the table or below it is not looked for."""
    e = EDGE_MM
    return Rect(e, e, layout.width - 2 * e, max(page.table.y, page.stamp.bottom) - e)


def local_paper(channels: Planes, *, px_per_mm: float) -> Planes:
    """Each channel's paper around every pixel: the brightest within PAPER_WINDOW_MM of the
    page averaged over PAPER_BLOCK_MM (the scanner's grain averaged out), smoothed. Ink is darker
    than its paper in every channel it absorbs, and no wider than a stamp's line. Local, because
    lighting darkens a page unevenly and a channel whose gain lifts the paper past white clips
    only where the page is brightest: divided by one paper for the page, such a channel would
    leave a tint where the page is darker."""
    h, w = channels[0].shape
    step = max(1, round(PAPER_BLOCK_MM * px_per_mm))
    small = (max(1, w // step), max(1, h // step))
    size = 2 * int(PAPER_WINDOW_MM / PAPER_BLOCK_MM / 2) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return tuple(cv2.resize(cv2.GaussianBlur(cv2.dilate(cv2.resize(c, small,
                                                                   interpolation=cv2.INTER_AREA),
                                                        kernel), (0, 0), size / 4),
                            (w, h), interpolation=cv2.INTER_LINEAR)
                 for c in channels)  # type: ignore[return-value]


def near_print(green: np.ndarray, paper: np.ndarray, *, px_per_mm: float) -> np.ndarray:
    """Where a page (its green channel and that channel's local paper) is within
    PRINT_CLEAR_MM of dark print: (H, W) bool. The edges of black print and of dust are tinted
    by anything that treats the scanner's channels unequally (a channel clipped at the paper's
    white, JPEG's colour): faintly red there is not a faint stamp."""
    dark = (green.astype(np.float32) < paper.astype(np.float32) * PRINT_DARK).astype(np.uint8)
    size = 2 * int(np.ceil(PRINT_CLEAR_MM * px_per_mm)) + 1
    return cv2.dilate(dark, np.ones((size, size), np.uint8)) > 0


def red_ink(channels: Planes, paper: Planes | tuple[int, ...], *, px_per_mm: float,
            chroma_min: tuple[float, float], hue_deg: tuple[float, float],
            red_min: float = 0.0) -> np.ndarray:
    """How red a page is (its blue, green and red, (H, W) uint8 each, on a grid of
    ``px_per_mm``): (H, W) uint8, 2 where red ink, 1 where faintly red, 0 elsewhere.

    Each channel is divided by its ``paper`` (one level each, or the local paper: planes like
    the channels). A pixel's colour is its red-green component
    ``r - (g + b) / 2`` and its yellow-blue one ``(g - b) · √3 / 2`` (0 for any grey), smoothed
    over ``SMOOTH_MM``. It is red when its hue (0° red, +60° yellow, -60° magenta) lies within
    ``hue_deg`` and its red channel is at least ``red_min`` (of its paper: red ink takes little
    red, dark print takes it all, and what colour dark print shows is the scanner's), faintly
    so when its colour is at least ``chroma_min[0]`` strong, red ink at ``chroma_min[1]``.
    """
    balanced: list[np.ndarray]
    if isinstance(paper[0], np.ndarray):
        balanced = [np.asarray(cv2.divide(c, np.maximum(p, 1), dtype=cv2.CV_32F))
                    for c, p in zip(channels, paper)]
    else:
        balanced = [c.astype(np.float32) / float(max(p, 1)) for c, p in zip(channels, paper)]
    b, g, r = balanced
    red_green = r - (g + b) * 0.5
    yellow_blue = (g - b) * float(np.sqrt(3.0) / 2)
    sigma = SMOOTH_MM * px_per_mm
    kernel = 2 * int(np.ceil(3 * sigma)) + 1
    red_green = cv2.GaussianBlur(red_green, (kernel, kernel), sigma)
    yellow_blue = cv2.GaussianBlur(yellow_blue, (kernel, kernel), sigma)
    low, high = (float(np.tan(np.deg2rad(h))) for h in hue_deg)
    faint, ink = chroma_min
    # Only pixels red enough in the red-green component can pass (most of a page is not).
    reach = faint * min(np.cos(np.deg2rad(hue_deg[0])), np.cos(np.deg2rad(hue_deg[1])))
    where = np.flatnonzero(red_green > reach)
    rg, yb = red_green.ravel()[where], yellow_blue.ravel()[where]
    strength = rg * rg + yb * yb
    red = (strength >= faint * faint) & (yb >= low * rg) & (yb <= high * rg) & \
        (r.ravel()[where] >= red_min)
    level = np.zeros(red_green.shape, np.uint8)
    level.ravel()[where[red]] = 1 + (strength[red] >= ink * ink)
    return level


def colour_steps(planes: Planes, to_colour: np.ndarray,
                 qr: Rect) -> tuple[tuple[float, float], tuple[float, float]]:
    """How far (dx, dy pixels of ``planes``) the blue and the red channel are out of step with
    the green one, measured on the QR code (``qr``, layout mm): black print, neutral, so any
    difference between the channels along its edges is the step. ``(0, 0)`` each when the code
    is not wholly on the scan or the step found is implausible."""
    corners = _apply(to_colour, np.array([[qr.x - QR_MARGIN_MM, qr.y - QR_MARGIN_MM],
                                          [qr.right + QR_MARGIN_MM, qr.y - QR_MARGIN_MM],
                                          [qr.right + QR_MARGIN_MM, qr.bottom + QR_MARGIN_MM],
                                          [qr.x - QR_MARGIN_MM, qr.bottom + QR_MARGIN_MM]]))
    h, w = planes[0].shape
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    none = ((0.0, 0.0), (0.0, 0.0))
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h or x1 - x0 < 8 or y1 - y0 < 8:
        return none
    crops = [plane[y0:y1, x0:x1] for plane in planes]  # each over its paper (the quiet zone)
    crops = [c.astype(np.float32) / float(max(_percentile(c, PAPER_PERCENTILE), 1))
             for c in crops]
    green = crops[1]
    gx = cv2.Sobel(green, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(green, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    normal = np.array([[float((gx * gx).sum()), float((gx * gy).sum())],
                       [float((gx * gy).sum()), float((gy * gy).sum())]])
    if np.linalg.det(normal) <= 1e-9:
        return none
    steps = []
    for crop in (crops[0], crops[2]):  # one Gauss-Newton step: within 0.1 px for a step of 1
        diff = crop - green
        step = np.linalg.solve(normal, [-float((gx * diff).sum()), -float((gy * diff).sum())])
        steps.append((float(step[0]), float(step[1])) if np.abs(step).max() <= MAX_STEP_PX
                     else (0.0, 0.0))
    return steps[0], steps[1]


def stamp_status(m: StampMeasure, s: ReaderSettings) -> tuple[StampStatus, str]:
    """``stamped``, ``not_stamped`` or ``cannot_tell`` (with the reason) from ``m``.

    The stamp is there when the area holds ``stamp_present_mm2`` of red ink. It is not there
    only when the area is on the scan and holds almost none (``stamp_absent_mm2``), nor much
    faint red (``stamp_faint_mm2``), and the rest of the header no stamp either
    (``stamp_elsewhere_mm2``); anything between cannot tell.
    """
    cannot = StampStatus.CANNOT_TELL
    if m.spread <= s.stamp_colour_min:
        return cannot, NO_COLOUR
    if m.red_mm2 >= s.stamp_present_mm2:
        return StampStatus.STAMPED, ""
    if m.on_scan < s.stamp_min_on_scan:
        return cannot, (f"only {m.on_scan:.0%} of the stamp area is on the scan, with "
                        f"{m.red_mm2:.0f} mm² of red ink")
    if m.red_mm2 > s.stamp_absent_mm2:
        return cannot, (f"{m.red_mm2:.0f} mm² of red ink in the stamp area: too little for a "
                        "stamp, too much for none (a faint or shifted stamp?)")
    if m.faint_mm2 > s.stamp_faint_mm2:
        return cannot, (f"{m.faint_mm2:.0f} mm² of faint red in the stamp area (a stamp that "
                        "barely left ink?)")
    if m.elsewhere_mm2 >= s.stamp_elsewhere_mm2:
        return cannot, (f"no stamp in its area, but {m.elsewhere_mm2:.0f} mm² of red ink "
                        "elsewhere in the header (a stamp put elsewhere?)")
    return StampStatus.NOT_STAMPED, ""


def stamp_flags(stamp: StampReading | None, *, required: bool,
                first_page: bool) -> tuple[Flag, ...]:
    """The flags the conference's stamp check raises for a page whose stamp reads ``stamp``.

    Only with the check ``required``, and only on a ballot's first sheet, where the agency's
    stamp goes (a sheet of a later page that is not genuine leaves its ballot's own page
    missing). A colour scan without the stamp is ``missing_stamp``; one where the reader cannot
    tell (a stamp partly off its area, faint, elsewhere) is ``stamp_unclear``. A grey or
    black-and-white scan raises nothing: it cannot show the stamp (the scan summary and the
    minutes say how many ballots went unchecked).
    """
    if not required or not first_page or stamp is None or not stamp.colour:
        return ()
    if stamp.status == StampStatus.NOT_STAMPED:
        return (Flag.MISSING_STAMP,)
    return (Flag.STAMP_UNCLEAR,) if stamp.status == StampStatus.CANNOT_TELL else ()


def _grid(px_per_mm: float, x0_mm: float, y0_mm: float) -> np.ndarray:
    """Takes pixels of a grid of ``px_per_mm`` whose corner is at (x0, y0) mm to layout mm."""
    return np.array([[1 / px_per_mm, 0, x0_mm + 0.5 / px_per_mm],
                     [0, 1 / px_per_mm, y0_mm + 0.5 / px_per_mm], [0, 0, 1]])


def _resample(planes: Planes, grid_to_colour: np.ndarray, size: tuple[int, int],
              steps: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, 0.0))) -> Planes:
    """Each plane resampled on a grid (``grid_to_colour``: grid px → colour px) of ``size``,
    the blue and red ones moved back into step with the green (``steps``). Beyond the scan,
    each repeats the scan's edge (a plane moved by its step would otherwise meet the others'
    border a pixel apart, which looks coloured)."""
    shifts = (steps[0], (0.0, 0.0), steps[1])
    out = []
    for plane, (dx, dy) in zip(planes, shifts):
        matrix = np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]]) @ grid_to_colour
        out.append(cv2.warpPerspective(plane, matrix, size,
                                       flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                       borderMode=cv2.BORDER_REPLICATE))
    return out[0], out[1], out[2]


def _percentile(channel: np.ndarray, q: float, mask: np.ndarray | None = None) -> int:
    """The ``q``-th percentile of an (H, W) uint8 image (where ``mask``), from its histogram."""
    counts = np.cumsum(cv2.calcHist([channel], [0], mask, [256], [0, 256]).ravel())
    return int(np.searchsorted(counts, q / 100.0 * counts[-1])) if counts[-1] else 0


def _on_scan_mask(grid_to_colour: np.ndarray, size: tuple[int, int],
                  shape: tuple[int, ...]) -> np.ndarray:
    """Where a grid of ``size`` (W, H) lies on the scanned image (of ``shape``), at least
    SCAN_EDGE_PX inside its edge (beyond it, the resampled planes repeat the edge): (H, W)
    uint8, 255 on the scan."""
    h, w = shape[:2]
    e = SCAN_EDGE_PX
    corners = np.array([[e, e], [w - 1 - e, e], [w - 1 - e, h - 1 - e], [e, h - 1 - e]], float)
    polygon = _apply(np.linalg.inv(grid_to_colour), corners)
    mask = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillConvexPoly(mask, np.round(polygon * 16).astype(np.int32), 255, cv2.LINE_8, 4)
    return mask


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points`` (n, 2) through the 3 × 3 ``matrix``."""
    mapped = np.column_stack([points, np.ones(len(points))]) @ matrix.T
    return mapped[:, :2] / mapped[:, 2:]
