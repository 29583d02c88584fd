"""Paper and scanner effects, independent of the project's simulator.

A sheet (RGB at the paper resolution) goes through: a geometric feed (skew 0-8 degrees, shift, a
slightly uneven feed speed, corners sometimes cut off by the scan area, scanner background beyond
the sheet) with optics blur; augraphy's ink, paper and post-processing effects when installed
(otherwise a few effects of our own, see :func:`own_effects`); scanner gain, gamma, lamp fall-off,
colour cast and sensor noise; the output mode (colour, grey, or black-and-white by a fixed
threshold); and JPEG at quality 50-90 (PNG or 1-bit Flate for black-and-white). Files are PDF
(written by :class:`PdfWriter`, JPEG pages embedded as scanners do), JPEG or PNG.
"""

from __future__ import annotations

import io
import math
import random
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

A4_MM = (210.0, 297.0)

_aug: Any = None  # augraphy, once imported (it takes seconds: only when a corpus uses it)


def augraphy_available() -> bool:
    """Whether the optional benchmark extra is installed (pip install -e .[bench]); imports it."""
    global _aug
    if _aug is None:
        try:
            import augraphy
        except Exception:  # noqa: BLE001 - any import failure means "not usable here"
            return False
        _aug = augraphy
    return True


@dataclass(frozen=True)
class Stack:
    """One scanner run: a batch of sheets fed together, written as one format."""

    name: str
    dpi: int
    mode: str  # colour | grey | bw
    fmt: str  # pdf | jpeg | png
    background: int  # grey level of the scanner lid beyond the sheet
    bw_threshold: int


def draw_stack(name: str, rng: np.random.Generator) -> Stack:
    mode = str(rng.choice(["grey", "colour", "bw"], p=[0.45, 0.35, 0.2]))
    # black-and-white at 150 dpi loses light marks outright: offices scan bw at 200 dpi or more
    dpis, weights = ([200, 300], [0.5, 0.5]) if mode == "bw" else \
        ([150, 200, 240, 300], [0.2, 0.35, 0.1, 0.35])
    dpi = int(rng.choice(dpis, p=weights))
    fmt = str(rng.choice(["pdf", "png"] if mode == "bw" else ["pdf", "jpeg"], p=[0.6, 0.4]))
    background = int(rng.choice([250, 235, 60])) if rng.random() < 0.6 else 255
    return Stack(name, dpi, mode, fmt, background, int(rng.integers(140, 180)))


@dataclass
class PageScan:
    """Everything drawn for one page's scan (kept in the truth for diagnosis)."""

    angle_deg: float
    shift_mm: tuple[float, float]
    feed_scale: float
    corner_cut: bool
    gain: float
    offset: float
    gamma: float
    lamp: float
    noise_sd: float
    jpeg_quality: int
    effects: list[str] = field(default_factory=list)
    marks_in_frame: int = 4

    def to_dict(self) -> dict:
        return asdict(self)


def _angle(rng: np.random.Generator) -> float:
    r = rng.random()  # most sheets feed nearly straight; a few go in badly
    mag = (rng.uniform(0, 1.0) if r < 0.7 else rng.uniform(1.0, 3.0) if r < 0.92 else
           rng.uniform(3.0, 5.0) if r < 0.97 else rng.uniform(5.0, 8.0))
    return float(mag * rng.choice([-1, 1]))


