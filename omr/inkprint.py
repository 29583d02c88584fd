"""The voter's ink on a ballot page as a compact signature, to tell a sheet scanned twice.

Without ``--serials`` every copy of a ballot carries the same code, so two scans of one sheet
differ from two sheets of voters who marked the same choices only by the ink: where in each box
the strokes lie, their shape, size and slant, and the stray ink around the table. This module
measures that ink on the registered page and compares two pages' measurements; the stack
(``tally.ballots``) decides which ballots are the same sheet.

**The signature** (:func:`ink_signature`), measured on the registered page (``PX_PER_MM``, so a
new resolution or skew does not change it):

- around every box holding ink, a patch ``PATCH_MM`` square centred on the box's printed
  outline as found (a registration a little off moves the patch with the box), in cells of
  ``CELL_MM``. Its *new ink* is the darkness above the paper's own background (the reader's
  top-hat: a stain or a shadow is not ink) and above the patch's paper, where the blank ballot
  is white (the printed outline never counts). It is kept as the strokes' **shape**: each pixel
  as a share of the patch's ink peak, the faintest left out (a rescan's tone curve, blur, JPEG
  and stains change how dark a stroke is, not where it runs); each cell is the mean, in 16
  levels. A box is kept when a cell reaches ``KEEP_LEVEL``: about 200 bytes a box;
- stray ink: across the table's rows (names, positions, the rules' gaps) and the write-in band,
  out of the boxes' patches and away from where voters sign (masked in archives with
  signatures masked, and a signature is not kept in another form), the cells of
  ``STRAY_CELL_MM`` that hold new ink, each in 16 levels.

The text stored is ``FORMAT:`` and the base64 of the boxes (index, packed cells) and the stray
cells (index, level): 1-2 kB for a page of 5 persons.

**The comparison** (:func:`similarity`) is the cosine between two pages' box patches, each
smoothed over ``SMOOTH_CELLS`` (a rescan moves a stroke by a fraction of a millimetre; another
voter's stroke lies elsewhere, or at another angle, by a millimetre or more) and centred (a
faint mark leaves an even speckle, which is no stroke and must not match another). The same stray
ink on both pages adds to it (weighted ``STRAY_WEIGHT``); different stray ink takes nothing
away (dust on the scanner glass is not on the sheet). :func:`same_sheets` compares the pages
of one ballot page by the cheap key first (:func:`coarse_distance`: each box's share of the
page's ink), then by similarity against ``DUPLICATE_SIMILARITY`` (see there for what the
tuning seeds measured; ``benchmarks/rescan.py`` reports the held-out figures).
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Hashable
from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import PageLayout, Rect
from omr.register import PX_PER_MM
from omr.score import stroke_kernel

FORMAT = "i1"  # the signature's format, first in its text (another format compares as none)
PATCH_MM = 10.0  # the side of the patch around a box (7.5 mm box, 1.25 mm of overshoot around)
CELL_MM = 0.5  # a patch's cells (4 px on the registered page)
PEAK_PERCENTILE = 99.5  # a patch's ink peak: this percentile of its new ink
PEAK_MIN = 0.1  # a patch whose peak is lighter holds no ink
RELATIVE_FLOOR = 0.3  # ink lighter than this share of the patch's peak is left out
CELL_FULL = 0.6  # a cell's mean share of the peak stored as the top level
INK_FLOOR = 0.06  # darkness above the paper below which a pixel holds no ink (scan noise, JPEG)
KEEP_LEVEL = 3  # a box's patch is stored when a cell reaches this level (of 15)
STRAY_CELL_MM = 2.0  # cells of stray ink
STRAY_LEVEL = 3  # a stray cell is stored from this level (of 15)
STRAY_FULL = 0.15  # a stray cell's mean new ink stored as the top level
STRAY_PAPER_STEP = 2  # the stray area's paper level from every 2nd pixel down and across
STRAY_WEIGHT = 0.5  # the stray ink's part in the comparison, against 1 for the boxes
SMOOTH_CELLS = 0.4  # sigma (cells) of the smoothing before comparison
# Two pages whose ink is at least this alike are taken for the same sheet scanned twice. Chosen
# on benchmarks/rescan.py's tuning seeds (everyone marking "cao"; office, clean, rough and
# crooked scans, PDF, JPEG, TIFF, PNG, 150-300 dpi): two scans of one sheet measured 0.77 and
# more (a rough 200 dpi JPEG of a rough stack), two voters at most 0.52; about the midpoint.
DUPLICATE_SIMILARITY = 0.64
# The cheap key compared first: pages whose boxes' shares of ink differ by more than this (see
# coarse_distance) are not compared further (two scans of a sheet differed by at most 0.2).
COARSE_MAX = 0.4
LEVELS = 15

_CELLS = int(round(PATCH_MM / CELL_MM))  # 14 cells a side
_CELL_PX = int(round(CELL_MM * PX_PER_MM))
_PATCH_PX = _CELLS * _CELL_PX
_STRAY_PX = int(round(STRAY_CELL_MM * PX_PER_MM))


@dataclass(frozen=True)
class Signature:
    """A page's ink, decoded: box index → (cells, cells) ink 0..1, stray cell → ink 0..1."""

    boxes: dict[int, np.ndarray]
    stray: dict[int, float]

    @property
    def empty(self) -> bool:
        return not self.boxes and not self.stray


