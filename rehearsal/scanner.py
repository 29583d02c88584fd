"""An office scanner, simulated: what a marked sheet looks like once printed and scanned.

Profiles (:data:`PROFILES`) combine, per page: print darkness (toner), skew (and sometimes a lot of
it, with the sheet's corners cut off by the scan area), shift, sheets fed upside down, mild
keystone, paper tone, uneven lighting, blur, noise, dust, a dark scanner edge, the scanner's tone
curve (gain, contrast, gamma, black level), and the output mode (colour, grey, or black-and-white
thresholding). JPEG quality and chroma subsampling are chosen per page and applied when the file
is written. Every page of a stack differs. Every function is pure on numpy arrays but for the
random generator it is given, so a seed reproduces a stack exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

MM_PER_INCH = 25.4
SCANNER_WHITE = 246  # what a white scanner lid looks like beyond the sheet
ECONOMY_JPEG = (50, 65)  # the quality of a scanner set to small files
SUBSAMPLINGS = ("4:4:4", "4:2:2", "4:2:0")  # JPEG chroma subsampling, as PIL names it
HEAVY_TONER_SPREAD = 0.15  # toner above nominal by this much thickens print by a full pixel
CHANNEL_GRAIN = 0.5  # a colour sensor's grain of its own in each channel, times the profile's


@dataclass(frozen=True)
class ScannerProfile:
    """How one scanner (and the printer and paper before it) treats a stack.

    Ranges are ``(low, high)``, drawn uniformly for every page unless said otherwise.
    """

    name: str
    dpis: tuple[int, ...]  # one is chosen per stack (unless given)
    modes: tuple[str, ...]  # "colour", "grey" or "bw"; one is chosen per stack
    duplex: bool  # a (blank) back page follows every sheet
    skew_sd_deg: float
    skew_rare_deg: tuple[float, float]  # occasionally the sheet goes in this crooked…
    skew_rare_rate: float  # …this often
    shift_mm: float
    upside_down_rate: float
    keystone_mm: float  # how far a corner may be displaced
    paper_tone: tuple[float, float]  # brightness of the paper, 1 = pure white
    lighting: float  # largest relative darkening across the page
    blur_sd_px: tuple[float, float]  # at 300 dpi
    noise_sd: float  # grey levels
    dust: tuple[int, int]  # specks per page
    dark_edge_rate: float
    bleed: float  # how much of the front shows through on a back page
    jpeg_quality: tuple[int, int]
    jpeg_economy_rate: float = 0.0  # pages written at ECONOMY_JPEG quality instead
    subsamplings: tuple[str, ...] = ("4:2:0",)  # chroma subsampling of colour JPEG, per page
    toner: tuple[float, float] = (1.0, 1.0)  # print darkness, 1 nominal, below: toner saving
    gain: tuple[float, float] = (1.0, 1.0)  # the scanner's white point (above 1 clips paper)
    contrast: tuple[float, float] = (1.0, 1.0)
    gamma: tuple[float, float] = (1.0, 1.0)
    black_level: tuple[float, float] = (0.0, 0.0)  # grey level the darkest ink comes out at
    bed_tones: tuple[int, ...] = (SCANNER_WHITE,)  # the lid or feeder background; one per stack
    stain_rate: float = 0.0  # ballot sheets on stained, sand-grained paper (:func:`stained`)…
    stain_darkness: tuple[float, float] = (0.1, 0.3)  # …this dark at the darkest grain
    # In colour only: each channel's gain off by up to this share (a colour cast: the lamp, the
    # sensor's white balance), and the red channel this many pixels behind the others along the
    # feed (the colour lines of a contact sensor out of step: fringes along print edges).
    colour_cast: float = 0.0
    colour_fringe_px: float = 0.0
    # Stacks scanned with dust on the feeder's glass: one or two thin dark lines down every
    # page, at the same columns (:func:`streaked`), this dark (1: black).
    streak_rate: float = 0.0
    streak_darkness: tuple[float, float] = (0.35, 1.0)
    # Stacks with thin light lines across every sheet, one every ``band_period_mm``, where
    # everything lost ``band_loss`` of its darkness (:func:`banded`): a laser printer low on
    # toner, or a feeder skipping lines; found on independent scans (augraphy's low-ink
    # periodic lines), where they cut the registration discs in two and no disc was found.
    band_rate: float = 0.0
    band_period_mm: tuple[float, float] = (8.0, 40.0)
    band_loss: tuple[float, float] = (0.6, 1.0)


PROFILES: dict[str, ScannerProfile] = {
    p.name: p
    for p in (
        ScannerProfile("clean", dpis=(300,), modes=("grey",), duplex=False, skew_sd_deg=0.3,
                       skew_rare_deg=(0.5, 0.8), skew_rare_rate=0.0, shift_mm=1.0,
                       upside_down_rate=0.0, keystone_mm=0.0, paper_tone=(0.97, 1.0),
                       lighting=0.02, blur_sd_px=(0.3, 0.5), noise_sd=1.0, dust=(0, 2),
                       dark_edge_rate=0.0, bleed=0.02, jpeg_quality=(85, 95),
                       subsamplings=("4:4:4", "4:2:0"), toner=(0.85, 1.05), gain=(0.98, 1.03),
                       contrast=(0.95, 1.05), gamma=(0.93, 1.07), black_level=(0.0, 12.0),
                       colour_cast=0.03),
        ScannerProfile("office", dpis=(200, 300), modes=("grey", "colour"), duplex=True,
                       skew_sd_deg=0.9, skew_rare_deg=(2.4, 4.0), skew_rare_rate=0.03,
                       shift_mm=3.0, upside_down_rate=0.08, keystone_mm=0.6,
                       paper_tone=(0.88, 0.99), lighting=0.08, blur_sd_px=(0.4, 0.9),
                       noise_sd=2.5, dust=(0, 12), dark_edge_rate=0.2, bleed=0.05,
                       jpeg_quality=(75, 85), jpeg_economy_rate=0.1,
                       subsamplings=("4:2:0", "4:2:0", "4:2:2"), toner=(0.6, 1.1),
                       gain=(0.93, 1.07), contrast=(0.85, 1.15), gamma=(0.8, 1.25),
                       black_level=(0.0, 35.0), bed_tones=(SCANNER_WHITE, SCANNER_WHITE, 200),
                       colour_cast=0.06, colour_fringe_px=0.4),
        ScannerProfile("rough", dpis=(150, 200), modes=("colour", "grey", "bw"), duplex=True,
                       skew_sd_deg=1.8, skew_rare_deg=(4.0, 10.0), skew_rare_rate=0.06,
                       shift_mm=6.0, upside_down_rate=0.2, keystone_mm=2.0,
                       paper_tone=(0.8, 0.93), lighting=0.2, blur_sd_px=(0.7, 1.4), noise_sd=5.0,
                       dust=(5, 40), dark_edge_rate=0.6, bleed=0.12, jpeg_quality=(55, 75),
                       jpeg_economy_rate=0.4, subsamplings=("4:2:0",), toner=(0.5, 1.15),
                       gain=(0.88, 1.08), contrast=(0.85, 1.2), gamma=(0.8, 1.3),
                       black_level=(5.0, 40.0), bed_tones=(SCANNER_WHITE, 170, 60),
                       stain_rate=0.3, colour_cast=0.12, colour_fringe_px=0.8,
                       streak_rate=0.3, band_rate=0.3),
        ScannerProfile("crooked", dpis=(200, 300), modes=("grey", "colour"), duplex=True,
                       skew_sd_deg=0.0, skew_rare_deg=(4.0, 10.0), skew_rare_rate=1.0,
                       shift_mm=5.0, upside_down_rate=0.08, keystone_mm=0.8,
                       paper_tone=(0.88, 0.99), lighting=0.08, blur_sd_px=(0.4, 0.9),
                       noise_sd=2.5, dust=(0, 12), dark_edge_rate=0.2, bleed=0.05,
                       jpeg_quality=(75, 85), jpeg_economy_rate=0.1,
                       subsamplings=("4:2:0", "4:2:2"), toner=(0.6, 1.1), gain=(0.93, 1.07),
                       contrast=(0.85, 1.15), gamma=(0.8, 1.25), black_level=(0.0, 35.0),
                       bed_tones=(SCANNER_WHITE, 200, 90), colour_cast=0.06,
                       colour_fringe_px=0.4),
    )
}
"""clean: a good flatbed; office: a typical office feeder; rough: an old feeder, cheap toner and
paper (stained, grained like sand), economy JPEG; crooked: office-like, but every sheet goes in
4–10° askew, so its corners (and often registration discs) fall off the scan area."""


@dataclass(frozen=True)
class PageTone:
    """The tones of one page: its paper, and the scanner's tone curve and background."""

    paper: float = 1.0
    gain: float = 1.0
    contrast: float = 1.0
    gamma: float = 1.0
    black_level: float = 0.0
    bed: int = SCANNER_WHITE
    cast: tuple[float, float, float] = (1.0, 1.0, 1.0)  # BGR gains of a colour scan


