import shutil

import pytest

from ballotgen import fonts
from ballotgen.errors import FontError
from ballotgen.fonts import BUNDLED_DIR, bundled_family
from ballotgen.layout import build_layout
from tests.helpers import make_conference

# These tests check what the library says, by its English message ids (the Vietnamese
# catalogue is checked by tests/test_translations.py).
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def font_dirs(tmp_path, monkeypatch):
    """Make the font search look only in a temporary folder, and forget the cached choice."""
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    fonts.ballot_family.cache_clear()
    yield tmp_path
    fonts.ballot_family.cache_clear()


def test_bundled_fallback_when_nothing_is_installed(font_dirs):
    family = fonts.ballot_family()
    assert family.bundled and family.family == "Liberation Serif 2"
    assert all(path.parent == BUNDLED_DIR for path in family.files)


def test_liberation_serif_2_from_the_system_is_preferred_to_the_bundled_copy(font_dirs):
    for face in ("Regular", "Bold", "Italic"):
        shutil.copy(BUNDLED_DIR / f"LiberationSerif-{face}.ttf", font_dirs)
    family = fonts.ballot_family()
    assert not family.bundled and family.files[0].parent == font_dirs


def test_times_new_roman_is_preferred_when_installed(font_dirs):
    # Stand-in files with Times New Roman's names (the real font is not free to ship).
    for face, name in (("Regular", "times.ttf"), ("Bold", "timesbd.ttf"), ("Italic", "timesi.ttf")):
        shutil.copy(BUNDLED_DIR / f"LiberationSerif-{face}.ttf", font_dirs / name)
    for face in ("Regular", "Bold", "Italic"):
        shutil.copy(BUNDLED_DIR / f"LiberationSerif-{face}.ttf", font_dirs)
    assert fonts.ballot_family().family == "Times New Roman"


def test_an_incomplete_family_is_skipped(font_dirs):
    shutil.copy(BUNDLED_DIR / "LiberationSerif-Regular.ttf", font_dirs / "times.ttf")  # no bold
    assert fonts.ballot_family().bundled


def test_a_broken_font_file_is_a_font_error(tmp_path):
    for name in ("a.ttf", "b.ttf", "c.ttf"):
        (tmp_path / name).write_bytes(b"not a font")
    broken = fonts.FontFamily("Broken", (tmp_path / "a.ttf", tmp_path / "b.ttf",
                                         tmp_path / "c.ttf"))
    with pytest.raises(FontError, match="cannot be used as a font"):
        broken.register()


def test_metric_twins_give_the_same_layout(small_persons):
    conference = make_conference(small_persons)
    assert build_layout(conference, family=bundled_family()).hash == build_layout(conference).hash


def test_every_vietnamese_letter_has_a_glyph_in_every_face():
    from ballotgen.vietnamese import VIETNAMESE_LETTERS

    family = bundled_family()
    for face in fonts.FACES:
        family.check_glyphs("".join(sorted(VIETNAMESE_LETTERS)), face)
