"""Hand-made marks on a ballot page image: crosses, ticks, fills, corrections, signatures, stamps.

Small functions that draw onto a :class:`Sheet` (a BGR page image and its scale). Strokes are
wobbly polylines with random size, angle, width and pressure; ink is blended multiplicatively, as
ink on paper is (two strokes over each other are darker, red over black stays black).
Geometry is given in millimetres of the page, like the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ballotgen.layout import Rect

Point = tuple[float, float]


@dataclass(frozen=True)
class Ink:
    colour: tuple[int, int, int]  # BGR at full strength
    opacity: float  # 0..1: pen pressure, or how light a pencil is
    width_mm: float


BLACK = (40, 32, 30)
BLUE = (150, 60, 22)
PENCIL = (95, 95, 95)
STAMP_RED = (45, 40, 205)


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
            mask, [np.round((pts - off) * 16).astype(np.int32)], closed, 255, width, cv2.LINE_AA, 4),
            pts, pad=width)

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
        """Handwriting-like text (Hershey script; ASCII only) with its baseline start at ``origin``."""
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


# ------------------------------------------------------------------------------------ shapes

def wobbly_line(p0: Point, p1: Point, rng: np.random.Generator, *, bow: float = 0.06,
                jitter_mm: float = 0.08, n: int = 10) -> np.ndarray:
    """Points from ``p0`` to ``p1`` (mm) bowed and jittered as a hand draws a straight line."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b = np.asarray(p0, float), np.asarray(p1, float)
    direction = b - a
    normal = np.array([-direction[1], direction[0]])
    bend = rng.uniform(-bow, bow) * np.sin(np.pi * t)
    return a + t * direction + bend * normal + rng.normal(0, jitter_mm, (n, 2))


def _frame(box: Rect, rng: np.random.Generator, scale: float, offset: float = 0.12,
           rotate_deg: float = 18.0):
    """Map unit coordinates (-0.5..0.5 across the box) to page mm, with a random hand placement."""
    cx, cy = box.centre
    cx += rng.uniform(-offset, offset) * box.w
    cy += rng.uniform(-offset, offset) * box.h
    angle = np.deg2rad(rng.uniform(-rotate_deg, rotate_deg))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    size = scale * box.w

    def to_mm(u: float, v: float) -> Point:
        x, y = rot @ np.array([u, v]) * size
        return (cx + x, cy + y)

    return to_mm


def cross(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator, *, size: float | None = None) -> None:
    """An X: two strokes. ``size`` is relative to the box (above 1 overshoots it)."""
    f = _frame(box, rng, size if size is not None else rng.uniform(0.6, 1.35))
    for (u0, v0), (u1, v1) in (((-0.5, -0.5), (0.5, 0.5)), ((0.5, -0.5), (-0.5, 0.5))):
        sheet.stroke(wobbly_line(f(u0 + rng.normal(0, 0.05), v0), f(u1, v1 + rng.normal(0, 0.05)), rng), ink)


def tick(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A check mark: a short stroke down, then a long one up to the right."""
    f = _frame(box, rng, rng.uniform(0.6, 1.15))
    short = wobbly_line(f(-0.4, 0.0), f(-0.1, 0.35), rng, n=5)
    long = wobbly_line(f(-0.1, 0.35), f(0.45, -0.5), rng)
    sheet.stroke(np.vstack([short, long[1:]]), ink)


def fill(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """The box scribbled full with a dense zigzag."""
    f = _frame(box, rng, rng.uniform(0.75, 0.95), offset=0.05, rotate_deg=8)
    passes = int(rng.integers(9, 15))
    points = []
    for i in range(passes):
        v = -0.5 + i / (passes - 1)
        points.append(f(-0.5 if i % 2 == 0 else 0.5, v))
    sheet.stroke(np.asarray(points) + rng.normal(0, 0.08, (passes, 2)),
                 Ink(ink.colour, ink.opacity, max(ink.width_mm, 0.6)))


def circle(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """An O drawn inside the box, not quite closed."""
    f = _frame(box, rng, rng.uniform(0.55, 0.85), offset=0.08)
    start = rng.uniform(0, 2 * np.pi)
    t = start + np.linspace(0, 2 * np.pi * rng.uniform(0.9, 1.08), 28)
    sheet.stroke([f(0.5 * np.cos(a) + rng.normal(0, 0.02), 0.5 * np.sin(a) + rng.normal(0, 0.02))
                  for a in t], ink)


def scribble_out(sheet: Sheet, box: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A mark made and then scribbled over to cancel it (a correction)."""
    cross(sheet, box, ink, rng)
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


def signature(sheet: Sheet, area: Rect, ink: Ink, rng: np.random.Generator) -> None:
    """A looping scrawl inside ``area``."""
    t = np.linspace(0, 1, 80)
    w = area.w * rng.uniform(0.4, 0.7)
    h = min(area.h * 0.5, 9.0)
    x = area.x + area.w * 0.15 + w * t + 2.0 * np.sin(t * rng.uniform(15, 25))
    y = area.y + area.h * 0.65 + 0.5 * h * np.sin(t * rng.uniform(20, 35) + rng.uniform(0, 6))
    sheet.stroke(np.column_stack([x, y]), ink)


def stamp(sheet: Sheet, area: Rect, rng: np.random.Generator) -> None:
    """The agency's round red stamp (dấu treo), partly over the organisation's name."""
    cx = area.x + area.w * rng.uniform(0.2, 0.4)
    cy = area.y + area.h * rng.uniform(0.45, 0.6)
    r = rng.uniform(15.0, 17.0)
    ink = Ink(STAMP_RED, rng.uniform(0.55, 0.85), 0.7)
    t = np.linspace(0, 2 * np.pi, 90)
    for radius in (r, r - 1.2, r * 0.62):
        sheet.stroke(np.column_stack([cx + radius * np.cos(t), cy + radius * np.sin(t)]), ink,
                     closed=True)
    star = [(cx + 0.3 * r * np.cos(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4),
             cy + 0.3 * r * np.sin(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4))
            for i, a in enumerate(np.linspace(0, 2 * np.pi, 11))]
    sheet.stroke(star, Ink(STAMP_RED, ink.opacity, 1.2), closed=True)
    for a in np.linspace(0, 2 * np.pi, 28, endpoint=False):  # the lettering, as short dashes
        rr = r * 0.81
        sheet.stroke(wobbly_line((cx + rr * np.cos(a), cy + rr * np.sin(a)),
                                 (cx + (rr + 1.5) * np.cos(a + 0.05), cy + (rr + 1.5) * np.sin(a + 0.05)),
                                 rng, n=3, jitter_mm=0.05), ink)
