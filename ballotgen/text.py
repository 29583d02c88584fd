"""Setting text for the layout: word wrapping, and blocks of wrapped lines placed on a page.

Widths come from the font's metrics (:class:`~ballotgen.fonts.FontFamily`), so a line is wrapped
exactly where the printed line would end. Millimetres, as in the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ballotgen.fonts import PT_TO_MM, FontFamily

LINE_SPACING = 1.15  # line height over type size


@dataclass(frozen=True)
class Text:
    """One line of text. ``y`` is the baseline; ``x`` the left end, centre or right end, by
    ``align``."""

    text: str
    x: float
    y: float
    size_pt: float
    face: str = "regular"  # regular | bold | italic
    align: str = "left"  # left | centre | right


def rounded(value: float) -> float:
    """Round to a micrometre so the layout's JSON, and so its hash, is stable."""
    return round(value, 3)


def line_height_mm(size_pt: float) -> float:
    return size_pt * LINE_SPACING * PT_TO_MM


def wrap(text: str, width_mm: float, size_pt: float, face: str, family: FontFamily) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width_mm``.

    A single word wider than the line is broken between characters, so nothing ever overflows.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if family.width_mm(candidate, size_pt, face) <= width_mm:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:  # only reached by a word longer than the line, or the next word
            if current and family.width_mm(current + ch, size_pt, face) > width_mm:
                lines.append(current)
                current = ""
            current += ch
    if current:
        lines.append(current)
    return lines or [""]


def balanced_wrap(text: str, width_mm: float, size_pt: float, face: str,
                  family: FontFamily) -> list[str]:
    """Wrap into as few lines as :func:`wrap`, but at the narrowest width that allows it, so a
    centred title has lines of similar length instead of a lone word on its last line."""
    count = len(wrap(text, width_mm, size_pt, face, family))
    widest_word = max(family.width_mm(word, size_pt, face) for word in text.split())
    low, high = min(width_mm, max(width_mm / 2, widest_word)), width_mm  # never split a word
    while high - low > 0.5:
        mid = (low + high) / 2
        if len(wrap(text, mid, size_pt, face, family)) <= count:
            high = mid
        else:
            low = mid
    return wrap(text, high, size_pt, face, family)


def _baseline(size_pt: float) -> float:
    """Offset from the top of a line box to its baseline, centring the letters in the box."""
    return line_height_mm(size_pt) / 2 + 0.33 * size_pt * PT_TO_MM


@dataclass
class TextBlocks:
    """The lines of text of one page, collected while the layout is computed."""

    family: FontFamily
    texts: list[Text] = field(default_factory=list)

    def block(self, text: str, x: float, top: float, width: float, size_pt: float, *,
              face: str = "regular", align: str = "left") -> float:
        """Wrap ``text`` into a block whose top is ``top``; return the block's bottom.

        Raises
        ------
        FontError
            A character of ``text`` is missing from the font.
        """
        self.family.check_glyphs(text, face)
        lh = line_height_mm(size_pt)
        anchor = {"left": x, "centre": x + width / 2, "right": x + width}[align]
        lines = wrap(text, width, size_pt, face, self.family)
        if align == "centre" and len(lines) > 1:
            lines = balanced_wrap(text, width, size_pt, face, self.family)
        for i, line in enumerate(lines):
            self.texts.append(Text(line, rounded(anchor),
                                   rounded(top + i * lh + _baseline(size_pt)), size_pt, face,
                                   align))
        return top + len(lines) * lh

    def height(self, text: str, width: float, size_pt: float, face: str = "regular") -> float:
        """How tall :meth:`block` would make ``text`` (nothing is added)."""
        return len(wrap(text, width, size_pt, face, self.family)) * line_height_mm(size_pt)
