"""Find the printed table on a scanned page, for registration when the discs are lost.

The QR code's first guess (``register._first_guess``) puts the table within a few millimetres of
where it is, even on a sheet skewed 10°. Around that guess the box outlines of a few rows are
looked for (as ``score.find_outline`` does after registration, but farther: ``reach_mm``), and
an affine placement is fitted to their centres with RANSAC, so that a heavy mark or a stamp over
a few of them cannot pull it. Every other box and every cell of the table (the rectangle between
its rules, across the whole width of the page) is then looked for near where that placement puts
it, and the placement is fitted again to all of them. An outline counts as found only when its
ring is clearly darker than its inside (``min_contrast``), so paper beyond the scan area or a
covered table finds nothing.
The caller (``register``) passes the limits, from the reader's settings
(``ReaderSettings.table_reach_mm`` and the rest of its registration section), and checks the
result.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import GRID_LINE_MM, PageLayout, Rect
from omr.register import PX_PER_MM
from omr.score import RANSAC_SEED


@dataclass(frozen=True)
class TablePoints:
    """Outlines of the table that agree with one affine placement of the table.

    ``layout_mm`` (N, 2) are their centres in the layout, ``image_px`` (N, 2) where they were
    found in the scan; ``agreeing`` is N over the number of outlines looked for.
    """

    layout_mm: np.ndarray
    image_px: np.ndarray
    agreeing: float
    searched: int


def find_table(image: np.ndarray, page: PageLayout, box_line_mm: float, guess: np.ndarray, *,
               reach_mm: float, coarse_rows: int, fine_reach_mm: float, tolerance_mm: float,
               min_contrast: float) -> TablePoints | None:
    """The table's outlines found in ``image`` (H, W) uint8 around ``guess`` (3 × 3, layout mm →
    image px), and the affine placement most of them agree with; None when too few outlines
    were found to place anything.

    The search runs on the table region resampled by ``guess`` at PX_PER_MM. The box outlines of
    about ``coarse_rows`` rows spread over the table, the most distinctive outlines, are looked
    for within ``reach_mm``; the other boxes and the cells then within ``fine_reach_mm`` of where
    those put them (searching far is slow).
    An outline found must have a ring ``min_contrast`` darker than its inside, and agree with the
    placement within ``tolerance_mm``.
    """
    margin = reach_mm + 2.0
    table = page.table
    ox, oy = table.x - margin, table.y - margin
    size = (int(np.ceil((table.w + 2 * margin) * PX_PER_MM)),
            int(np.ceil((table.h + 2 * margin) * PX_PER_MM)))
    to_region = np.array([[PX_PER_MM, 0, -0.5 - PX_PER_MM * ox],  # layout mm → region px
                          [0, PX_PER_MM, -0.5 - PX_PER_MM * oy], [0, 0, 1.0]])
    region_from_image = to_region @ np.linalg.inv(guess)
    region = cv2.warpPerspective(image, region_from_image, size, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    # Darkness 0 (paper) … 1 (the print's black), taken over the whole region: only a ring's
    # contrast with its own inside, a few millimetres away, is compared, so uneven lighting does
    # not matter, but a grey scan or a pale print must not look fainter than a crisp one.
    paper, black = np.percentile(region[::4, ::4], (90, 0.5))
    span = max(float(paper - black), 40.0)  # never divide by a tiny contrast (a blank region)
    dark = np.clip((float(paper) - cv2.medianBlur(region, 3).astype(np.float32)) / span, 0, 1)
    integral = cv2.integral(dark)

    def search(outlines: list[Rect], line_mm: float, reach: float,
               model: np.ndarray | None) -> tuple[list, list]:
        """Layout and found centres (region px) of the outlines found."""
        layout_px, found_px = [], []
        for rect in outlines:
            local = Rect(rect.x - ox, rect.y - oy, rect.w, rect.h)
            centre = np.array(local.centre) * PX_PER_MM - 0.5
            around = (0, 0)
            if model is not None:
                dx, dy = np.round(model[:, :2] @ centre + model[:, 2] - centre)
                around = (int(dx), int(dy))
            shift, contrast = _find_outline(integral, local, line_mm, around, reach)
            if contrast >= min_contrast:  # else nothing printed here: beyond the scan area,
                layout_px.append(centre)  # covered, or under heavy ink
                found_px.append(centre + shift)
        return layout_px, found_px

    def fit(layout_px: list, found_px: list) -> tuple[np.ndarray | None, np.ndarray]:
        if len(layout_px) < 3:
            return None, np.zeros(len(layout_px), bool)
        cv2.setRNGSeed(RANSAC_SEED)  # the same page always reads the same, whatever came before
        model, inliers = cv2.estimateAffine2D(np.asarray(layout_px, np.float64),
                                              np.asarray(found_px, np.float64),
                                              method=cv2.RANSAC, maxIters=2000,
                                              ransacReprojThreshold=tolerance_mm * PX_PER_MM)
        if model is None or inliers is None:
            return None, np.zeros(len(layout_px), bool)
        return model, inliers.ravel().astype(bool)

    every = max(1, len(page.rows) // coarse_rows)
    coarse = [box for row in page.rows[::every] for box in row.boxes]
    others = [box for row in page.rows for box in row.boxes if box not in coarse]
    cells = [Rect(x0, y0, x1 - x0, y1 - y0) for y0, y1 in zip(page.rule_y, page.rule_y[1:])
             for x0, x1 in zip(page.column_x, page.column_x[1:])]
    src, dst = search(coarse, box_line_mm, reach_mm, None)
    model, _ = fit(src, dst)
    if model is None:
        return None
    for outlines, line_mm in ((others, box_line_mm), (cells, GRID_LINE_MM)):
        more_src, more_dst = search(outlines, line_mm, fine_reach_mm, model)
        src, dst = src + more_src, dst + more_dst
    model, keep = fit(src, dst)
    if model is None:
        return None
    image_from_region = np.linalg.inv(region_from_image)
    found = np.column_stack([np.asarray(dst, np.float64)[keep], np.ones(int(keep.sum()))]) \
        @ image_from_region.T
    layout_mm = (np.asarray(src, np.float64)[keep] + 0.5) / PX_PER_MM + (ox, oy)
    searched = len(coarse) + len(others) + len(cells)
    return TablePoints(layout_mm, found[:, :2] / found[:, 2:3], float(keep.sum()) / searched,
                       searched)


def find_skew(image: np.ndarray, page: PageLayout, guess: np.ndarray, *, max_deg: float,
              step_deg: float, px_per_mm: float) -> float:
    """How far (degrees, as in ``register._rotated``) the page is turned from ``guess``, for a
    guess that knows no rotation (a QR code without corners): the angle that makes the table's
    horizontal rules sharpest in the profile of its rows.

    Looks at the table region, grown by how far a turn of ``max_deg`` about the QR code moves
    it, resampled at ``px_per_mm``.
    """
    table = page.table
    reach = np.hypot(*(np.array(page.qr.centre) - (table.x, table.bottom)))
    margin = reach * np.sin(np.radians(max_deg)) + 5.0
    ox, oy = table.x - margin, table.y - margin
    size = (int((table.w + 2 * margin) * px_per_mm), int((table.h + 2 * margin) * px_per_mm))
    to_region = np.array([[px_per_mm, 0, -px_per_mm * ox], [0, px_per_mm, -px_per_mm * oy],
                          [0, 0, 1.0]])
    region = cv2.warpPerspective(image, to_region @ np.linalg.inv(guess), size,
                                 flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    dark = 255 - region
    centre = (size[0] / 2, size[1] / 2)

    def sharpness(angle: float) -> float:
        turned = cv2.warpAffine(dark, cv2.getRotationMatrix2D(centre, angle, 1.0), size)
        # Rules are sharp steps in the profile; a dark band (the scanner's edge) is one step.
        return float((np.diff(turned.sum(axis=1, dtype=np.float64)) ** 2).sum())

    coarse = 4 * step_deg  # every fourth step first, then the steps around the best of those
    best = max(np.arange(-max_deg, max_deg + coarse / 2, coarse), key=sharpness)
    return float(max(best + step_deg * np.arange(-3, 4), key=sharpness))


def _find_outline(integral: np.ndarray, rect: Rect, line_mm: float, around: tuple[int, int],
                  reach_mm: float) -> tuple[np.ndarray, float]:
    """Shift (dx, dy) in pixels, within ``reach_mm`` of ``around``, that best fits the printed
    outline of ``rect``, and its contrast: the mean darkness of a ring along the outline less the
    mean darkness inside (``score.find_outline``'s measure, on the region's ``integral``)."""
    pad = int(np.ceil(reach_mm * PX_PER_MM))
    line = max(1, int(round(line_mm * PX_PER_MM)))  # ring a little wider than the outline
    x0, y0 = int(round(rect.x * PX_PER_MM)), int(round(rect.y * PX_PER_MM))
    w = int(round(rect.right * PX_PER_MM)) - x0
    h = int(round(rect.bottom * PX_PER_MM)) - y0
    dy, dx = np.mgrid[-pad:pad + 1, -pad:pad + 1].reshape(2, -1)
    dx, dy = dx + around[0], dy + around[1]
    ax, ay = x0 + dx - line, y0 + dy - line  # outer corner of the ring per shift
    ok = (ax >= 0) & (ay >= 0) & (ax + w + 2 * line < integral.shape[1]) & \
        (ay + h + 2 * line < integral.shape[0])
    if not ok.any():
        return np.zeros(2), 0.0
    dx, dy, ax, ay = dx[ok], dy[ok], ax[ok], ay[ok]
    outer = _sums(integral, ax, ay, w + 2 * line, h + 2 * line)
    inner = _sums(integral, ax + 2 * line, ay + 2 * line, w - 2 * line, h - 2 * line)
    inner_area = (w - 2 * line) * (h - 2 * line)
    ring_area = (w + 2 * line) * (h + 2 * line) - inner_area
    contrast = (outer - inner) / ring_area - inner / inner_area
    # On a tie, prefer where we were told to look.
    best = int(np.argmax(contrast - 0.002 * (np.abs(dx - around[0]) + np.abs(dy - around[1]))))
    return np.array([dx[best], dy[best]], float), float(contrast[best])


def _sums(integral: np.ndarray, x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Sums of the w × h rectangles at (x, y) (arrays) from an integral image."""
    return integral[y + h, x + w] - integral[y, x + w] - integral[y + h, x] + integral[y, x]
