"""Resource bombs among rosters (issue 16, row 8): limits hold before anything is parsed."""

import time
import zipfile

import pytest

from ballotgen.errors import InputFileError, RosterError
from ballotgen.roster import MAX_PERSONS, MAX_ROWS, read_roster
from tests.helpers import HEADER, write, write_xlsx

QUICK_SECONDS = 5.0  # a refusal takes a moment, not the 39 s (and 6.8 GB) it took before


def refused_quickly(path, error=InputFileError):
    start = time.monotonic()
    with pytest.raises(error) as caught:
        read_roster(path)
    assert time.monotonic() - start < QUICK_SECONDS
    return str(caught.value)


def test_a_zip_bomb_renamed_xlsx_is_refused_from_its_zip_directory(tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            block = b" " * (1 << 20)
            for _ in range(200):  # 200 MB of nothing, deflated to a few hundred kB
                sheet.write(block)
    assert path.stat().st_size < 1_000_000
    assert "unpacks to 210 MB, more than 50 MB: not a roster" in refused_quickly(path)


def test_a_50_mb_csv_is_refused_by_its_size(tmp_path):
    path = write(tmp_path, HEADER + "1,Nguyễn Văn An,Giám đốc\n")
    with open(path, "ab") as f:
        f.truncate(50_000_000)
    assert "is larger than 10 MB: not a roster" in refused_quickly(path)


def test_a_roster_of_100000_rows_is_refused(tmp_path):
    """Before, it was accepted, and 'print' then crashed: "page 1 of 5001 is out of range"."""
    rows = "".join(f"{i},Người {i},Chuyên viên\n" for i in range(1, 100_001))
    message = refused_quickly(write(tmp_path, HEADER + rows), RosterError)
    assert f"has more than {MAX_ROWS} rows: not a roster" in message


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_more_persons_than_a_ballot_can_hold_are_refused_with_the_row(tmp_path, kind):
    people = [(i, f"Người {i}", "Chuyên viên") for i in range(1, MAX_PERSONS + 2)]
    path = write(tmp_path, HEADER + "".join(f"{a},{b},{c}\n" for a, b, c in people)) \
        if kind == "csv" else write_xlsx(tmp_path, [("STT", "Họ và tên", "Chức vụ"), *people])
    message = refused_quickly(path, RosterError)
    assert f"row {MAX_PERSONS + 2}: lists more than {MAX_PERSONS} persons" in message
    assert len(read_roster(write(tmp_path, HEADER + "".join(
        f"{a},{b},{c}\n" for a, b, c in people[:MAX_PERSONS]), name="ok.csv"))) == MAX_PERSONS

# These tests check what the library says, by its English message ids (the Vietnamese
# catalogue is checked by tests/test_translations.py).
pytestmark = pytest.mark.usefixtures("english")
