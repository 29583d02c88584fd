"""Hand marks drawn from scratch: Bezier strokes with pressure, ballpoint skips and pencil grain.

A :class:`Canvas` is an RGB page (uint8) at a known dpi, with millimetre coordinates from the
top-left like the layout. Ink is composited multiplicatively (overlaps get darker, as real ink
does). Every stroke is rasterised with 4x supersampling on a local patch, so thin and light lines
keep their real coverage at any resolution. A :class:`Hand` is one voter's way of writing: pen
colour, width, pressure, tremor, size and slant; every mark style is drawn by many hands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

SUPERSAMPLE = 4

INKS = {  # RGB, 0..1, of the ink at full density
    "ballpoint_blue": (0.12, 0.2, 0.62),
    "ballpoint_black": (0.1, 0.1, 0.13),
    "gel_blue": (0.05, 0.12, 0.5),
    "gel_black": (0.04, 0.04, 0.05),
    "violet": (0.3, 0.15, 0.5),
    "felt_black": (0.08, 0.08, 0.08),
}
GRAPHITE = (0.3, 0.31, 0.34)

# The mark styles a correct voter uses, with their shares (the truth's ``style``).
STYLES = ("x", "x_heavy", "x_light", "x_small", "x_overshoot", "tick", "fill", "pencil")
STYLE_WEIGHTS = (0.22, 0.16, 0.13, 0.1, 0.09, 0.14, 0.06, 0.1)


@dataclass(frozen=True)
class Hand:
    """One voter's hand and pen."""

    colour: tuple[float, float, float]
    width_mm: float  # nominal line width
    pressure: float  # mean opacity of the ink, 0..1
    tremor_mm: float  # high-frequency wobble
    bow: float  # how much a straight stroke bends (share of its length)
    size: float  # how big marks are relative to the box
    slant_deg: float
    skips: float  # ballpoint skips per centimetre of stroke
    grain: float = 0.0  # pencil texture, 0 = none

    @staticmethod
    def random(rng: np.random.Generator) -> Hand:
        kind = str(rng.choice(list(INKS), p=(0.38, 0.22, 0.12, 0.1, 0.06, 0.12)))
        width = {"gel_blue": 0.5, "gel_black": 0.5, "felt_black": 0.8}.get(kind, 0.38)
        return Hand(colour=INKS[kind], width_mm=width * rng.uniform(0.75, 1.3),
                    pressure=rng.uniform(0.7, 1.0), tremor_mm=rng.uniform(0.02, 0.12),
                    bow=rng.uniform(0.0, 0.08), size=rng.uniform(0.75, 1.1),
                    slant_deg=rng.normal(0, 8),
                    skips=rng.uniform(0.0, 1.2) if "ball" in kind else 0.0)

    def light(self, rng: np.random.Generator) -> Hand:
        """The same hand barely pressing."""
        return replace(self, width_mm=rng.uniform(0.22, 0.35), pressure=rng.uniform(0.35, 0.6),
                       skips=self.skips + rng.uniform(0.5, 1.5))

    def heavy(self, rng: np.random.Generator) -> Hand:
        return replace(self, width_mm=rng.uniform(0.6, 1.0), pressure=rng.uniform(0.92, 1.0),
                       skips=0.0)

    def pencil(self, rng: np.random.Generator) -> Hand:
        return replace(self, colour=GRAPHITE, width_mm=rng.uniform(0.3, 0.55),
                       pressure=rng.uniform(0.35, 0.6), skips=0.0, grain=rng.uniform(0.3, 0.6))