def ink_signature(dark: np.ndarray, printed: np.ndarray, page_layout: PageLayout,
                  shifts: list[list[tuple[int, int]]], *, write_in: Rect | None,
                  keep_out: tuple[Rect, ...], background: Background) -> str:
    """The signature of a registered ballot page, as stored text ("" when it holds no ink).

    Parameters
    ----------
    dark : (H, W) float32
        Darkness 0..1 of the registered page at ``PX_PER_MM``.
    printed : (H, W) bool
        Where the blank ballot has print (grown a little): never new ink.
    shifts : per row, per box, (dx, dy) px
        Where each box's printed outline was found, against the layout.
    write_in, keep_out
        The write-in band (its stray ink counts), and where voters sign (left out: masked in
        archives with signatures masked, and a signature is not kept in another form).
    """
    boxes = [(box, shift) for row, row_shifts in zip(page_layout.rows, shifts)
             for box, shift in zip(row.boxes, row_shifts)]
    covered = np.zeros(dark.shape, bool)
    kept: dict[int, np.ndarray] = {}
    for index, (box, (dx, dy)) in enumerate(boxes):
        cx = int(round(box.centre[0] * PX_PER_MM)) + dx
        cy = int(round(box.centre[1] * PX_PER_MM)) + dy
        x0, y0 = cx - _PATCH_PX // 2, cy - _PATCH_PX // 2
        covered[max(y0, 0):max(y0 + _PATCH_PX, 0), max(x0, 0):max(x0 + _PATCH_PX, 0)] = True
        patch, patch_printed = _crop(dark, x0, y0, _PATCH_PX), _crop(printed, x0, y0,
                                                                      _PATCH_PX, True)
        if not _may_reach_peak(patch, patch_printed):
            continue  # most boxes are empty: skip the top-hat and the median
        ink = _new_ink(patch, patch_printed, background)
        peak = float(np.percentile(ink, PEAK_PERCENTILE))
        if peak < PEAK_MIN:
            continue
        # The strokes' shape, whatever their darkness: a rescan's tone, blur and stains change
        # how dark a stroke is, not where it runs.
        shape = np.clip(ink / peak, 0.0, 1.0)
        shape[shape < RELATIVE_FLOOR] = 0.0
        cells = shape.reshape(_CELLS, _CELL_PX, _CELLS, _CELL_PX).mean(axis=(1, 3))
        levels = np.clip(np.rint(cells / CELL_FULL * LEVELS), 0, LEVELS).astype(np.uint8)
        if levels.max() >= KEEP_LEVEL:
            kept[index] = levels
    stray = _stray_cells(dark, printed, covered, page_layout, write_in, keep_out, background)
    return encode(kept, stray)


