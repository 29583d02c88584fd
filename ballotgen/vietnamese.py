"""Vietnamese text: NFC normalisation and recognition of legacy encodings and mojibake.

Offices still have rosters typed with the old 8-bit fonts (TCVN3 ``.VnTime``, VNI-Times). Such text
looks like Unicode to a computer but reads as garbage (``NguyÔn V¨n An`` for *Nguyễn Văn An*), and a
file saved in one encoding and read in another gives mojibake (``Nguyá»…n``). Printing either on a
ballot would be a disaster, so we refuse it and say how to convert the file.

The check is a whitelist: after NFC, every character of a name or position must be a letter of the
Vietnamese alphabet (with its tones), an ASCII letter, digit or space, or a common punctuation mark.
Two patterns catch the legacy text whose characters happen to be Vietnamese letters too:
an accented capital inside a lower-case word (TCVN3 ``NguyÔn``), and an ``a``/``e`` directly
followed by an accented vowel (VNI ``Nguyeãn``, ``Vaên``), which no Vietnamese syllable contains.
"""

from __future__ import annotations

import re
import unicodedata

from ballotgen.i18n import _

# The 12 Vietnamese vowels and their 5 tones (plus the toneless form), and đ; lower case.
_VOWELS = "aăâeêioôơuưy"
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # none ` ´ ~ ? .
VIETNAMESE_LETTERS: frozenset[str] = frozenset(
    ch
    for base in _VOWELS
    for tone in _TONE_MARKS
    for ch in {
        unicodedata.normalize("NFC", base + tone),
        unicodedata.normalize("NFC", base + tone).upper(),
    }
) | frozenset("đĐ")

# Punctuation seen in names and positions ("Phó Giám đốc Sở Tài chính (phụ trách)", "Trưởng phòng
# Tổ chức - Cán bộ", "K'Nớ"), including the typographic quotes and dashes word processors insert.
ALLOWED_PUNCTUATION = frozenset(" .,;:-–—/()&'\"’‘“”+#")

_TONED_VOWELS = frozenset(ch.lower() for ch in VIETNAMESE_LETTERS) - frozenset(_VOWELS) - {"đ"}
_VNI_PAIR = re.compile(r"[ae]([^\x00-\x7f])", re.IGNORECASE)


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC with runs of white space folded to one space and trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
"""Unicode categories of characters that print as nothing: controls (BEL), formats (the
right-to-left mark, the zero-width space), private use, surrogates, unassigned, separators."""


def invisible_character(text: str) -> str | None:
    """Name the first invisible character of ``text``, where it is, or return None.

    Such characters come with text copied from web pages and PDFs; they are no legacy encoding.

    Examples
    --------
    >>> invisible_character("Nguyễn\u200b Văn An")
    'an invisible character U+200B (ZERO WIDTH SPACE) after "Nguyễn"'
    """
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            name = unicodedata.name(ch, _("a control character")
                                    if unicodedata.category(ch) == "Cc" else _("unassigned"))
            where = _('after "{text}"').format(text=text[max(0, i - 20):i].strip()) \
                if text[:i].strip() else _("at the start")
            return _("an invisible character {code} ({name}) {where}").format(
                code=f"U+{ord(ch):04X}", name=name, where=where)
    return None


def encoding_problem(text: str) -> str | None:
    """Say why ``text`` (already NFC) looks like a legacy encoding or mojibake, or return None.

    Examples
    --------
    >>> encoding_problem("Nguyễn Văn An") is None
    True
    >>> encoding_problem("NguyÔn V¨n An")
    "character '¨' (U+00A8) is not Vietnamese"
    """
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in ALLOWED_PUNCTUATION):
            continue
        if ch in VIETNAMESE_LETTERS or ch in ALLOWED_PUNCTUATION:
            continue
        return _("character {char} ({code}) is not Vietnamese").format(
            char=repr(ch), code=f"U+{ord(ch):04X}")
    for i in range(1, len(text)):
        if not text[i].isascii() and text[i].isupper() and text[i - 1].islower():
            return _("capital {char} inside the word {word}").format(
                char=repr(text[i]), word=repr(_word_at(text, i)))
    for match in _VNI_PAIR.finditer(text):
        if match.group(1).lower() in _TONED_VOWELS:
            word = _word_at(text, match.start())
            return _("no Vietnamese word contains {letters} ({word})").format(
                letters=repr(match.group(0)), word=repr(word))
    return None


def _word_at(text: str, index: int) -> str:
    start = text.rfind(" ", 0, index) + 1
    end = text.find(" ", index)
    return text[start : end if end >= 0 else len(text)]