@dataclass(frozen=True)
class ScanParams:
    """What the scanner did to one page (recorded in the truth file)."""

    skew_deg: float
    shift_mm: tuple[float, float]
    upside_down: bool
    keystone_mm: float
    jpeg_quality: int
    jpeg_subsampling: str = "4:2:0"
    tone: PageTone | None = None  # None: drawn by :func:`scan` from the profile
    colour_fringe_px: float = 0.0  # a colour scan's red channel behind the others (pixels)


def _uniform(rng: np.random.Generator, span: tuple[float, float], digits: int = 3) -> float:
    return round(float(rng.uniform(*span)), digits)


def draw_tone(profile: ScannerProfile, rng: np.random.Generator, *,
              bed: int | None = None) -> PageTone:
    """The paper and tone curve of one page, from ``profile``'s ranges."""
    return PageTone(paper=_uniform(rng, profile.paper_tone), gain=_uniform(rng, profile.gain),
                    contrast=_uniform(rng, profile.contrast), gamma=_uniform(rng, profile.gamma),
                    black_level=_uniform(rng, profile.black_level, 1),
                    bed=int(bed if bed is not None else profile.bed_tones[0]))


def draw_params(profile: ScannerProfile, rng: np.random.Generator, *,
                bed: int | None = None,
                colour: np.random.Generator | None = None) -> ScanParams:
    """Everything the scanner does to one page; ``bed`` is the stack's background tone. A colour
    scan has a colour cast and fringes too, drawn from ``colour``, a stream of their own (so
    that everything else of a stack is what it was before colour casts were simulated)."""
    skew = rng.normal(0.0, profile.skew_sd_deg)
    if rng.random() < profile.skew_rare_rate:
        skew = float(np.sign(skew) or rng.choice([-1.0, 1.0])) * rng.uniform(*profile.skew_rare_deg)
    quality = int(rng.integers(profile.jpeg_quality[0], profile.jpeg_quality[1] + 1))
    if rng.random() < profile.jpeg_economy_rate:
        quality = int(rng.integers(ECONOMY_JPEG[0], ECONOMY_JPEG[1] + 1))
    params = ScanParams(
        skew_deg=round(float(skew), 3),
        shift_mm=(round(float(rng.uniform(-1, 1) * profile.shift_mm), 3),
                  round(float(rng.uniform(-1, 1) * profile.shift_mm), 3)),
        upside_down=bool(rng.random() < profile.upside_down_rate),
        keystone_mm=round(float(rng.uniform(0, profile.keystone_mm)), 3),
        jpeg_quality=quality,
        jpeg_subsampling=str(rng.choice(profile.subsamplings)),
        tone=draw_tone(profile, rng, bed=bed),
    )
    if colour is None:
        return params
    cast = tuple(_uniform(colour, (1.0 - profile.colour_cast, 1.0 + profile.colour_cast))
                 for _ in range(3))
    return dataclasses.replace(
        params, tone=dataclasses.replace(params.tone, cast=cast),  # type: ignore[arg-type]
        colour_fringe_px=_uniform(colour, (0.0, profile.colour_fringe_px)))