def encode(boxes: dict[int, np.ndarray], stray: list[tuple[int, int]]) -> str:
    """The stored text of a signature: box index → (cells, cells) levels 0..15, and the stray
    cells as (cell, level); "" when it holds nothing (:func:`decode` reads it back)."""
    if not boxes and not stray:
        return ""
    out = bytearray()
    for index, levels in sorted(boxes.items()):
        flat = levels.astype(np.uint8).ravel()
        out += struct.pack("<H", index) + bytes((flat[0::2] << 4) | flat[1::2])
    out += struct.pack("<H", 0xFFFF)  # the end of the boxes
    for cell, level in stray:
        out += struct.pack("<IB", cell, level)
    return f"{FORMAT}:{base64.b64encode(bytes(out)).decode('ascii')}"


def _crop(image: np.ndarray, x0: int, y0: int, size: int, fill: object = 0.0) -> np.ndarray:
    """``image[y0:y0+size, x0:x0+size]``, padded with ``fill`` beyond its edges."""
    h, w = image.shape
    out = np.full((size, size), fill, image.dtype)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + size, w), min(y0 + size, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


@dataclass(frozen=True)
class Background:
    """The reader's limits for the paper's own background (``omr.score.above_background``)."""

    stroke_mm: float
    solid: float
    fill: float


def _may_reach_peak(dark: np.ndarray, printed: np.ndarray) -> bool:
    """False when the patch's new ink (:func:`_new_ink`) cannot reach ``PEAK_MIN`` at its
    ``PEAK_PERCENTILE``: exact, and far cheaper than measuring it. New ink is never more than
    the darkness above the patch's lightest pixel (the top-hat takes away an opening, which is
    never lighter than that, and the paper's level is never negative), less ``INK_FLOOR``, and
    it is 0 over print; so when too few blank pixels are that dark, the percentile is lighter."""
    n = dark.size
    if not n:
        return False
    reach = float(dark.min()) + INK_FLOOR + PEAK_MIN
    dark_enough = int(np.count_nonzero((dark >= reach) & ~printed))
    # np.percentile interpolates between the sorted values at floor(q(n-1)) and the next one:
    # both lie below ``reach`` when fewer than n - 1 - that next index values reach it.
    upper = int(PEAK_PERCENTILE / 100.0 * (n - 1)) + 1
    return dark_enough > n - 1 - upper


def _new_ink(dark: np.ndarray, printed: np.ndarray, background: Background, *,
             paper_step: int = 1) -> np.ndarray:
    """Darkness of ``dark`` above its own background (a stain or a shadow is not ink) and
    above its paper, where the blank ballot is white (0 elsewhere).

    The paper's level is the median of the blank pixels, or, with ``paper_step``, of every
    ``paper_step``-th of them down and across (a large area: its median barely moves)."""
    blank = ~printed
    if not blank.any():
        return np.zeros_like(dark)
    # Always the top-hat (a fill keeps its edges: the same on every scan of the sheet).
    ink = np.asarray(cv2.morphologyEx(dark, cv2.MORPH_TOPHAT,
                                      stroke_kernel(background.stroke_mm)), np.float32)
    sampled = blank[::paper_step, ::paper_step]
    paper = float(np.median(ink[::paper_step, ::paper_step][sampled] if sampled.any()
                            else ink[blank]))
    ink -= paper
    ink -= INK_FLOOR
    np.maximum(ink, 0.0, out=ink)
    ink[printed] = 0.0
    return ink


def _stray_cells(dark: np.ndarray, printed: np.ndarray, covered: np.ndarray,
                 page_layout: PageLayout, write_in: Rect | None, keep_out: tuple[Rect, ...],
                 background: Background) -> list[tuple[int, int]]:
    """(cell, level) of the stray ink over the table's rows and the write-in band."""
    if not page_layout.rows:
        return []
    top = min(r.rect.y for r in page_layout.rows)
    bottom = max(r.rect.bottom for r in page_layout.rows)
    left = min(r.rect.x for r in page_layout.rows)
    right = max(r.rect.right for r in page_layout.rows)
    if write_in is not None:
        bottom = max(bottom, write_in.bottom)
    x0, y0 = int(left * PX_PER_MM), int(top * PX_PER_MM)
    nx = int((right - left) * PX_PER_MM) // _STRAY_PX
    ny = int((bottom - top) * PX_PER_MM) // _STRAY_PX
    if nx < 1 or ny < 1:
        return []
    w, h = nx * _STRAY_PX, ny * _STRAY_PX
    area = _crop(dark, x0, y0, max(w, h))[:h, :w]
    mask = _crop(printed | covered, x0, y0, max(w, h), True)[:h, :w].copy()
    for rect in keep_out:
        kx0, ky0 = int(rect.x * PX_PER_MM) - x0, int(rect.y * PX_PER_MM) - y0
        kx1 = int(np.ceil(rect.right * PX_PER_MM)) - x0
        ky1 = int(np.ceil(rect.bottom * PX_PER_MM)) - y0
        mask[max(ky0, 0):max(ky1, 0), max(kx0, 0):max(kx1, 0)] = True
    ink = _new_ink(area, mask, background, paper_step=STRAY_PAPER_STEP)
    cells = ink.reshape(ny, _STRAY_PX, nx, _STRAY_PX).mean(axis=(1, 3))
    levels = np.clip(np.rint(cells / STRAY_FULL * LEVELS), 0, LEVELS).astype(np.uint8)
    found = np.flatnonzero(levels.ravel() >= STRAY_LEVEL)
    return [(int(i), int(levels.ravel()[i])) for i in found]


def decode(text: str) -> Signature:
    """The signature stored as ``text`` (none for "" or another format)."""
    fmt, _, body = text.partition(":")
    if fmt != FORMAT or not body:
        return Signature({}, {})
    data = base64.b64decode(body)
    boxes: dict[int, np.ndarray] = {}
    at = 0
    half = _CELLS * _CELLS // 2
    while at + 2 <= len(data):
        (index,) = struct.unpack_from("<H", data, at)
        at += 2
        if index == 0xFFFF:
            break
        packed = np.frombuffer(data, np.uint8, half, at)
        at += half
        cells = np.empty(_CELLS * _CELLS, np.float32)
        cells[0::2], cells[1::2] = packed >> 4, packed & 0x0F
        boxes[index] = cells.reshape(_CELLS, _CELLS) / LEVELS
    stray = {}
    while at + 5 <= len(data):
        cell, level = struct.unpack_from("<IB", data, at)
        stray[cell] = level / LEVELS
        at += 5
    return Signature(boxes, stray)


@dataclass(frozen=True)
class Prepared:
    """A signature ready to compare: smoothed unit patches, the stray ink as a unit vector."""

    boxes: dict[int, np.ndarray]  # box → flattened smoothed patch, over the page's norm
    stray: dict[int, float]  # cell → ink, over its norm
    coarse: dict[int, float]  # box → share of the page's box ink (the cheap key)


def prepare(signature: Signature) -> Prepared:
    """``signature`` smoothed and normalised for :func:`similarity`."""
    smooth: dict[int, np.ndarray] = {}
    for i, p in signature.boxes.items():
        v = np.asarray(cv2.GaussianBlur(p, (0, 0), SMOOTH_CELLS), np.float32).ravel()
        smooth[i] = v - v.mean()  # centred: a faint mark's even speckle is not a stroke
    norm = float(np.sqrt(sum(float(v @ v) for v in smooth.values())))
    boxes = {i: (v / norm).astype(np.float32) for i, v in smooth.items()} if norm > 0 else {}
    total = sum(float(p.sum()) for p in signature.boxes.values())
    coarse = {i: float(p.sum()) / total for i, p in signature.boxes.items()} if total else {}
    stray_norm = float(np.sqrt(sum(v * v for v in signature.stray.values())))
    stray = {c: v / stray_norm for c, v in signature.stray.items()} if stray_norm else {}
    return Prepared(boxes, stray, coarse)


def coarse_distance(a: Prepared, b: Prepared) -> float:
    """The cheap key's distance: half the L1 distance of the boxes' shares of ink (0: the same
    boxes hold ink in the same proportions, 1: no box in common)."""
    keys = a.coarse.keys() | b.coarse.keys()
    return 0.5 * sum(abs(a.coarse.get(k, 0.0) - b.coarse.get(k, 0.0)) for k in keys)


def similarity(a: Prepared, b: Prepared) -> float:
    """How alike the ink of two pages is, 0..1 (see the module docstring)."""
    if not a.boxes or not b.boxes:
        return 0.0
    boxes = sum(float(a.boxes[k] @ b.boxes[k]) for k in a.boxes.keys() & b.boxes.keys())
    if not a.stray or not b.stray:
        return boxes
    # The same stray ink is more evidence; different stray ink is none against (a rescan's
    # dust and a smudge on the scanner glass are not on the sheet).
    stray = sum(a.stray[c] * b.stray[c] for c in a.stray.keys() & b.stray.keys())
    return max(boxes, (boxes + STRAY_WEIGHT * stray) / (1.0 + STRAY_WEIGHT))


def same_sheets(pages: list[tuple[Hashable, str]]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of ``pages`` that are the same sheet scanned twice.

    ``pages`` are ``(key, signature text)``; only pages with the same key (the layout and page
    of the ballot) and some ink are compared: first by the cheap key (:func:`coarse_distance`
    within ``COARSE_MAX``), then by :func:`similarity` against ``DUPLICATE_SIMILARITY``. The
    boxes' part of the similarity of every pair of a group is one matrix product (thousands of
    pages compare in seconds); the stray ink is looked at only for the pairs it could lift
    over the limit.
    """
    groups: dict[Hashable, list[tuple[int, Prepared]]] = {}
    for i, (key, text) in enumerate(pages):
        signature = decode(text)
        if signature.boxes:
            groups.setdefault(key, []).append((i, prepare(signature)))
    pairs: list[tuple[int, int]] = []
    for members in groups.values():
        if len(members) > 1:
            pairs += _group_pairs(members)
    return sorted(pairs)


# The stray ink can lift a pair over the limit only when the boxes alone reach this.
_STRAY_CAN_LIFT = (DUPLICATE_SIMILARITY * (1.0 + STRAY_WEIGHT) - STRAY_WEIGHT)
_BLOCK_CELLS = 20_000_000  # at most this many values in one block of the comparison


def _group_pairs(members: list[tuple[int, Prepared]]) -> list[tuple[int, int]]:
    """:func:`same_sheets` within one group of pages of the same ballot page."""
    boxes = sorted({k for _, p in members for k in p.boxes})
    column = {k: n for n, k in enumerate(boxes)}
    size = _CELLS * _CELLS
    n = len(members)
    ink = np.zeros((n, len(boxes) * size), np.float32)  # each row a page's unit vector
    shares = np.zeros((n, len(boxes)), np.float32)
    for row, (_, p) in enumerate(members):
        for k, patch in p.boxes.items():
            ink[row, column[k] * size:(column[k] + 1) * size] = patch
        for k, share in p.coarse.items():
            shares[row, column[k]] = share
    block = max(1, _BLOCK_CELLS // max(1, n * len(boxes)))
    found = []
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        coarse = 0.5 * np.abs(shares[rows, None, :] - shares[None, :, :]).sum(axis=2)
        alike = ink[rows] @ ink.T
        later = np.arange(n)[None, :] > np.arange(rows.start, rows.stop)[:, None]
        candidates = later & (coarse <= COARSE_MAX) & (alike >= _STRAY_CAN_LIFT)
        for a, b in zip(*np.nonzero(candidates)):
            i, j = rows.start + int(a), int(b)
            if alike[a, b] >= DUPLICATE_SIMILARITY or \
                    similarity(members[i][1], members[j][1]) >= DUPLICATE_SIMILARITY:
                found.append((min(members[i][0], members[j][0]),
                              max(members[i][0], members[j][0])))
    return found
