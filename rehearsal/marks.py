"""Hand-made marks on a ballot page image: crosses, ticks, fills, corrections, signatures, stamps.

A mark is made in two steps. A *shape* function returns the strokes a hand would draw, as polylines
in millimetres of the page (pure functions of the box, the hand and a random generator). Then
:meth:`Sheet.strokes` lays them down with an :class:`Ink`: ballpoint skips leave gaps, pressure
varies from stroke to stroke, and ink is blended multiplicatively, as ink on paper is (two strokes
over each other are darker, red over black stays black).

A :class:`Hand` is what stays the same for one voter over a whole ballot: the pen, its width and
pressure, how large and how slanted the marks are, how much the hand wobbles, how fast it moves
(the faster, the more a ballpoint skips), and the shape of its crosses and ticks.

Marks are kept where a careful human reads them as one mark in their box: :func:`fit_into` shrinks
a mark that would reach another box, and only :func:`spill` (recorded in the truth) lets one stroke
end enter the neighbouring box. Geometry is given in millimetres of the page, like the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import Rect

Point = tuple[float, float]
Strokes = list[np.ndarray]  # polylines, each (n, 2) in page mm


@dataclass(frozen=True)
class Ink:
    colour: tuple[int, int, int]  # BGR at full strength
    opacity: float  # 0..1: pen pressure, or how light a pencil is
    width_mm: float


BLACK = (40, 32, 30)
BLUE = (150, 60, 22)
PENCIL = (95, 95, 95)
STAMP_RED = (45, 40, 205)

CROSS_SHAPES = ("even", "long_short", "hooked", "off_centre")
"""even: two similar strokes crossing near the middle; long_short: one stroke much shorter;
hooked: stroke ends curl back (a fast hand lifting the pen); off_centre: the strokes cross far
from their middles."""
TICK_SHAPES = ("check", "short_v", "long_check", "slanted")
"""check: short stroke down, long stroke up; short_v: a small V of two near-equal strokes;
long_check: the up-stroke flies well past the top of the box; slanted: a check leaning over."""

SKIP_STEP_MM = 0.2  # resolution at which a stroke is cut into inked runs and skips
SKIP_GAP_MM = (0.15, 0.5)  # length of one ink skip of a ballpoint
MAX_SKIP_SHARE = 0.25  # never more of a stroke's length lost to skips than this
MAX_TICK_TURN_DEG = 40.0  # a tick turned further stops looking like a tick
PRESSURE_JITTER = 0.15  # relative opacity change between strokes (and runs) of one hand


@dataclass(frozen=True)
class Hand:
    """How one voter writes (the same for every mark of their ballot).

    Attributes
    ----------
    pen : "ballpoint", "gel", "felt", "pencil" or "dry" (a ballpoint running dry)
    colour : BGR of the ink at full strength
    width_mm : stroke width
    pressure : ink opacity, 0..1 (light pens and pencils are low)
    size : how large marks are, relative to an average hand
    slant_deg : how this hand turns its marks (clockwise positive, image coordinates)
    wobble : how unsteady strokes are, relative to an average hand
    skip : ink skips per 10 mm of stroke (a fast hand with a ballpoint)
    cross : one of :data:`CROSS_SHAPES`
    tick : one of :data:`TICK_SHAPES`
    faint : grey contrast (see :func:`ink_contrast`) of this voter's light marks: the
        ``pencil`` and ``light`` styles, and every mark of a pencil or a dry pen
    """

    pen: str = "ballpoint"
    colour: tuple[int, int, int] = BLUE
    width_mm: float = 0.5
    pressure: float = 0.9
    size: float = 1.0
    slant_deg: float = 0.0
    wobble: float = 1.0
    skip: float = 0.0
    cross: str = "even"
    tick: str = "check"
    faint: float = 0.35

    @property
    def ink(self) -> Ink:
        return Ink(self.colour, self.pressure, self.width_mm)


def ink_contrast(ink: Ink) -> float:
    """How much light a stroke core of ``ink`` takes from white paper in grey, 0..1.

    The grey value is the ITU-R 601 luma a scanner computes, so this is what a grey scan shows.
    """
    absorb = 1.0 - np.asarray(ink.colour, float) / 255.0
    return float(ink.opacity * (0.114 * absorb[0] + 0.587 * absorb[1] + 0.299 * absorb[2]))


class Sheet:
    """A page image being marked. ``image`` is (H, W, 3) uint8 BGR; ``dpi`` its resolution."""

    def __init__(self, image: np.ndarray, dpi: float) -> None:
        self.image = image
        self.px_per_mm = dpi / 25.4

    def px(self, p: Point) -> tuple[float, float]:
        return p[0] * self.px_per_mm, p[1] * self.px_per_mm

    def stroke(self, points: list[Point] | np.ndarray, ink: Ink, *, closed: bool = False) -> None:
        """Draw a polyline through ``points`` (mm) with ``ink``."""
        pts = np.asarray(points, np.float64) * self.px_per_mm
        width = max(1, int(round(ink.width_mm * self.px_per_mm)))
        self._blend(ink, lambda mask, off: cv2.polylines(
            mask, [np.round((pts - off) * 16).astype(np.int32)], closed, 255, width,
            cv2.LINE_AA, 4), pts, pad=width)

    def strokes(self, strokes: Strokes, ink: Ink, rng: np.random.Generator, *,
                skip: float = 0.0) -> None:
        """Lay down ``strokes`` as one hand does: each with its own pressure, and with ink skips.

        Parameters
        ----------
        skip : float
            Ink skips per 10 mm of stroke (0: none).
        """
        for line in strokes:
            opacity = ink.opacity * (1.0 - PRESSURE_JITTER * rng.random())
            for run in skip_runs(line, skip, rng):
                self.stroke(run, Ink(ink.colour, opacity, ink.width_mm))

    def blot(self, centre: Point, radius_mm: float, ink: Ink, *, blur_mm: float = 0.0) -> None:
        """A filled round blot (a dot, or with ``blur_mm`` a smudge)."""
        c = np.asarray([centre], np.float64) * self.px_per_mm
        r = radius_mm * self.px_per_mm
        blur = blur_mm * self.px_per_mm

        def draw(mask: np.ndarray, off: np.ndarray) -> None:
            cx, cy = (c[0] - off)
            cv2.circle(mask, (int(round(cx * 16)), int(round(cy * 16))), int(round(r * 16)), 255,
                       -1, cv2.LINE_AA, 4)
            if blur > 0:
                cv2.GaussianBlur(mask, (0, 0), blur, dst=mask)

        self._blend(ink, draw, c, pad=int(r + 3 * blur) + 2)

    def text(self, text: str, origin: Point, height_mm: float, ink: Ink) -> None:
        """Handwriting-like text (Hershey script; ASCII only), its baseline starting at
        ``origin``."""
        font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX
        scale = height_mm * self.px_per_mm / 22.0  # the font's capitals are ~22 px at scale 1
        thickness = max(1, int(round(ink.width_mm * self.px_per_mm)))
        (w, h), base = cv2.getTextSize(text, font, scale, thickness)
        o = np.asarray(self.px(origin))
        corners = np.asarray([o + (0, -h - thickness), o + (w, base + thickness)])

        def draw(mask: np.ndarray, off: np.ndarray) -> None:
            x, y = o - off
            cv2.putText(mask, text, (int(x), int(y)), font, scale, 255, thickness, cv2.LINE_AA)

        self._blend(ink, draw, corners, pad=thickness + 2)

    def _blend(self, ink: Ink, draw, pts_px: np.ndarray, *, pad: int) -> None:
        """Draw into a mask over the bounding box of ``pts_px`` and blend it into the image."""
        h, w = self.image.shape[:2]
        x0 = max(int(np.floor(pts_px[:, 0].min())) - pad, 0)
        y0 = max(int(np.floor(pts_px[:, 1].min())) - pad, 0)
        x1 = min(int(np.ceil(pts_px[:, 0].max())) + pad + 1, w)
        y1 = min(int(np.ceil(pts_px[:, 1].max())) + pad + 1, h)
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        draw(mask, np.asarray([x0, y0], np.float64))
        alpha = mask.astype(np.float32) * (ink.opacity / 255.0)
        absorb = 1.0 - np.asarray(ink.colour, np.float32) / 255.0  # what the ink takes from white
        region = self.image[y0:y1, x0:x1].astype(np.float32)
        region *= 1.0 - alpha[:, :, None] * absorb
        self.image[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------ strokes

def skip_runs(line: np.ndarray, skip: float, rng: np.random.Generator) -> Strokes:
    """Cut a polyline into the runs a skipping ballpoint inks, dropping short gaps.

    Parameters
    ----------
    line : (n, 2) float
        The stroke, in mm.
    skip : float
        Expected skips per 10 mm. At most :data:`MAX_SKIP_SHARE` of the length is lost.

    Returns
    -------
    list of (m, 2) float
        The inked runs, in drawing order (just ``[line]`` when nothing skips).
    """
    line = np.asarray(line, float)
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    length = float(seg.sum())
    count = int(rng.poisson(skip * length / 10.0)) if skip > 0 else 0
    if count == 0 or length < 2.0:
        return [line]
    steps = max(2, int(np.ceil(length / SKIP_STEP_MM)) + 1)
    along = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, length, steps)
    dense = np.column_stack([np.interp(t, along, line[:, 0]), np.interp(t, along, line[:, 1])])
    inked = np.ones(steps, bool)
    budget = MAX_SKIP_SHARE * length
    for _ in range(count):
        gap = rng.uniform(*SKIP_GAP_MM)
        if gap > budget:
            break
        budget -= gap
        start = rng.uniform(0.1, 0.9) * length  # never at the very ends: those are pen down/up
        inked[(t >= start) & (t <= start + gap)] = False
    runs, current = [], []
    for point, on in zip(dense, inked):
        if on:
            current.append(point)
        elif current:
            runs.append(np.asarray(current))
            current = []
    if current:
        runs.append(np.asarray(current))
    return [r for r in runs if len(r) >= 2]


def wobbly_line(p0: Point, p1: Point, rng: np.random.Generator, *, bow: float = 0.06,
                jitter_mm: float = 0.08, n: int = 10) -> np.ndarray:
    """Points from ``p0`` to ``p1`` (mm) bowed and jittered as a hand draws a straight line."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b = np.asarray(p0, float), np.asarray(p1, float)
    direction = b - a
    normal = np.array([-direction[1], direction[0]])
    bend = rng.uniform(-bow, bow) * np.sin(np.pi * t)
    return a + t * direction + bend * normal + rng.normal(0, jitter_mm, (n, 2))


