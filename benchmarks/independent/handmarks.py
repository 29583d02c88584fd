"""What voters put on a ballot, drawn with :mod:`pen`: marks of every style, corrections, struck
names, signatures, write-ins, stray dots and the red stamp.

Boxes and cells are layout ``Rect`` values (millimetres, top-left origin). Every mark function
returns the pixel coordinates of its dense ink, so the caller can check the mark is still visible
after scanning.
"""

from __future__ import annotations

import math

import numpy as np

from .pen import Canvas, Hand, draw, hand_line, hand_path


def _frame(box, hand: Hand, rng: np.random.Generator, size: float, centre_sd: float = 0.35):
    """A function mapping (u, v) in [-0.5, 0.5] box units to page mm, scaled, slanted, offset."""
    cx = box.x + box.w / 2 + rng.normal(0, centre_sd)
    cy = box.y + box.h / 2 + rng.normal(0, centre_sd)
    ang = math.radians(hand.slant_deg + rng.normal(0, 4))
    ca, sa = math.cos(ang), math.sin(ang)
    sx = box.w * size * rng.uniform(0.9, 1.1)
    sy = box.h * size * rng.uniform(0.9, 1.1)

    def f(u: float, v: float) -> tuple[float, float]:
        x, y = u * sx, v * sy
        return (cx + x * ca - y * sa, cy + x * sa + y * ca)
    return f


def cross(canvas: Canvas, box, hand: Hand, rng: np.random.Generator, *, size: float | None = None,
          retrace: bool = False) -> list[np.ndarray]:
    size = size if size is not None else hand.size * rng.uniform(0.8, 1.1)
    f = _frame(box, hand, rng, size)
    out = []
    arms = [((-0.5, -0.5), (0.5, 0.5)), ((0.5, -0.5), (-0.5, 0.5))]
    if rng.random() < 0.3:
        arms.reverse()
    for (u0, v0), (u1, v1) in arms:
        a = f(u0 + rng.normal(0, 0.06), v0 + rng.normal(0, 0.06))
        b = f(u1 + rng.normal(0, 0.06), v1 + rng.normal(0, 0.06))
        out.append(draw(canvas, hand_line(a, b, hand, rng), hand, rng))
        if retrace:  # pressed hard and gone over twice
            off = rng.normal(0, 0.15, 2)
            line = hand_line(np.add(a, off), np.add(b, off), hand, rng)
            out.append(draw(canvas, line, hand, rng))
    return out


def overshoot(canvas: Canvas, box, neighbours: list, hand: Hand,
              rng: np.random.Generator) -> list[np.ndarray]:
    """A big cross whose arms leave the box; often one arm sweeps on into a neighbouring box."""
    out = cross(canvas, box, hand, rng, size=rng.uniform(1.15, 1.6))
    if neighbours and rng.random() < 0.75:
        nb = neighbours[int(rng.integers(len(neighbours)))]
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        into = rng.uniform(0.3, 2.2)  # how far the tail enters the neighbour, mm
        if nb.x > box.x:
            start, end_x = (cx + rng.uniform(-1, 1.5), cy + rng.uniform(-2.5, 2.5)), nb.x + into
        else:
            start, end_x = (cx - rng.uniform(-1, 1.5), cy + rng.uniform(-2.5, 2.5)), nb.right - into
        end = (end_x, nb.y + nb.h * rng.uniform(0.15, 0.85))
        out.append(draw(canvas, hand_line(start, end, hand, rng), hand, rng, taper=0.8))
    return out


def tick(canvas: Canvas, box, hand: Hand, rng: np.random.Generator) -> list[np.ndarray]:
    f = _frame(box, hand, rng, hand.size * rng.uniform(0.8, 1.15))
    knee = (rng.uniform(-0.15, 0.05), rng.uniform(0.25, 0.45))
    path = [f(rng.uniform(-0.5, -0.35), rng.uniform(-0.1, 0.1)), f(*knee),
            f(rng.uniform(0.4, 0.75), rng.uniform(-0.85, -0.5))]
    mid = ((path[1][0] + path[2][0]) / 2, (path[1][1] + path[2][1]) / 2)
    pts = hand_path([path[0], path[1], mid, path[2]], hand, rng)
    return [draw(canvas, pts, hand, rng, taper=0.85)]


def fill(canvas: Canvas, box, hand: Hand, rng: np.random.Generator) -> list[np.ndarray]:
    """The box scribbled full with back-and-forth strokes."""
    cover = rng.uniform(0.7, 1.0)
    x0, x1 = box.x + box.w * (1 - cover) / 2, box.right - box.w * (1 - cover) / 2
    y0, y1 = box.y + box.h * (1 - cover) / 2, box.bottom - box.h * (1 - cover) / 2
    step = max(0.3, hand.width_mm * rng.uniform(0.55, 1.1))
    ys = np.arange(y0, y1, step)
    way = []
    for i, y in enumerate(ys):
        xa, xb = x0 + rng.normal(0, 0.3), x1 + rng.normal(0, 0.3)
        way += [(xa, y), (xb, y + step / 2)] if i % 2 == 0 else [(xb, y), (xa, y + step / 2)]
    return [draw(canvas, hand_path(way, hand, rng), hand, rng, taper=0.2)]


