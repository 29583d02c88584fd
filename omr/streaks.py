"""Scanner streaks: thin dark lines down the whole page, taken away before the page is read.

A speck of dust or a scratch on the glass of a sheet feeder's scan line draws the same thin line
on every page, along the feed: a column of the image, from its top edge to its bottom one, through
paper, print and marks alike. Across a column of boxes it is a straight dark line right across
each of them, which the reader must otherwise treat as a slash (a slash may be a vote), and every
row of that column would go to a human.

Nothing printed on a ballot runs the page's full height: the table's rules stop at the table,
and a skewed sheet turns them off the image's columns. So a column that is a thin dark line
against its neighbours (``streak_contrast`` grey levels darker than the pixels
``streak_width_mm`` to either side) along ``streak_min_coverage`` of the image's height, its top
and bottom tenths included, is a streak. It is filled in from the pixels either side of it: on
paper that leaves paper, and where a mark's stroke or a printed rule crosses the streak, both
sides are dark and so is the fill, so no mark loses its ink.
"""

from __future__ import annotations

import numpy as np

from omr.load import px_per_mm
from omr.settings import ReaderSettings

STREAK_ROW_STEP = 4  # the columns' profile is taken on every 4th row of the image
STREAK_END_SHARE = 0.1  # the top and bottom tenths of the image must show the line too


def find_streaks(grey: np.ndarray, dpi: float | None, s: ReaderSettings
                 ) -> list[tuple[int, int]]:
    """The streaks of ``grey`` (H, W) uint8 as column spans ``(first, last)`` (inclusive);
    none when ``s.streak_contrast`` is 0."""
    h, w = grey.shape
    if not s.streak_contrast or h < 20 or w < 20:
        return []
    k = max(2, int(round(s.streak_width_mm * px_per_mm(grey, dpi))))
    if w <= 2 * k:
        return []
    dark = 255 - grey[::STREAK_ROW_STEP].astype(np.int16)
    sides = np.maximum(dark[:, :-2 * k], dark[:, 2 * k:])
    line = dark[:, k:-k] - sides >= s.streak_contrast  # (rows, w - 2k): column x is x + k
    rows = line.shape[0]
    end = max(1, int(rows * STREAK_END_SHARE))
    covered = (line.mean(axis=0) >= s.streak_min_coverage) \
        & (line[:end].mean(axis=0) >= 0.5) & (line[-end:].mean(axis=0) >= 0.5)
    columns = np.flatnonzero(covered) + k
    spans: list[tuple[int, int]] = []
    for x in columns.tolist():
        if spans and x <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], x)
        else:
            spans.append((x, x))
    # A streak is thin: a wider dark band down the page is not one (and is not filled in).
    return [(a, b) for a, b in spans if b - a + 1 <= k]


def remove_streaks(grey: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """``grey`` with each span of columns (:func:`find_streaks`), and the pixel either side of
    it (its blurred edges), filled in row by row from the pixels just outside."""
    if not spans:
        return grey
    out = grey.copy()
    w = grey.shape[1]
    for first, last in spans:
        a, b = max(first - 2, 0), min(last + 2, w - 1)  # the columns kept either side
        left = grey[:, a].astype(np.float32)[:, None]
        right = grey[:, b].astype(np.float32)[:, None]
        t = (np.arange(a + 1, b, dtype=np.float32) - a) / (b - a)
        out[:, a + 1:b] = np.round(left + (right - left) * t[None, :]).astype(np.uint8)
    return out