def print_density(image: np.ndarray, toner: float) -> np.ndarray:
    """A printed page at ``toner`` darkness (1 nominal): lighter print when below (a printer
    saving toner, or running low), darker and slightly thicker when above.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) uint8
        The page as the printer was asked to print it (white paper, black print).
    """
    levels = np.arange(256, dtype=np.float32)
    lut = np.clip(255.0 - (255.0 - levels) * toner, 0, 255).astype(np.uint8)
    out = cv2.LUT(image, lut)
    if toner > 1.0:  # toner spreads: each line grows by up to a pixel
        spread = min((toner - 1.0) / HEAVY_TONER_SPREAD, 1.0)
        eroded = cv2.erode(out, np.ones((3, 3), np.uint8))
        out = cv2.addWeighted(out, 1.0 - spread, eroded, spread, 0)
    return out


def tone_curve(tone: PageTone) -> np.ndarray:
    """The scanner's tone curve as a 256-entry lookup table: gain (white point), then gamma,
    then contrast about mid-grey, then the black level the darkest ink is lifted to."""
    x = np.arange(256, dtype=np.float64) / 255.0
    y = np.clip(x * tone.gain, 0.0, 1.0) ** tone.gamma
    y = np.clip((y - 0.5) * tone.contrast + 0.5, 0.0, 1.0)
    return np.round(tone.black_level + (255.0 - tone.black_level) * y).astype(np.uint8)