def scribble_out(canvas: Canvas, box, hand: Hand, rng: np.random.Generator) -> list[np.ndarray]:
    """A correction: a mark, then tight loops over it until the box is mostly ink."""
    out = cross(canvas, box, hand, rng)
    t = np.linspace(0, 1, 260)
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    loops = rng.uniform(9, 15)
    x = cx + box.w * 0.45 * np.sin(2 * np.pi * t * 1.5) + 1.6 * np.cos(2 * np.pi * loops * t)
    y = cy + box.h * 0.42 * np.cos(2 * np.pi * t * 3.1) + 1.6 * np.sin(2 * np.pi * loops * t)
    pts = np.column_stack([x, y]) + rng.normal(0, 0.08, (len(t), 2))
    heavy = hand.heavy(rng)
    out.append(draw(canvas, pts, heavy, rng, taper=0.1))
    return out


def strike_name(canvas: Canvas, cell, hand: Hand, rng: np.random.Generator) -> None:
    """A printed name struck through: one or two wavy lines across the text."""
    for k in range(1 + int(rng.random() < 0.4)):
        y = cell.y + cell.h * rng.uniform(0.4, 0.6) + k * 0.8
        a = (cell.x + rng.uniform(0.5, 3), y + rng.normal(0, 0.4))
        b = (cell.right - rng.uniform(0.5, 6), y + rng.normal(0, 0.6))
        draw(canvas, hand_line(a, b, hand, rng), hand, rng)


def signature(canvas: Canvas, x: float, y: float, width: float, height: float, hand: Hand,
              rng: np.random.Generator) -> None:
    """A looping scrawl (trochoid letters of varying height) with a flourish underneath."""
    n = int(width * 6)
    u = np.linspace(0, 1, n)
    # uneven writing speed: the phase runs faster and slower along the name
    speed = np.interp(u, np.linspace(0, 1, 7), rng.uniform(0.5, 1.5, 7))
    t = np.cumsum(speed)
    t /= t[-1]
    letters = rng.uniform(5, 11)
    r = height * rng.uniform(0.18, 0.3)
    # each loop its own height: a random envelope, tall capitals more often at the start
    envelope = np.interp(u, np.linspace(0, 1, 12), rng.uniform(0.35, 1.0, 12))
    envelope[: n // 8] *= rng.uniform(1.0, 1.6)
    px = x + width * u - r * rng.uniform(0.5, 1.1) * np.sin(2 * np.pi * letters * t)
    py = y + height * 0.5 - r * envelope * 1.6 * np.cos(2 * np.pi * letters * t)
    py += height * 0.15 * np.sin(2 * np.pi * u * rng.uniform(0.5, 1.5) + rng.uniform(0, 6))
    pts = np.column_stack([px, py])
    cut = sorted(rng.choice(np.arange(n // 5, 4 * n // 5), size=int(rng.integers(0, 3)),
                            replace=False))
    for part in np.split(pts, cut):  # pen lifted between name parts
        if len(part) > 3:
            draw(canvas, part + np.cumsum(rng.normal(0, 0.02, part.shape), axis=0), hand, rng)
    if rng.random() < 0.7:
        a = (x + rng.uniform(-2, width * 0.2), y + height * rng.uniform(0.85, 1.05))
        b = (x + width * rng.uniform(0.7, 1.1), y + height * rng.uniform(0.7, 1.0))
        draw(canvas, hand_line(a, b, hand.light(rng) if rng.random() < 0.3 else hand, rng),
             hand, rng, taper=0.9)


def dot(canvas: Canvas, x: float, y: float, radius_mm: float, colour, opacity: float,
        blur_mm: float = 0.0) -> None:
    s = canvas.px
    r = radius_mm * s
    size = int(2 * (r + blur_mm * s * 3) + 4)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - size / 2
    d = np.hypot(xx, yy)
    alpha = np.clip(r + 0.5 - d, 0, 1).astype(np.float32) * opacity
    if blur_mm > 0:
        import cv2
        alpha = cv2.GaussianBlur(alpha, (0, 0), blur_mm * s)
    canvas.composite(alpha, int(x * s - size / 2), int(y * s - size / 2), colour)


def stamp(canvas: Canvas, area, rng: np.random.Generator) -> None:
    """The red round stamp over the organisation's name (dấu treo), pressed unevenly."""
    red = (0.85, 0.15, 0.18)
    cx = area.x + area.w * rng.uniform(0.15, 0.35)
    cy = area.y + area.h * rng.uniform(0.35, 0.6)
    radius = rng.uniform(14, 17)
    ink = Hand(colour=red, width_mm=0.9, pressure=rng.uniform(0.45, 0.8), tremor_mm=0.0, bow=0.0,
               size=1.0, slant_deg=0.0, skips=rng.uniform(0.5, 2.0), grain=0.4)
    for rr, w in ((radius, 0.9), (radius * 0.72, 0.5)):
        a = np.linspace(0, 2 * np.pi, 240)
        pts = np.column_stack([cx + rr * np.cos(a), cy + rr * np.sin(a)])
        draw(canvas, pts, Hand(**{**ink.__dict__, "width_mm": w}), rng, taper=0.0)
    star = [(cx + 5 * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
             cy - 5 * math.sin(math.pi / 2 + k * 4 * math.pi / 5)) for k in range(6)]
    draw(canvas, np.asarray(star), Hand(**{**ink.__dict__, "width_mm": 1.2}), rng, taper=0.0)
