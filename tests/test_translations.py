"""The Vietnamese catalogue covers every message a user can see.

The messages are extracted as 'make translations' extracts them (Babel, over the packages and
the templates, as babel.cfg says); each must have a Vietnamese translation that is not empty,
not fuzzy, in NFC, and that uses no placeholder its English id does not give. The compiled
catalogue that runs (the .mo, committed) must say what the .po says.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from ballotgen import i18n

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_gettext": None}
PO = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
MO = PO.with_suffix(".mo")
FIELD = re.compile(r"(?<!\{)\{([^{}!:]*)[^{}]*\}(?!\})")


def extracted() -> dict[str, tuple[str, int]]:
    """Every message id in the code and templates, with one place it is used."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, tuple[str, int]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        singular = message[0] if isinstance(message, tuple | list) else message
        if singular:
            found.setdefault(singular, (filename, line))
    return found


@pytest.fixture(scope="module")
def catalogue():
    with open(PO, "rb") as f:
        return read_po(f, locale="vi")


def test_the_extraction_finds_the_messages_of_every_layer():
    """A guard on the test itself: extraction that found nothing would pass everything."""
    where = {path.split("/")[0] for path, _line in extracted().values()}
    assert {"ballotgen", "tally", "rehearsal"} <= where
    assert any(path.endswith(".html") for path, _line in extracted().values())


def test_every_message_has_a_vietnamese_translation(catalogue):
    missing = []
    for message, (path, line) in sorted(extracted().items()):
        entry = catalogue.get(message)
        text = entry.string if entry is not None else ""
        texts = list(text) if isinstance(text, tuple | list) else [text]
        if entry is None or entry.fuzzy or not all(texts):
            missing.append(f"{path}:{line}: {message!r}")
    assert not missing, ("messages without a Vietnamese translation (run 'make translations', "
                         "then translate them in " + str(PO.relative_to(ROOT)) + "):\n" +
                         "\n".join(missing))


def test_translations_are_nfc_and_use_only_the_placeholders_of_their_id(catalogue):
    wrong = []
    for entry in catalogue:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        texts = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        given = {f for i in ids for f in FIELD.findall(i)}
        for text in texts:
            if text != unicodedata.normalize("NFC", text):
                wrong.append(f"{ids[0]!r}: not NFC")
            if not set(FIELD.findall(text)) <= given:
                wrong.append(f"{ids[0]!r}: {set(FIELD.findall(text)) - given} not in the id")
    assert not wrong, "\n".join(wrong)


def test_the_compiled_catalogue_is_the_po(catalogue):
    with open(MO, "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for entry in catalogue:
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, tuple | list):
            got = [compiled.ngettext(entry.id[0], entry.id[1], 1)]
            want = [entry.string[0]]
        else:
            got, want = [compiled.gettext(entry.id)], [entry.string]
        if got != want:
            stale.append(repr(entry.id))
    assert not stale, (f"{MO.name} is older than {PO.name} ('make translations' compiles it): "
                       + ", ".join(stale[:10]))


def test_no_message_is_left_in_the_catalogue_that_the_code_no_longer_has(catalogue):
    """An id nobody uses any more is a translation nobody reviews."""
    used = set(extracted())
    unused = [entry.id for entry in catalogue if entry.id and
              (entry.id[0] if isinstance(entry.id, tuple | list) else entry.id) not in used]
    assert not unused, unused


@pytest.mark.parametrize("environ, language", [
    ({}, "vi"),
    ({"LANG": "C.UTF-8"}, "vi"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "vi_VN.UTF-8"}, "vi"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "vi_VN.UTF-8"}, "en"),
    ({"LANGUAGE": "vi:en", "LANG": "en_US.UTF-8"}, "vi"),
    ({"LANGUAGE": "en_US:vi", "LANG": "vi_VN.UTF-8"}, "en"),
    ({"TINNHIEM_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),
    ({"TINNHIEM_LANG": "vi", "LANG": "en_US.UTF-8"}, "vi"),
    ({"TINNHIEM_LANG": "fr", "LANG": "en_US.UTF-8"}, "en"),  # not ours: the locale decides
])
def test_the_language_comes_from_the_environment(environ, language):
    assert i18n.language_from_env(environ) == language


def test_the_language_chosen_wins_and_is_restored():
    assert i18n.language() == "vi"  # the test environment has no English locale
    assert i18n.gettext("Usage:") == "Cách dùng:"
    with i18n.using("en"):
        assert i18n.gettext("Usage:") == "Usage:"
        assert str(i18n.lazy_gettext("Usage:")) == "Usage:"
    assert str(i18n.lazy_gettext("Usage:")) == "Cách dùng:"
    with pytest.raises(ValueError):
        i18n.set_language("fr")
    assert i18n.language() == "vi"


def test_no_function_of_a_module_that_translates_rebinds_the_name_underscore():
    """``_, x = …`` in a function of a module that imports ``_`` makes every ``_("…")`` of that
    function fail at run time (it happened twice: a review page answered 500)."""
    import ast

    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if path.parts[len(ROOT.parts)] not in ("ballotgen", "omr", "tally", "rehearsal"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = any(isinstance(node, ast.ImportFrom) and node.module == "ballotgen.i18n" and
                      any(alias.name == "_" for alias in node.names) for node in tree.body)
        if not imports:
            continue
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                targets = (node.targets if isinstance(node, ast.Assign) else
                           [node.target] if isinstance(node, ast.For | ast.AugAssign) else [])
                for target in targets:
                    names = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
                    if "_" in names:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