def page_transform(size_px: tuple[int, int], params: ScanParams, dpi: float,
                   rng: np.random.Generator) -> np.ndarray:
    """The 3 × 3 perspective matrix taking sheet pixels to scanner pixels.

    Parameters
    ----------
    size_px : (W, H)
    """
    w, h = size_px
    s = dpi / MM_PER_INCH
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    centre = np.array([w / 2, h / 2])
    angle = np.deg2rad(params.skew_deg + (180.0 if params.upside_down else 0.0))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (src - centre) @ rot.T + centre + np.array(params.shift_mm) * s
    dst += rng.uniform(-1, 1, (4, 2)) * params.keystone_mm * s
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def scan(sheet: np.ndarray, profile: ScannerProfile, matrix: np.ndarray, dpi: float, mode: str,
         rng: np.random.Generator, *, tone: PageTone | None = None, fringe_px: float = 0.0,
         colour: np.random.Generator | None = None) -> np.ndarray:
    """Scan a sheet image.

    Parameters
    ----------
    sheet : (H, W, 3) uint8
        The marked sheet, BGR, at ``dpi``; the scanner bed has the same size.
    matrix : (3, 3) float
        Where the sheet lies on the bed (:func:`page_transform`).
    mode : "colour", "grey" or "bw"
    tone : PageTone, optional
        The page's paper and tone curve (:func:`draw_tone`); drawn from ``profile`` if not given.
        In "bw" mode the curve is not applied: the scanner thresholds against the local paper.
        Its colour cast applies to a colour scan only.
    fringe_px : float
        In colour, how far (pixels) the red channel lags behind the others along the feed.
    colour : Generator, optional
        In colour, where each channel's own sensor grain is drawn from (a stream apart from
        ``rng``, so a stack's other effects stay those of its seed).

    Returns
    -------
    (H, W, 3) uint8 BGR for colour, else (H, W) uint8 (0 or 255 only for bw).
    """
    h, w = sheet.shape[:2]
    tone = tone or draw_tone(profile, rng)
    t = tone.paper
    cast = tone.cast if mode == "colour" else (1.0, 1.0, 1.0)
    paper = (t * 0.96 * cast[0], t * 0.99 * cast[1], t * cast[2], 0.0)  # BGR: yellowish paper
    page = _multiplied(sheet, paper)
    out = cv2.warpPerspective(page, matrix, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(tone.bed,) * 3)
    if mode != "colour":
        out = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    if rng.random() < profile.dark_edge_rate:
        _dark_edge(out, dpi, rng)
    _dust(out, profile.dust, dpi, rng)
    out = _lighting(out, profile.lighting, rng)
    if mode == "colour" and fringe_px > 0:  # the sensor's lines see all of the above
        _fringe(out, fringe_px)
    out = _noise(out, profile.noise_sd, rng,  # before the blur: sensor noise seen through optics
                 colour if mode == "colour" else None)
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(*profile.blur_sd_px) * dpi / 300.0)
    if mode == "bw":
        return _dynamic_threshold(out, rng.uniform(0.78, 0.86))
    return cv2.LUT(out, tone_curve(tone))


