"""Messages that name what is wrong (issue 16, row 12): invisible characters are not a legacy
font, an impossible date is not a wrong format, and empty or absurd values are refused."""

import pytest

from ballotgen.errors import ExitCode
from tests.helpers import INIT, run

INVISIBLE = [("\u200f", "U+200F (RIGHT-TO-LEFT MARK)"), ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
             ("\x07", "U+0007 (a control character)")]


def init(tmp_path, *options, roster=None):
    if roster is None:
        roster = tmp_path / "roster.csv"
        roster.write_text("STT,Họ và tên,Chức vụ\n1,Nguyễn Văn An,Giám đốc\n", encoding="utf-8")
    return run("init", tmp_path / "conf", "--roster", roster, *options)


def with_option(name, value):
    """INIT with ``name`` given ``value`` (the first of them, for --org)."""
    options, done = [], False
    for key, old in zip(INIT[::2], INIT[1::2]):
        options += [key, value if key == name and not done else old]
        done = done or key == name
    return options


@pytest.mark.parametrize("char, named", INVISIBLE)
def test_an_invisible_character_in_a_roster_name_is_named_not_blamed_on_a_legacy_font(
        tmp_path, char, named):
    roster = tmp_path / "roster.csv"
    roster.write_text(f"STT,Họ và tên,Chức vụ\n1,Nguyễn{char} Văn An,Giám đốc\n",
                      encoding="utf-8")
    result = init(tmp_path, *INIT, roster=roster)
    assert result.exit_code == ExitCode.INPUT
    name = repr(f"Nguyễn{char} Văn An")  # shown escaped: the character itself prints as nothing
    assert f"row 2: Họ và tên {name} contains an invisible character {named} " \
        'after "Nguyễn"' in result.output
    assert "legacy font" not in result.output and "TCVN3" not in result.output
    assert not (tmp_path / "conf").exists()


@pytest.mark.parametrize("char, named", INVISIBLE)
def test_an_invisible_character_in_an_option_is_named(tmp_path, char, named):
    result = init(tmp_path, *with_option("--title", f"Hội nghị{char} năm 2026"))
    assert result.exit_code == ExitCode.USAGE
    assert f"contains an invisible character {named}" in result.output
    assert "not Unicode Vietnamese" not in result.output


@pytest.mark.parametrize("date, message", [
    ("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days."),
    ("2028-02-30", "2028-02-30 is not a date: February 2028 has 29 days."),
    ("2026-13-01", "2026-13-01: there is no month 13."),
    ("1900-01-01", "the year 1900 is not a conference's; give a date from 2000 to 2099."),
    ("9999-12-31", "the year 9999 is not a conference's; give a date from 2000 to 2099."),
    ("15/12/2026", "'15/12/2026' is not a date written YYYY-MM-DD, e.g. 2026-12-15."),
])
def test_a_date_is_refused_for_what_is_wrong_with_it(tmp_path, date, message):
    """Before, 2026-02-30 "did not match the format", and 1900 and 9999 were accepted."""
    result = init(tmp_path, *with_option("--date", date))
    assert result.exit_code == ExitCode.USAGE and message in result.output, result.output
    assert not (tmp_path / "conf").exists()


@pytest.mark.parametrize("option", ["--org", "--title"])
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_org_or_title_is_refused(tmp_path, option, value):
    result = init(tmp_path, *with_option(option, value))
    assert result.exit_code == ExitCode.USAGE
    assert f"Invalid value for '{option}': is empty" in result.output
    assert not (tmp_path / "conf").exists()


def test_a_good_date_and_texts_still_make_the_conference(tmp_path):
    result = init(tmp_path, *with_option("--date", "2028-02-29"))
    assert result.exit_code == 0, result.output