def _placement(box: Rect, rng: np.random.Generator, scale: float, *, offset: float = 0.12,
               rotate_deg: float = 18.0, slant_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A random hand placement of unit coordinates (-0.5..0.5 across the box) on the page.

    Returns
    -------
    (2, 2) linear part and (2,) centre, such that page mm = centre + linear @ unit.
    """
    cx, cy = box.centre
    centre = np.array([cx + rng.uniform(-offset, offset) * box.w,
                       cy + rng.uniform(-offset, offset) * box.h])
    angle = np.deg2rad(slant_deg + rng.uniform(-rotate_deg, rotate_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rot * scale * box.w, centre


def _to_page(unit: np.ndarray, placement: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    linear, centre = placement
    return np.asarray(unit, float) @ linear.T + centre


def _frame(box: Rect, rng: np.random.Generator, scale: float, offset: float = 0.12,
           rotate_deg: float = 18.0):
    """Map unit coordinates (-0.5..0.5 across the box) to page mm, with a random hand placement."""
    placement = _placement(box, rng, scale, offset=offset, rotate_deg=rotate_deg)

    def to_mm(u: float, v: float) -> Point:
        x, y = _to_page(np.array([u, v]), placement)
        return (float(x), float(y))

    return to_mm


def _hand_line(p0, p1, rng: np.random.Generator, wobble: float, n: int = 10) -> np.ndarray:
    """A straight stroke in unit coordinates, as unsteady as ``wobble`` (1: an average hand)."""
    return wobbly_line(p0, p1, rng, bow=0.06 * wobble, jitter_mm=0.011 * wobble, n=n)


def _hook(line: np.ndarray, rng: np.random.Generator, *, at_end: bool = True) -> np.ndarray:
    """Curl one end of a stroke (unit coordinates) back by a short hook, as a fast hand does."""
    if not at_end:
        return _hook(line[::-1], rng)[::-1]
    direction = line[-1] - line[-2]
    direction /= np.linalg.norm(direction) + 1e-9
    turn = np.deg2rad(rng.choice([-1.0, 1.0]) * rng.uniform(100, 150))
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    length = rng.uniform(0.07, 0.14)
    bend = line[-1] + 0.5 * length * (direction + rot @ direction) / 2
    tip = line[-1] + length * (rot @ direction)
    return np.vstack([line, bend, tip])


def cross_strokes(box: Rect, rng: np.random.Generator, *, size: float, shape: str = "even",
                  slant_deg: float = 0.0, wobble: float = 1.0) -> Strokes:
    """The two strokes of an X over ``box`` (page mm).

    Parameters
    ----------
    size : float
        Extent relative to the box side (above 1 overshoots the box).
    shape : one of :data:`CROSS_SHAPES`
    """
    a = _hand_line((-0.5 + rng.normal(0, 0.05), -0.5), (0.5, 0.5 + rng.normal(0, 0.05)), rng,
                   wobble)
    b = _hand_line((0.5 + rng.normal(0, 0.05), -0.5), (-0.5, 0.5 + rng.normal(0, 0.05)), rng,
                   wobble)
    if shape == "long_short":
        k = rng.uniform(0.5, 0.75)
        b = b * k + rng.uniform(-0.08, 0.08, 2)
    elif shape == "hooked":
        a = _hook(a, rng, at_end=rng.random() < 0.7)
        b = _hook(b, rng, at_end=True)
    elif shape == "off_centre":  # the second stroke moved along the first, then both recentred
        d = rng.choice([-1.0, 1.0]) * rng.uniform(0.15, 0.25)
        a, b = a - d / 2, b + d / 2
    placement = _placement(box, rng, size, slant_deg=slant_deg)
    return [_to_page(a, placement), _to_page(b, placement)]


def tick_strokes(box: Rect, rng: np.random.Generator, *, size: float, shape: str = "check",
                 slant_deg: float = 0.0, wobble: float = 1.0) -> Strokes:
    """A check mark over ``box`` as one stroke (page mm); ``shape`` one of :data:`TICK_SHAPES`."""
    extra_turn = 0.0
    if shape == "short_v":
        low = (rng.uniform(-0.05, 0.05), 0.3)
        short = _hand_line((-0.3, -0.15), low, rng, wobble, n=6)
        long = _hand_line(low, (0.32, -0.2), rng, wobble, n=6)
    elif shape == "long_check":
        short = _hand_line((-0.38, 0.05), (-0.12, 0.35), rng, wobble, n=5)
        long = _hand_line((-0.12, 0.35), (0.6, -0.8), rng, wobble, n=12)
    else:
        short = _hand_line((-0.4, 0.0), (-0.1, 0.35), rng, wobble, n=5)
        long = _hand_line((-0.1, 0.35), (0.45, -0.5), rng, wobble)
        if shape == "slanted":
            extra_turn = rng.choice([-1.0, 1.0]) * rng.uniform(22, 38)
    turn = float(np.clip(slant_deg + extra_turn, -MAX_TICK_TURN_DEG, MAX_TICK_TURN_DEG))
    placement = _placement(box, rng, size, rotate_deg=8.0, slant_deg=turn)
    return [_to_page(np.vstack([short, long[1:]]), placement)]


FILL_SIZE = (0.75, 1.1)
"""How large a fill is, relative to the box: a voter scribbling a box full goes past its outline
as often as not (independent scans: hatching 0.5-1 mm beyond it on every side)."""


def fill_strokes(box: Rect, rng: np.random.Generator, *, wobble: float = 1.0,
                 size: float | None = None) -> Strokes:
    """The box scribbled full with a dense zigzag, across or along a diagonal (``size``
    relative to the box: drawn from FILL_SIZE when not given)."""
    size = float(rng.uniform(*FILL_SIZE)) if size is None else size
    placement = _placement(box, rng, size, offset=0.05, rotate_deg=8)
    passes = int(rng.integers(9, 16))
    if rng.random() < 0.5:  # across: from side to side, top to bottom
        v = np.linspace(-0.5, 0.5, passes)
        u = np.where(np.arange(passes) % 2 == 0, -0.5, 0.5)
    else:  # diagonal hatching: along the lines u + v = c, from one edge of the square to the other
        c = np.linspace(-0.9, 0.9, passes)
        ends = np.where(np.arange(passes) % 2 == 0, np.maximum(-0.5, c - 0.5),
                        np.minimum(0.5, c + 0.5))
        u, v = ends, c - ends
        if rng.random() < 0.5:
            u = -u
    unit = np.column_stack([u, v]) + rng.normal(0, 0.011 * wobble, (passes, 2))
    return [_to_page(unit, placement)]


def circle_strokes(box: Rect, rng: np.random.Generator, *, wobble: float = 1.0) -> Strokes:
    """An O drawn inside the box, not quite closed."""
    placement = _placement(box, rng, rng.uniform(0.55, 0.85), offset=0.08)
    start = rng.uniform(0, 2 * np.pi)
    t = start + np.linspace(0, 2 * np.pi * rng.uniform(0.9, 1.08), 28)
    unit = 0.5 * np.column_stack([np.cos(t), np.sin(t)]) + rng.normal(0, 0.02 * wobble, (28, 2))
    return [_to_page(unit, placement)]


def fit_into(strokes: Strokes, region: Rect, anchor: Point, margin_mm: float = 0.0) -> Strokes:
    """Shrink ``strokes`` towards ``anchor`` just enough that they stay ``margin_mm`` inside
    ``region`` (unchanged when they already do). Keeps a mark away from other boxes."""
    pts = np.vstack(strokes)
    a = np.asarray(anchor, float)
    lo = np.array([region.x + margin_mm, region.y + margin_mm]) - a
    hi = np.array([region.right - margin_mm, region.bottom - margin_mm]) - a
    low, high = pts.min(0) - a, pts.max(0) - a
    factor = 1.0
    for axis in (0, 1):
        if low[axis] < lo[axis] < 0:
            factor = min(factor, lo[axis] / low[axis])
        if high[axis] > hi[axis] > 0:
            factor = min(factor, hi[axis] / high[axis])
    if factor >= 1.0:
        return strokes
    return [(s - a) * factor + a for s in strokes]


def spill(strokes: Strokes, neighbour: Rect, depth_mm: float, rng: np.random.Generator, *,
          through: Point | None = None) -> tuple[Strokes, np.ndarray]:
    """Carry the stroke end nearest ``neighbour`` on into it, ``depth_mm`` past its outline.

    The neighbour lies left or right in the same row. The stroke enters it through its near side,
    well clear of its top and bottom.

    Parameters
    ----------
    through : (x, y), optional
        For a cross or a tick: the stroke is redrawn from its far end through its point nearest
        ``through`` (the mark's box centre) straight on to the tip, as a hurried hand makes one
        stroke long and flat. Without it (fills, circles) a tail is added to the end.

    Returns
    -------
    The strokes, and the tip of the spilled stroke (page mm).
    """
    ends = [(i, j) for i, s in enumerate(strokes) for j in (0, len(s) - 1)]
    centre = np.vstack(strokes).mean(0)
    right = neighbour.centre[0] > centre[0]
    i, j = max(ends, key=lambda ij: strokes[ij[0]][ij[1], 0] * (1 if right else -1))
    line = strokes[i] if j else strokes[i][::-1]  # now ending at the end that spills
    tip_x = neighbour.x + depth_mm if right else neighbour.right - depth_mm
    inner = min(1.5, neighbour.h / 3)
    if through is not None:
        k = int(np.argmin(np.linalg.norm(line - np.asarray(through), axis=1)))
        k = min(max(k, 1), len(line) - 1)
        line = line[:k + 1]
    end = line[-1]
    tip_y = float(np.clip(end[1] + rng.normal(0, 1.0), neighbour.y + inner,
                          neighbour.bottom - inner))
    tip = np.array([tip_x, tip_y])
    reach = float(np.linalg.norm(tip - end))
    tail = wobbly_line(tuple(end), tuple(tip), rng, bow=0.03, jitter_mm=0.04,
                       n=max(4, int(reach / 1.5)))
    tail[-1] = tip  # the recorded depth is where the stroke really ends
    line = np.vstack([line, tail[1:]])
    out = list(strokes)
    out[i] = line if j else line[::-1]
    return out, tip


def bounds(strokes: Strokes, width_mm: float = 0.0) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in mm around ``strokes``, widened by half the pen width."""
    pts = np.vstack(strokes)
    half = width_mm / 2
    x0, y0 = pts.min(0) - half
    x1, y1 = pts.max(0) + half
    return (float(x0), float(y0), float(x1), float(y1))


# ------------------------------------------------------------------------ marks, drawn at once

def cross(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator, *,
          size: float | None = None) -> None:
    """An X: two strokes. ``size`` is relative to the box (above 1 overshoots it)."""
    size = size if size is not None else rng.uniform(0.6, 1.35)
    sheet.strokes(cross_strokes(box, rng, size=size), ink, rng)


def tick(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A check mark: a short stroke down, then a long one up to the right."""
    sheet.strokes(tick_strokes(box, rng, size=rng.uniform(0.6, 1.15)), ink, rng)


def fill(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """The box scribbled full with a dense zigzag."""
    sheet.strokes(fill_strokes(box, rng), Ink(ink.colour, ink.opacity, max(ink.width_mm, 0.6)), rng)


def circle(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """An O drawn inside the box, not quite closed."""
    sheet.strokes(circle_strokes(box, rng), ink, rng)


def scribble_out(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A mark made and then scribbled over to cancel it (a correction)."""
    cross(sheet, box, ink, rng, size=rng.uniform(0.6, 1.2))
    f = _frame(box, rng, rng.uniform(1.0, 1.3), offset=0.05, rotate_deg=25)
    loops = int(rng.integers(6, 11))
    points = [f(rng.uniform(-0.5, 0.5), -0.5 + i / (loops - 1)) for i in range(loops)]
    sheet.stroke(points, Ink(ink.colour, ink.opacity, ink.width_mm * 1.4))


def strike_through(sheet: Sheet, cell: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A line struck through a printed name, sometimes doubled."""
    y = cell.y + cell.h * rng.uniform(0.4, 0.6)
    x0 = cell.x + cell.w * rng.uniform(0.02, 0.12)
    x1 = cell.right - cell.w * rng.uniform(0.05, 0.3)
    for _ in range(1 if rng.random() < 0.7 else 2):
        dy = rng.uniform(-1.0, 1.0)
        sheet.stroke(wobbly_line((x0, y - dy), (x1, y + dy), rng, bow=0.02), ink)


# ---------------------------------------------------------------------------------- signatures

SIGNATURE_WIDTH_MM = (22.0, 55.0)
SIGNATURE_HEIGHT_MM = (6.0, 13.0)


def signature_strokes(rng: np.random.Generator, width_mm: float, height_mm: float, *,
                      angle_deg: float = 0.0, wobble: float = 1.0) -> Strokes:
    """A signature: a large initial, a run of cursive loops and humps, often a flourish.

    Drawn around the origin: the baseline runs from (0, 0) to about (``width_mm``, 0), letters rise
    to ``-height_mm``; then the whole is turned by ``angle_deg`` (negative: rising to the right,
    as y points down).
    """
    letters = int(rng.integers(3, 9))
    letter_w = width_mm / (letters + 0.8)
    loopiness = rng.uniform(0.15, 0.45)  # above ~0.16 a hump closes into a loop
    heights = height_mm * rng.uniform(0.35, 0.7, letters)
    heights[0] = height_mm  # the capital
    pieces, x = [], 0.0
    n = 14
    for i in range(letters):
        t = np.linspace(0.0, 1.0, n, endpoint=i == letters - 1)
        w = letter_w * (1.6 if i == 0 else rng.uniform(0.7, 1.2))
        px = x + w * t - loopiness * w * np.sin(2 * np.pi * t)
        py = -heights[i] * (1 - np.cos(2 * np.pi * t)) / 2
        pieces.append(np.column_stack([px, py]))
        x += w
    body = np.vstack(pieces)
    body[:, 0] *= width_mm / max(x, 1e-6)
    strokes = []
    lift = int(rng.integers(len(body) // 3, len(body))) if rng.random() < 0.35 else len(body)
    strokes.append(body[:lift])
    if lift < len(body) - 1:
        strokes.append(body[lift:])
    if rng.random() < 0.6:  # a flourish: back under the name, or a tail out to the right
        if rng.random() < 0.6:
            y = rng.uniform(1.0, 2.5)
            strokes.append(np.array([[width_mm * rng.uniform(0.9, 1.05), -0.3 * height_mm],
                                     [width_mm * 0.7, y],
                                     [width_mm * rng.uniform(0.0, 0.3), y + 0.5]]))
        else:
            strokes.append(np.array([body[-1], body[-1] + [width_mm * 0.12, -0.4 * height_mm]]))
    strokes = [s + rng.normal(0, 0.1 * wobble, s.shape) for s in strokes if len(s) >= 2]
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return [s @ rot.T for s in strokes]


def place_signature(strokes: Strokes, region: Rect, rng: np.random.Generator) -> Strokes:
    """Move ``strokes`` to a random spot wholly inside ``region`` (shrunk to fit if too large)."""
    x0, y0, x1, y1 = bounds(strokes)
    w, h = x1 - x0, y1 - y0
    factor = min(1.0, region.w / max(w, 1e-6), region.h / max(h, 1e-6))
    scaled = [(s - [x0, y0]) * factor for s in strokes]
    w, h = w * factor, h * factor
    dx = region.x + rng.uniform(0, max(region.w - w, 0.0))
    dy = region.y + rng.uniform(0, max(region.h - h, 0.0))
    return [s + [dx, dy] for s in scaled]


def signature(sheet: Sheet, area: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A signature inside ``area`` (the signature area below the printed note)."""
    strokes = signature_strokes(rng, area.w * rng.uniform(0.4, 0.7), min(area.h * 0.5, 9.0))
    lower = Rect(area.x + area.w * 0.1, area.y + area.h * 0.3, area.w * 0.85, area.h * 0.65)
    sheet.strokes(place_signature(strokes, lower, rng), ink, rng)


STAMP_INKS: dict[str, tuple[int, int, int]] = {  # BGR at full strength
    "red": STAMP_RED,
    "vermilion": (30, 80, 225),  # an orange-red pad
    "crimson": (85, 35, 185),  # a bluish red
    "dark_red": (50, 40, 150),  # an old, thick pad
}
"""The red stamp inks of office stamp pads."""
STAMP_ARC_DEG = 10.0  # a ring is laid down in arcs this long, each with its own pressure
STAMP_LINE_MM = 0.7  # the rings and the lettering
STAMP_STAR_LINE_MM = 1.2


@dataclass(frozen=True)
class Stamp:
    """One impression of the agency's round stamp (dấu treo).

    Attributes
    ----------
    centre : (x, y) mm of the page
    radius_mm : the outer ring
    opacity : the ink's opacity where the stamp was pressed fully
    angle_deg : how the stamp was turned (its star and lettering)
    ink : a key of :data:`STAMP_INKS`
    fade : uneven pressure, 0 (even) … 1 (the lightest side leaves no ink)
    fade_towards_deg : the direction, from the centre, of the lightest side
    """

    centre: Point
    radius_mm: float
    opacity: float
    angle_deg: float = 0.0
    ink: str = "red"
    fade: float = 0.0
    fade_towards_deg: float = 0.0

    def pressure(self, direction_rad: float | np.ndarray) -> float | np.ndarray:
        """The share of ``opacity`` the ink has in ``direction_rad`` from the centre."""
        towards = np.deg2rad(self.fade_towards_deg)
        return 1.0 - self.fade * (1.0 + np.cos(direction_rad - towards)) / 2.0


def place_stamp(area: Rect, rng: np.random.Generator) -> Stamp:
    """Where the stamp goes on ``area``, partly over the organisation's name, as pressed evenly
    with red ink; :func:`stamp` draws it."""
    cx = area.x + area.w * rng.uniform(0.2, 0.4)
    cy = area.y + area.h * rng.uniform(0.45, 0.6)
    r = rng.uniform(15.0, 17.0)
    return Stamp((float(cx), float(cy)), float(r), float(rng.uniform(0.55, 0.85)))


def stamp(sheet: Sheet, impression: Stamp, rng: np.random.Generator) -> None:
    """Draw the agency's round red stamp: two outer rings with the lettering between them (as
    short dashes), an inner ring and a star, turned by ``angle_deg``, the ink lighter where the
    stamp was pressed less (``fade``)."""
    cx, cy = impression.centre
    r = impression.radius_mm
    colour = STAMP_INKS[impression.ink]
    turn = np.deg2rad(impression.angle_deg)

    def ink(direction: float, width_mm: float = STAMP_LINE_MM) -> Ink:
        return Ink(colour, float(impression.opacity * impression.pressure(direction)), width_mm)

    arcs = round(360.0 / STAMP_ARC_DEG)
    for radius in (r, r - 1.2, r * 0.62):
        for k in range(arcs):
            t = np.linspace(k, k + 1, 4) * 2 * np.pi / arcs
            sheet.stroke(np.column_stack([cx + radius * np.cos(t), cy + radius * np.sin(t)]),
                         ink(float(t.mean())))
    star = [(cx + 0.3 * r * np.cos(a + turn - np.pi / 2) * (1 if i % 2 == 0 else 0.4),
             cy + 0.3 * r * np.sin(a + turn - np.pi / 2) * (1 if i % 2 == 0 else 0.4))
            for i, a in enumerate(np.linspace(0, 2 * np.pi, 11))]
    sheet.stroke(star, Ink(colour, impression.opacity * (1 - impression.fade / 2),
                           STAMP_STAR_LINE_MM), closed=True)
    for a in np.linspace(0, 2 * np.pi, 28, endpoint=False) + turn:  # the lettering, as dashes
        rr = r * 0.81
        outer = rr + 1.5
        sheet.stroke(wobbly_line((cx + rr * np.cos(a), cy + rr * np.sin(a)),
                                 (cx + outer * np.cos(a + 0.05), cy + outer * np.sin(a + 0.05)),
                                 rng, n=3, jitter_mm=0.05), ink(float(a)))


def stamp_share_in(impression: Stamp, area: Rect, *, samples: int = 720) -> float:
    """The share of the stamp's ink (its outer rings, weighted by pressure) that lies inside
    ``area``: 1 for a stamp wholly in it, 0 for one wholly elsewhere."""
    t = np.linspace(0, 2 * np.pi, samples, endpoint=False)
    cx, cy = impression.centre
    weight = impression.pressure(t)
    total = 0.0
    inside = 0.0
    for radius in (impression.radius_mm, impression.radius_mm * 0.62):
        x, y = cx + radius * np.cos(t), cy + radius * np.sin(t)
        within = (x >= area.x) & (x <= area.right) & (y >= area.y) & (y <= area.bottom)
        total += float((weight * radius).sum())
        inside += float((weight * radius * within).sum())
    return inside / total if total > 0 else 0.0