def _multiplied(image: np.ndarray, factors: tuple[float, ...]) -> np.ndarray:
    """``cv2.multiply(image, factors)`` ((H, W, C) uint8, a factor per channel) through a lookup
    table made by that very product over every value: the same bytes, a third of the time."""
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], image.shape[2], axis=2)
    return cv2.LUT(image, cv2.multiply(ramp, factors))


def _fringe(image: np.ndarray, shift_px: float) -> None:
    """Move the red channel of a BGR ``image`` ``shift_px`` down (in place), as a contact
    sensor whose red line reads a little after the others does."""
    h, w = image.shape[:2]
    shift = np.float32([[1, 0, 0], [0, 1, shift_px]])
    image[:, :, 2] = cv2.warpAffine(image[:, :, 2], shift, (w, h), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)


def _dynamic_threshold(grey: np.ndarray, ratio: float) -> np.ndarray:
    """Black and white as scanners make it: black where darker than ``ratio`` × the local paper."""
    small = cv2.resize(grey, None, fx=1 / 8, fy=1 / 8, interpolation=cv2.INTER_AREA)
    paper = cv2.GaussianBlur(cv2.dilate(small, np.ones((9, 9), np.uint8)), (0, 0), 2)
    paper = cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.where(grey < paper * ratio, 0, 255).astype(np.uint8)


def points_in_frame(points_mm: list[tuple[float, float]], radius_mm: float, matrix: np.ndarray,
                    size_px: tuple[int, int], dpi: float) -> int:
    """How many discs (centres in sheet mm) lie wholly inside the scanned frame of ``size_px``."""
    s = dpi / MM_PER_INCH
    pts = cv2.perspectiveTransform(np.float32(points_mm).reshape(-1, 1, 2) * s,
                                   matrix).reshape(-1, 2)
    r = radius_mm * s
    w, h = size_px
    x, y = pts[:, 0], pts[:, 1]
    return int(((x >= r) & (x <= w - r) & (y >= r) & (y <= h - r)).sum())


def rect_in_frame(rect, matrix: np.ndarray, size_px: tuple[int, int], dpi: float) -> bool:
    """Whether ``rect`` (a :class:`~ballotgen.layout.Rect` in sheet mm) lies wholly inside the
    scanned frame of ``size_px`` once the sheet is placed by ``matrix``."""
    s = dpi / MM_PER_INCH
    w, h = size_px
    corners = np.float32([(x, y) for x in (rect.x, rect.right) for y in (rect.y, rect.bottom)])
    pts = cv2.perspectiveTransform(corners.reshape(-1, 1, 2) * s, matrix).reshape(-1, 2)
    return bool(((pts[:, 0] >= 0) & (pts[:, 0] <= w) & (pts[:, 1] >= 0) & (pts[:, 1] <= h)).all())


def rows_cut(rows: list[tuple[int, tuple]], matrix: np.ndarray, size_px: tuple[int, int],
             dpi: float) -> list[int]:
    """The persons whose row has a box not wholly inside the scanned frame of ``size_px``.

    Parameters
    ----------
    rows : list of (person, boxes)
        Each box a :class:`~ballotgen.layout.Rect` in sheet mm.
    """
    return [person for person, boxes in rows
            if not all(rect_in_frame(b, matrix, size_px, dpi) for b in boxes)]


