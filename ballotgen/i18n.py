"""Messages in the user's language: Vietnamese by default, English on request.

Code carries English message ids, marked ``_("…")``, ``ngettext("…", "…", n)`` or, where the
text is only a mark for extraction and is translated later, ``N_("…")`` (click's help texts,
constants of a module). The Vietnamese catalogue is ``ballotgen/locale/vi/LC_MESSAGES/tinnhiem.po``,
compiled beside it to ``tinnhiem.mo`` (``make translations``); English needs no catalogue: the
ids are the English text. This module is at the bottom of the import line so that
:mod:`ballotgen.errors` and every layer above can use it.

The language is one value for the process: :func:`set_language` (the command line's ``--lang``),
otherwise :func:`language_from_env`. Placeholders are ``str.format`` fields named in the id
(``_("{path}: not found").format(path=path)``) so a translation may reorder them.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

DOMAIN = "tinnhiem"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_ENV = "TINNHIEM_LANG"
LOCALE_ENV = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's order


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for: ``TINNHIEM_LANG`` (``en`` or ``vi``), then the
    first locale variable set (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``): English when
    it says ``en…``, Vietnamese otherwise (also for ``C`` and ``POSIX``)."""
    env = os.environ if environ is None else environ
    chosen = env.get(LANGUAGE_ENV, "").strip().lower()
    if chosen in LANGUAGES:
        return chosen
    for name in LOCALE_ENV:
        value = env.get(name, "").strip()
        if value:
            return "en" if value.split(":")[0].lower().startswith("en") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


@functools.cache
def catalogue(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``language``; English is the ids themselves."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    if language == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


_language: str | None = None  # None: not chosen yet, the environment's


def language() -> str:
    """The language messages are given in now."""
    return _language or language_from_env()


def chosen() -> str | None:
    """The language set by :func:`set_language`, or None when it is the environment's."""
    return _language


def set_language(value: str | None) -> None:
    """Give messages in ``value`` (``en`` or ``vi``) from now on; None: the environment's."""
    global _language
    if value is not None:
        catalogue(value)  # refuse an unknown language before anything changes
    _language = value


@contextlib.contextmanager
def using(value: str) -> Iterator[None]:
    """Messages in ``value`` for the ``with`` block, then in the language before it."""
    before = _language
    set_language(value)
    try:
        yield
    finally:
        set_language(before)


def gettext(message: str) -> str:
    """``message`` (an English id) in the current language."""
    return catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for the number ``n``, in the current language."""
    return catalogue(language()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now: it is translated where it
    is shown (``_(text)``), once the language is known."""
    return message


class LazyString:
    """A message translated each time it is turned into text (``str(lazy)``), for values made
    before the language is chosen: constants of a module, labels built at import."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyString):
            return self.message == other.message
        return str(self) == other

    def __hash__(self) -> int:
        return hash(self.message)


def lazy_gettext(message: str) -> LazyString:
    """``message`` translated when it is shown, in the language of that moment."""
    return LazyString(message)