class Canvas:
    """An RGB uint8 page at ``dpi``, drawn on in millimetres."""

    def __init__(self, image: np.ndarray, dpi: float) -> None:
        self.image = image  # (H, W, 3) uint8 RGB, drawn on in place
        self.dpi = dpi
        self.px = dpi / 25.4

    def composite(self, alpha: np.ndarray, x0: int, y0: int,
                  colour: tuple[float, float, float]) -> None:
        """Multiply the page under ``alpha`` (placed at pixel ``x0, y0``) by the ink colour."""
        h, w = self.image.shape[:2]
        ax0, ay0 = max(0, -x0), max(0, -y0)
        bx0, by0 = max(0, x0), max(0, y0)
        bx1, by1 = min(w, x0 + alpha.shape[1]), min(h, y0 + alpha.shape[0])
        if bx1 <= bx0 or by1 <= by0:
            return
        a = alpha[ay0:ay0 + by1 - by0, ax0:ax0 + bx1 - bx0, None]
        ink = np.asarray(colour, np.float32)[None, None, :]
        region = self.image[by0:by1, bx0:bx1].astype(np.float32)
        region *= 1.0 - a * (1.0 - ink)
        self.image[by0:by1, bx0:bx1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)

    def stroke(self, points_mm: np.ndarray, widths_mm: np.ndarray, alphas: np.ndarray,
               colour: tuple[float, float, float], *, grain: float = 0.0,
               rng: np.random.Generator | None = None) -> np.ndarray:
        """Draw a polyline with a width and an opacity at every point; return its alpha patch's
        pixel coordinates where the ink is dense (``(N, 2)`` x, y), for visibility checks."""
        s = self.px
        pad = float(widths_mm.max()) * s + 3
        x0 = int(math.floor(points_mm[:, 0].min() * s - pad))
        y0 = int(math.floor(points_mm[:, 1].min() * s - pad))
        x1 = int(math.ceil(points_mm[:, 0].max() * s + pad))
        y1 = int(math.ceil(points_mm[:, 1].max() * s + pad))
        k = SUPERSAMPLE
        patch = Image.new("L", ((x1 - x0) * k, (y1 - y0) * k), 0)
        draw = ImageDraw.Draw(patch)
        pts = ((points_mm * s - (x0, y0)) * k).tolist()
        values = np.rint(255 * np.clip(alphas, 0, 1)).astype(int).tolist()
        sizes = np.maximum(1.0, widths_mm * s * k).tolist()
        for i in range(len(pts) - 1):
            value = values[i]
            if value <= 0:
                continue
            width = sizes[i]
            (ax, ay), (bx, by) = pts[i], pts[i + 1]
            draw.line([(ax, ay), (bx, by)], fill=value, width=int(round(width)))
            r = width / 2
            draw.ellipse([bx - r, by - r, bx + r, by + r], fill=value)
        alpha = cv2.resize(np.asarray(patch, np.float32) / 255.0, (x1 - x0, y1 - y0),
                           interpolation=cv2.INTER_AREA)
        if grain > 0 and rng is not None:  # graphite: paper tooth leaves gaps in the line
            tooth = cv2.GaussianBlur(rng.random(alpha.shape).astype(np.float32), (0, 0), 0.7)
            tooth = (tooth - tooth.mean()) / (tooth.std() + 1e-6)
            alpha *= np.clip(1.0 + grain * 0.9 * tooth - grain * 0.3, 0.0, 1.0)
        self.composite(alpha, x0, y0, colour)
        ys, xs = np.nonzero(alpha > 0.35)
        return np.column_stack([xs + x0, ys + y0])

    def text(self, text: str, x_mm: float, y_mm: float, height_mm: float, hand: Hand,
             rng: np.random.Generator) -> np.ndarray:
        """Handwriting-like text: an italic font, wobbled line by line and slanted."""
        font = _font(int(height_mm * self.px * 1.35))
        left, top, right, bottom = font.getbbox(text)
        patch = Image.new("L", (right + 8, bottom + 8), 0)
        ImageDraw.Draw(patch).text((4 - left, 4), text, fill=255, font=font)
        alpha = np.asarray(patch, np.float32) / 255.0
        h, w = alpha.shape
        # wavy baseline and uneven letter size: a sine warp along x and y
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        amp = height_mm * self.px * rng.uniform(0.04, 0.12)
        phase = rng.uniform(0, 2 * np.pi)
        map_y = yy + amp * np.sin(xx / max(w, 1) * rng.uniform(3, 7) + phase)
        map_x = xx + (yy - h / 2) * math.tan(math.radians(rng.uniform(-5, 12)))
        alpha = cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR, borderValue=0)
        alpha *= min(1.0, hand.pressure + 0.15)
        x0, y0 = int(x_mm * self.px), int(y_mm * self.px - h * 0.7)
        self.composite(alpha, x0, y0, hand.colour)
        ys, xs = np.nonzero(alpha > 0.35)
        return np.column_stack([xs + x0, ys + y0])


_FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
                    "/usr/share/fonts/truetype/liberation2/LiberationSans-Italic.ttf",
                    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf")


def _font(size_px: int) -> ImageFont.ImageFont:
    for path in _FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size_px)
    return ImageFont.load_default(size=size_px)


# ------------------------------------------------------------------------------------------
# Stroke geometry


def bezier(p0, p1, p2, p3, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, p1, p2, p3 = (np.asarray(p, float) for p in (p0, p1, p2, p3))
    return (((1 - t) ** 3) * p0 + 3 * ((1 - t) ** 2) * t * p1 + 3 * (1 - t) * t * t * p2
            + t ** 3 * p3)


def hand_line(a, b, hand: Hand, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn 'straight' line from ``a`` to ``b``: a bowed cubic Bezier plus tremor."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    length = float(np.hypot(*d)) + 1e-9
    normal = np.array([-d[1], d[0]]) / length
    c1 = a + d / 3 + normal * rng.normal(0, hand.bow) * length
    c2 = a + 2 * d / 3 + normal * rng.normal(0, hand.bow) * length
    n = max(8, int(length / 0.15))
    pts = bezier(a, c1, c2, b, n)
    return pts + _tremor(n, hand.tremor_mm, rng)


def hand_path(waypoints: list, hand: Hand, rng: np.random.Generator) -> np.ndarray:
    """A smooth path through ``waypoints`` (Catmull-Rom), plus tremor."""
    w = np.asarray(waypoints, float)
    w = np.vstack([w[0], w, w[-1]])
    out = []
    for i in range(1, len(w) - 2):
        p0, p1, p2, p3 = w[i - 1], w[i], w[i + 1], w[i + 2]
        n = max(4, int(np.hypot(*(p2 - p1)) / 0.15))
        t = np.linspace(0, 1, n, endpoint=False)[:, None]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(w[-2][None, :])
    pts = np.vstack(out)
    return pts + _tremor(len(pts), hand.tremor_mm, rng)


def _tremor(n: int, sd: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0, 1, (n + 8, 2))
    kernel = np.ones(6) / 6
    smooth = np.column_stack([np.convolve(noise[:, i], kernel, mode="same") for i in (0, 1)])
    return smooth[4:n + 4] * sd * 2.4


def pressure_profile(pts: np.ndarray, hand: Hand, rng: np.random.Generator, *,
                     taper: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Widths and opacities along a stroke: a landing, a lift-off taper, slow pressure drift and
    ballpoint skips (short stretches where the ball rolls dry)."""
    n = len(pts)
    seg = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
    length = seg[-1] + 1e-9
    t = seg / length
    landing = np.clip(t / 0.06, 0.55, 1.0)
    lift = 1.0 - taper * np.clip((t - 0.8) / 0.2, 0.0, 1.0)
    drift = 1.0 + 0.15 * np.sin(t * rng.uniform(2, 6) + rng.uniform(0, 6))
    p = np.clip(hand.pressure * landing * lift * drift, 0.05, 1.0)
    if hand.skips > 0:
        count = rng.poisson(hand.skips * length / 10.0)
        for _ in range(count):
            centre = rng.uniform(0, length)
            half = rng.uniform(0.15, 0.6)
            p[np.abs(seg - centre) < half] *= rng.uniform(0.05, 0.45)
    widths = hand.width_mm * (0.75 + 0.25 * p / max(hand.pressure, 1e-3))
    if n and rng.random() < 0.3:  # a blob of ink where the pen landed
        widths[: max(1, n // 25)] *= 1.35
    return widths, p


def draw(canvas: Canvas, pts: np.ndarray, hand: Hand, rng: np.random.Generator,
         taper: float = 0.5) -> np.ndarray:
    widths, alphas = pressure_profile(pts, hand, rng, taper=taper)
    return canvas.stroke(pts, widths, alphas, hand.colour, grain=hand.grain, rng=rng)