STAIN_MM = 12.0  # stains are about this wide…
GRAIN_MM = 1.0  # …and grained within at this scale, as fine as a pen's stroke


def stained(sheet: np.ndarray, dpi: float, darkness: float, rng: np.random.Generator
            ) -> np.ndarray:
    """``sheet`` (H, W, 3) uint8 on stained paper: stains about STAIN_MM across over part of
    the sheet, grained within at GRAIN_MM like sand, the darkest grains ``darkness`` of the
    way to black. Each grain is as fine as a stroke and as dark as a light mark, so only its
    texture tells it from ink (found on independent scans: augraphy's light stains)."""
    h, w = sheet.shape[:2]
    px_per_mm = dpi / MM_PER_INCH

    def octave(mm: float) -> np.ndarray:
        coarse = rng.random((int(h / px_per_mm / mm) + 2, int(w / px_per_mm / mm) + 2))
        return cv2.resize(coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)

    stains = np.clip((octave(STAIN_MM) - 0.35) / 0.4, 0, 1)
    field = stains * np.clip((octave(GRAIN_MM) - 0.3) / 0.7, 0, 1)
    shade = (1.0 - darkness * np.clip(field, 0, 1))[..., None]
    return np.clip(sheet.astype(np.float32) * shade, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Streak:
    """A line down every page of a stack, from dust or a scratch on a feeder's glass."""

    x_mm: float  # from the image's left edge
    width_px: int
    darkness: float  # share of the way to black


def draw_streaks(profile: ScannerProfile, width_mm: float, dpi: float,
                 rng: np.random.Generator) -> list[Streak]:
    """The streaks of one stack (most have none), across an image ``width_mm`` wide."""
    if not profile.streak_rate or rng.random() >= profile.streak_rate:
        return []
    return [Streak(_uniform(rng, (10.0, width_mm - 10.0), 2),
                   int(rng.integers(1, max(2, round(2 * dpi / 300)) + 1)),
                   _uniform(rng, profile.streak_darkness))
            for _ in range(int(rng.integers(1, 3)))]


def streaked(image: np.ndarray, streaks: list[Streak], dpi: float, *, bw: bool) -> np.ndarray:
    """``image`` (H, W) or (H, W, 3) uint8, as scanned, with ``streaks`` drawn down it: black
    in a black-and-white scan (``bw``: its threshold makes any line black), else darkened."""
    if not streaks:
        return image
    out = image.copy()
    for streak in streaks:
        x = int(round(streak.x_mm * dpi / MM_PER_INCH))
        columns = out[:, x:x + streak.width_px]
        if bw:
            columns[...] = 0
        else:
            columns[...] = (columns * (1.0 - streak.darkness)).astype(np.uint8)
    return out


@dataclass(frozen=True)
class Banding:
    """Light lines across every sheet of a stack (a printer low on toner, a feeder skipping
    lines)."""

    period_mm: float
    width_mm: float
    loss: float  # share of the print's darkness lost on a line


BAND_WIDTH_MM = (0.1, 0.25)  # as thin as on the independent scans: about a pixel at 150 dpi


def draw_banding(profile: ScannerProfile, rng: np.random.Generator) -> Banding | None:
    """The banding of one stack's print run (most have none)."""
    if not profile.band_rate or rng.random() >= profile.band_rate:
        return None
    return Banding(_uniform(rng, profile.band_period_mm, 2), _uniform(rng, BAND_WIDTH_MM, 2),
                   _uniform(rng, profile.band_loss))


def banded(sheet: np.ndarray, banding: Banding | None, dpi: float, offset_mm: float
           ) -> np.ndarray:
    """``sheet`` (H, W, 3) uint8 with ``banding``'s light lines across it, the first
    ``offset_mm`` from its top edge (each sheet has its own)."""
    if banding is None:
        return sheet
    px_per_mm = dpi / MM_PER_INCH
    out = sheet.astype(np.float32)
    width = max(1, int(round(banding.width_mm * px_per_mm)))
    y = offset_mm * px_per_mm
    while y < sheet.shape[0]:
        rows = out[int(y):int(y) + width]
        rows[...] = 255.0 - (255.0 - rows) * (1.0 - banding.loss)
        y += banding.period_mm * px_per_mm
    return out.astype(np.uint8)


def blank_back(front: np.ndarray, bleed: float, rng: np.random.Generator) -> np.ndarray:
    """The back of a sheet: white paper, with the front faintly showing through (mirrored)."""
    ghost = cv2.GaussianBlur(cv2.flip(front, 1), (0, 0), 3.0)
    strength = bleed * rng.uniform(0.5, 1.0)
    return cv2.addWeighted(ghost, strength, np.full_like(front, 255), 1.0 - strength, 0.0)


def photocopy(sheet: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photocopy of a sheet: grey, harder contrast, toner speckle."""
    grey = cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = (grey - 255.0) * rng.uniform(1.1, 1.3) + 250.0
    grey += rng.normal(0, 6.0, grey.shape).astype(np.float32)
    grey = cv2.GaussianBlur(np.clip(grey, 0, 255).astype(np.uint8), (0, 0), 0.8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def _lighting(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Multiply by a smooth field: brighter in the middle, darker towards one side."""
    h, w = image.shape[:2]
    small_h, small_w = 32, max(2, int(32 * w / h))
    yy, xx = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    yy, xx = yy / small_h - 0.5, xx / small_w - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx + np.sin(angle) * yy + 0.5) * 0.6 + (xx**2 + yy**2) * 0.8
    field = (255.0 * (1.0 - strength * np.clip(ramp, 0, 1))).astype(np.uint8)
    field = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)
    if image.ndim == 3:
        field = cv2.merge([field] * image.shape[2])
    return cv2.multiply(image, field, scale=1.0 / 255.0)