def feed_matrix(angle_deg: float, shift_mm, feed_scale: float, paper_dpi: float,
                out_dpi: float, size_mm=A4_MM) -> np.ndarray:
    """2x3 matrix from paper pixels to scan pixels: rotate about the sheet centre, scale, shift."""
    s = out_dpi / paper_dpi
    a = math.radians(angle_deg)
    cx, cy = size_mm[0] / 2 * paper_dpi / 25.4, size_mm[1] / 2 * paper_dpi / 25.4
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ \
        np.diag([1.0, feed_scale])
    lin = rot * s
    out_c = np.array([cx * s + shift_mm[0] * out_dpi / 25.4, cy * s + shift_mm[1] * out_dpi / 25.4])
    t = out_c - lin @ np.array([cx, cy])
    return np.hstack([lin, t[:, None]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


def choose_feed(keep_mm: list, marks_mm: list, paper_dpi: float, out_dpi: float,
                rng: np.random.Generator, *,
                corner_cut_rate: float = 0.05) -> tuple[np.ndarray, PageScan]:
    """Draw a skew and shift that keep every rectangle of ``keep_mm`` (table, QR) inside the scan
    area; some sheets at larger skews are shifted so that a corner, with its registration disc,
    falls outside it."""
    s_in, s_out = paper_dpi / 25.4, out_dpi / 25.4
    frame = np.array([A4_MM[0] * s_out, A4_MM[1] * s_out])
    corners = np.array([[r.x - 1.5, r.y - 1.5] for r in keep_mm]
                       + [[r.right + 1.5, r.y - 1.5] for r in keep_mm]
                       + [[r.x - 1.5, r.bottom + 1.5] for r in keep_mm]
                       + [[r.right + 1.5, r.bottom + 1.5] for r in keep_mm]) * s_in
    discs = np.array(marks_mm) * s_in
    want_cut = rng.random() < corner_cut_rate
    for attempt in range(200):
        angle = _angle(rng) if not want_cut or attempt > 150 else \
            float(rng.uniform(4.5, 8) * rng.choice([-1, 1]))
        shift = (float(rng.normal(0, 1.5)), float(rng.normal(0, 1.5)))
        if want_cut and attempt <= 150:
            shift = (float(rng.uniform(-6, 6)), float(rng.uniform(-6, 6)))
        scale = float(rng.uniform(0.99, 1.01))
        m = feed_matrix(angle, shift, scale, paper_dpi, out_dpi)
        c = _apply(m, corners)
        if (c < 1.0 * s_out).any() or (c[:, 0] > frame[0] - s_out).any() or \
                (c[:, 1] > frame[1] - s_out).any():
            continue
        d = _apply(m, discs)
        r = 3.2 * s_out
        inside = int(((d[:, 0] > r) & (d[:, 1] > r) & (d[:, 0] < frame[0] - r)
                      & (d[:, 1] < frame[1] - r)).sum())
        if want_cut and attempt <= 150 and inside == 4:
            continue
        return m, PageScan(angle_deg=round(angle, 3),
                           shift_mm=(round(shift[0], 2), round(shift[1], 2)),
                           feed_scale=round(scale, 4), corner_cut=inside < 4, gain=1.0, offset=0.0,
                           gamma=1.0, lamp=0.0, noise_sd=0.0, jpeg_quality=0, marks_in_frame=inside)
    raise RuntimeError("no feed keeps the table inside the scan area")


# ------------------------------------------------------------------------------------------
# Effects

def _aug_effects(rng: np.random.Generator) -> list[tuple[str, object]]:
    """A random selection of augraphy effects at strengths an office scanner shows."""
    a = _aug
    pick = []

    def maybe(p, name, make):
        if rng.random() < p:
            pick.append((name, make()))
    # ink (toner and ballpoint)
    maybe(0.3, "InkBleed", lambda: a.InkBleed(intensity_range=(0.1, 0.3), kernel_size=(3, 3),
                                              severity=(0.2, 0.4)))
    maybe(0.2, "LowInkRandomLines", lambda: a.LowInkRandomLines(count_range=(3, 10),
                                                                use_consistent_lines=False))
    maybe(0.15, "LowInkPeriodicLines", lambda: a.LowInkPeriodicLines(count_range=(1, 3),
                                                                     period_range=(16, 48)))
    maybe(0.2, "InkMottling", lambda: a.InkMottling(ink_mottling_alpha_range=(0.1, 0.2)))
    # paper
    maybe(0.25, "ColorPaper", lambda: a.ColorPaper(hue_range=(15, 40), saturation_range=(5, 25)))
    maybe(0.35, "BrightnessTexturize", lambda: a.BrightnessTexturize(texturize_range=(0.94, 0.99),
                                                                     deviation=0.03))
    maybe(0.2, "NoiseTexturize", lambda: a.NoiseTexturize(sigma_range=(2, 4),
                                                           turbulence_range=(2, 5)))
    # scanner and handling
    maybe(0.15, "Folding", lambda: a.Folding(fold_count=int(rng.integers(1, 3)), fold_noise=0.0,
                                             gradient_width=(0.1, 0.2),
                                             gradient_height=(0.002, 0.005)))
    maybe(0.15, "DirtyDrum", lambda: a.DirtyDrum(line_width_range=(1, 2), line_concentration=0.05,
                                                 noise_intensity=0.1, noise_value=(150, 220)))
    maybe(0.08, "Stains", lambda: a.Stains(stains_type="light", stains_blend_alpha=0.25))
    maybe(0.06, "ShadowCast", lambda: a.ShadowCast(
        shadow_side=str(rng.choice(["left", "right", "top", "bottom"])),
        shadow_opacity_range=(0.1, 0.25)))
    maybe(0.1, "SubtleNoise", lambda: a.SubtleNoise(subtle_range=int(rng.integers(4, 12))))
    return pick


def own_effects(image: np.ndarray, rng: np.random.Generator, px_per_mm: float) -> list[str]:
    """Fallback when augraphy is missing: toner mottling, paper grain, a fold shadow, a dirty
    line. In place on a BGR uint8 image."""
    names = []
    h, w = image.shape[:2]
    f = image.astype(np.float32)
    if rng.random() < 0.5:  # paper grain
        grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.2)
        f *= (1 + 0.03 * grain)[:, :, None]
        names.append("grain")
    if rng.random() < 0.3:  # uneven toner: dark ink lighter in blotches
        blot = cv2.resize(rng.random((h // 60 + 2, w // 60 + 2)).astype(np.float32), (w, h))
        dark = (255 - f) / 255
        f = 255 - (255 - f) * (1 - 0.35 * blot[:, :, None] * dark)
        names.append("toner")
    if rng.random() < 0.15:  # a fold across the sheet
        y = int(rng.uniform(0.3, 0.7) * h)
        band = np.exp(-((np.arange(h) - y) / (1.5 * px_per_mm)) ** 2)
        f *= (1 - 0.12 * band)[:, None, None]
        names.append("fold")
    if rng.random() < 0.1:  # a dirty line along the feed
        x = int(rng.uniform(0.05, 0.95) * w)
        f[:, x:x + max(1, int(0.15 * px_per_mm))] *= rng.uniform(0.8, 0.92)
        names.append("line")
    image[:] = np.clip(f, 0, 255).astype(np.uint8)
    return names


def scan_sheet(sheet_rgb: np.ndarray, paper_dpi: float, stack: Stack, matrix: np.ndarray,
               info: PageScan, rng: np.random.Generator, *,
               use_augraphy: bool = True) -> np.ndarray:
    """Scan one sheet: returns the page image as the scanner's software hands it over, before
    encoding (BGR for colour, grey otherwise, 0/255 grey for bw)."""
    s = stack.dpi / paper_dpi
    blurred = cv2.GaussianBlur(sheet_rgb, (0, 0), max(0.5, 0.45 / s) * rng.uniform(0.9, 1.3))
    size = (int(round(A4_MM[0] / 25.4 * stack.dpi)), int(round(A4_MM[1] / 25.4 * stack.dpi)))
    out = cv2.warpAffine(blurred, matrix, size, flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(stack.background,) * 3)
    bgr = np.ascontiguousarray(out[:, :, ::-1])
    if use_augraphy and augraphy_available():
        seed = int(rng.integers(2**31))
        random.seed(seed)
        np.random.seed(seed)
        for name, effect in _aug_effects(rng):
            try:
                result = effect(bgr, force=True)
            except Exception:  # noqa: BLE001 - an effect that fails on this page is skipped
                continue
            if isinstance(result, np.ndarray) and result.shape == bgr.shape:
                bgr = np.ascontiguousarray(result)
                info.effects.append(name)
    else:
        info.effects += own_effects(bgr, rng, stack.dpi / 25.4)
    # scanner gain, gamma, lamp fall-off, colour cast, sensor noise
    info.gain = round(float(rng.uniform(0.86, 1.08)), 3)
    info.offset = round(float(rng.uniform(-8, 14)), 2)
    info.gamma = round(float(rng.uniform(0.8, 1.25)), 3)
    info.lamp = round(float(rng.uniform(0, 0.07)), 3)
    info.noise_sd = round(float(rng.uniform(0.5, 3.5)), 2)
    if stack.mode == "colour":  # a colour cast: the three channels' gains differ a little
        cast = rng.uniform(0.96, 1.03, 3)
        img = np.dstack([cv2.LUT(bgr[:, :, c], _lut(info, cast[c])) for c in range(3)])
    else:
        img = cv2.LUT(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), _lut(info, 1.0))
    h, w = img.shape[:2]
    xs = np.linspace(-1, 1, w, dtype=np.float32)
    lamp = np.ascontiguousarray(np.broadcast_to((1 - info.lamp * xs ** 2)[None, :], (h, w)))
    noise = np.empty((h, w), np.float32)
    cv2.setRNGSeed(int(rng.integers(2**31)))
    cv2.randn(noise, 0.0, info.noise_sd)
    if img.ndim == 3:
        lamp, noise = cv2.merge([lamp] * 3), cv2.merge([noise] * 3)
    img = cv2.add(cv2.multiply(img.astype(np.float32), lamp), noise)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if stack.mode != "bw":
        return img
    grey = img
    return np.where(grey < stack.bw_threshold, 0, 255).astype(np.uint8)


def _lut(info: PageScan, cast: float) -> np.ndarray:
    """Gamma, then the scanner's gain and offset, as a table of the 256 grey levels."""
    x = np.arange(256, dtype=np.float64) / 255.0
    y = np.power(x, info.gamma) * 255 * info.gain * cast + info.offset
    return np.clip(np.rint(y), 0, 255).astype(np.uint8)


def encode(image: np.ndarray, stack: Stack, quality: int) -> tuple[bytes, np.ndarray]:
    """The page's file bytes (JPEG, or PNG for bw) and the grey image a reader decodes from them."""
    buf = io.BytesIO()
    if stack.mode == "bw":
        pil = Image.fromarray(image).convert("1")
        pil.save(buf, format="PNG", dpi=(stack.dpi, stack.dpi))
        return buf.getvalue(), np.asarray(pil.convert("L"))
    pil = Image.fromarray(image[:, :, ::-1] if image.ndim == 3 else image)
    pil.save(buf, format="JPEG", quality=quality, dpi=(stack.dpi, stack.dpi))
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as decoded:
        grey = np.asarray(decoded.convert("L"))
    return data, grey


def visible(points_px: np.ndarray, matrix: np.ndarray, grey: np.ndarray, box_px_out: np.ndarray,
            bw: bool) -> bool:
    """Is the ink at ``points_px`` (paper pixels) still visible on the scanned ``grey`` page?

    Visible: at least a third of the ink's points are clearly darker than the paper around them
    (black in bw), and enough of them to be seen (about a 1 mm stroke at the scan's resolution).
    """
    if len(points_px) == 0:
        return False
    p = np.round(_apply(matrix, points_px.astype(np.float64))).astype(int)
    h, w = grey.shape
    ok = (p[:, 0] >= 0) & (p[:, 1] >= 0) & (p[:, 0] < w) & (p[:, 1] < h)
    p = p[ok]
    if len(p) == 0:
        return False
    values = grey[p[:, 1], p[:, 0]].astype(np.float32)
    x0, y0 = np.maximum(box_px_out.min(axis=0).astype(int) - 4, 0)
    x1, y1 = box_px_out.max(axis=0).astype(int) + 4
    paper = float(np.percentile(grey[y0:y1, x0:x1], 90))
    if paper < (128 if bw else 110):  # no paper to be seen around the box: nothing is visible
        return False
    dark = values < (128 if bw else paper - max(25.0, 0.14 * paper))
    return dark.mean() >= 0.33 and dark.sum() >= max(6, int(grey.shape[1] / 210 * 1.2))


def code_readable(grey: np.ndarray, qr_px_out: np.ndarray) -> bool:
    """Does the ballot's QR code still decode on the scan (zxing-cpp on the code's region)?
    A sheet whose code the scan destroyed is no fair test of reading marks."""
    import zxingcpp
    x0, y0 = np.maximum(qr_px_out.min(axis=0).astype(int) - 20, 0)
    x1, y1 = qr_px_out.max(axis=0).astype(int) + 20
    crop = np.ascontiguousarray(grey[y0:y1, x0:x1])
    return bool(crop.size) and \
        bool(zxingcpp.read_barcodes(crop, formats=zxingcpp.BarcodeFormat.QRCode))


class PdfWriter:
    """A minimal streaming PDF writer: one image per page, the page sized to the image at its
    dpi. JPEG pages are embedded as they are (DCTDecode); PNG (bw) pages as 1-bit Flate."""

    def __init__(self, path: Path) -> None:
        self.f = open(path, "wb")
        self.offsets: list[int] = []
        self.pages: list[int] = []
        self.f.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._reserve(2)  # 1: catalog, 2: pages (written at the end)

    def _reserve(self, n: int) -> None:
        self.offsets += [0] * n

    def _obj(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[number - 1] = self.f.tell()
        self.f.write(f"{number} 0 obj\n".encode() + body)
        if stream is not None:
            self.f.write(b"\nstream\n" + stream + b"\nendstream")
        self.f.write(b"\nendobj\n")

    def add(self, data: bytes, dpi: int, bw: bool) -> None:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            if bw:
                raw = im.convert("1").tobytes()  # 1 bit, 0 = black
                colour, bits, filt, stream = "/DeviceGray", 1, "/FlateDecode", zlib.compress(raw, 6)
            else:
                colour = "/DeviceRGB" if im.mode == "RGB" else "/DeviceGray"
                bits, filt, stream = 8, "/DCTDecode", data
        base = len(self.offsets) + 1
        self._reserve(3)
        image, content, page = base, base + 1, base + 2
        self._obj(image, (f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
                          f"/ColorSpace {colour} /BitsPerComponent {bits} /Filter {filt} "
                          f"/Length {len(stream)} >>").encode(), stream)
        w_pt, h_pt = width * 72.0 / dpi, height * 72.0 / dpi
        draw = f"q {w_pt:.3f} 0 0 {h_pt:.3f} 0 0 cm /Im0 Do Q".encode()
        self._obj(content, f"<< /Length {len(draw)} >>".encode(), draw)
        self._obj(page, (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt:.3f} {h_pt:.3f}] "
                         f"/Resources << /XObject << /Im0 {image} 0 R >> >> "
                         f"/Contents {content} 0 R >>")
                  .encode())
        self.pages.append(page)

    def close(self) -> None:
        kids = " ".join(f"{p} 0 R" for p in self.pages)
        self._obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._obj(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self.pages)} >>".encode())
        xref = self.f.tell()
        self.f.write(f"xref\n0 {len(self.offsets) + 1}\n0000000000 65535 f \n".encode())
        for off in self.offsets:
            self.f.write(f"{off:010d} 00000 n \n".encode())
        self.f.write(f"trailer\n<< /Size {len(self.offsets) + 1} /Root 1 0 R >>\n"
                     f"startxref\n{xref}\n%%EOF\n".encode())
        self.f.close()
