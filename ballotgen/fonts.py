"""The serif face of the ballots and minutes: Times New Roman when installed, else Liberation
Serif 2.

Liberation Serif 2 is metrically identical to Times New Roman, so the layout (and its hash) is the
same whichever is used. It is looked for on the system first, then taken from the copy bundled in
``ballotgen/fonts`` (SIL Open Font License, see ``OFL.txt`` there), so printing never depends on
what the machine happens to have.

A character the chosen font cannot draw is an error (:class:`~ballotgen.errors.FontError`), never
an empty box on a ballot.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ballotgen.errors import FontError
from ballotgen.i18n import _

PT_TO_MM = 25.4 / 72.0
BUNDLED_DIR = Path(__file__).with_name("fonts")
FACES = ("regular", "bold", "italic")

FONT_DIRS = (  # where installed fonts are looked for, in this order
    Path("/usr/share/fonts/truetype/msttcorefonts"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/truetype"),
    Path.home() / ".fonts",
    Path.home() / ".local/share/fonts",
    Path("C:/Windows/Fonts"),
    Path("/Library/Fonts"),
)
# Candidate families, best first: (name, file names of regular, bold, italic; alternatives by '|').
_CANDIDATES = (
    ("Times New Roman", ("Times_New_Roman.ttf|times.ttf", "Times_New_Roman_Bold.ttf|timesbd.ttf",
                         "Times_New_Roman_Italic.ttf|timesi.ttf")),
    ("Liberation Serif 2", ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf",
                            "LiberationSerif-Italic.ttf")),
)


@dataclass(frozen=True)
class FontFamily:
    """Three faces of one serif family, registered with reportlab under ``font_name(face)``."""

    family: str
    files: tuple[Path, Path, Path]  # regular, bold, italic
    bundled: bool = False

    def font_name(self, face: str = "regular") -> str:
        suffix = "-bundled" if self.bundled else ""
        return f"{self.family.replace(' ', '')}{suffix}-{face}"

    def register(self) -> None:
        for face, path in zip(FACES, self.files):
            name = self.font_name(face)
            if name not in pdfmetrics.getRegisteredFontNames():
                try:
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                except Exception as exc:  # reportlab raises TTFError and others for bad files
                    raise FontError(_("{path}: cannot be used as a font ({exc})").format(
                                        path=path, exc=exc),
                                    remedy=_("Reinstall the font package.")) from exc

    def width_mm(self, text: str, size_pt: float, face: str = "regular") -> float:
        """Advance width of ``text`` set at ``size_pt`` points, in millimetres."""
        return pdfmetrics.stringWidth(text, self.font_name(face), size_pt) * PT_TO_MM

    def check_glyphs(self, text: str, face: str = "regular") -> None:
        """Raise FontError if a character of ``text`` has no glyph in ``face``."""
        cmap = glyphs(self.files[FACES.index(face)])
        for ch in text:
            if ord(ch) not in cmap and not ch.isspace():
                raise FontError(
                    _("the font {family} ({face}) has no glyph for {char!r} ({code}) in "
                      "{text!r}").format(family=self.family, face=face, char=ch,
                                         code=f"U+{ord(ch):04X}", text=text),
                    remedy=_("Correct the text, or install Times New Roman or "
                             "fonts-liberation2."),
                )


@functools.cache
def glyphs(path: Path) -> frozenset[int]:
    """The code points the font file ``path`` has a glyph for."""
    return frozenset(TTFont(f"cmap-{path.name}", str(path)).face.charToGlyph)


def _find_file(names: str) -> Path | None:
    for directory in FONT_DIRS:
        for name in names.split("|"):
            for candidate in (directory / name, directory / name.lower()):
                if candidate.is_file():
                    return candidate
    return None


def bundled_family() -> FontFamily:
    """Liberation Serif 2 as shipped inside the package."""
    files = tuple(BUNDLED_DIR / f"LiberationSerif-{face.capitalize()}.ttf" for face in FACES)
    return FontFamily("Liberation Serif 2", files, bundled=True)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=1)
def ballot_family() -> FontFamily:
    """The best installed family (see module docstring), registered and ready to draw with."""
    for family, names in _CANDIDATES:
        files = tuple(_find_file(n) for n in names)
        if all(files):
            chosen = FontFamily(family, files)  # type: ignore[arg-type]
            break
    else:
        chosen = bundled_family()
    chosen.register()
    return chosen