def _noise(image: np.ndarray, sd: float, rng: np.random.Generator,
           colour: np.random.Generator | None = None) -> np.ndarray:
    """Add grain of ``sd`` grey levels, drawn at half resolution (sensor grain is not per pixel).

    With ``colour`` (a colour scan), each channel's line of the sensor adds grain of its own,
    CHANNEL_GRAIN of ``sd``, drawn from that generator: no colour sensor reads its three
    channels identically."""
    h, w = image.shape[:2]
    half = rng.standard_normal(((h + 1) // 2, (w + 1) // 2), dtype=np.float32) * sd

    def added(plane: np.ndarray, grain: np.ndarray) -> np.ndarray:
        return cv2.add(plane, cv2.resize(grain, (w, h), interpolation=cv2.INTER_NEAREST),
                       dtype=cv2.CV_8U)

    if image.ndim == 2:
        return added(image, half)
    grains = [half] * image.shape[2]
    if colour is not None:
        grains = [grain + colour.standard_normal(half.shape, dtype=np.float32)
                  * (sd * CHANNEL_GRAIN) for grain in grains]
    # Channel by channel, and each grain summed before it is enlarged: the same sums as over
    # the whole colour image, without a full-size float copy of it (that took most of the time)
    return cv2.merge([added(plane, grain) for plane, grain in zip(cv2.split(image), grains)])


def _dust(image: np.ndarray, count: tuple[int, int], dpi: float, rng: np.random.Generator) -> None:
    h, w = image.shape[:2]
    s = dpi / MM_PER_INCH
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        radius = max(1, int(rng.uniform(0.05, 0.25) * s))
        cv2.circle(image, centre, radius, (int(rng.uniform(20, 90)),) * 3, -1, cv2.LINE_AA)


def _dark_edge(image: np.ndarray, dpi: float, rng: np.random.Generator) -> None:
    """The dark strip a scanner leaves along one edge where the lid does not cover the glass."""
    h, w = image.shape[:2]
    width = int(rng.uniform(1.5, 5.0) * dpi / MM_PER_INCH)
    value = int(rng.uniform(25, 70))
    side = int(rng.integers(4))
    if side == 0:
        image[:, :width] = value
    elif side == 1:
        image[:, w - width:] = value
    elif side == 2:
        image[:width, :] = value
    else:
        image[h - width:, :] = value
