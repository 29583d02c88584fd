"""The roster reader: what offices produce is accepted, everything else refused with its row."""

import os
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballotgen.errors import (
    ExitCode,
    InputFileError,
    LegacyEncodingError,
    RosterError,
    TinnhiemError,
)
from ballotgen.roster import read_roster
from tests.helpers import HEADER, SAMPLES, write, write_xlsx


def test_small_sample_reads_exactly(small_persons):
    assert [(p.number, p.name) for p in small_persons] == [
        (1, "Nguyễn Thị Ánh Tuyết"), (2, "Trần Đức Lợi"), (3, "Ưng Hoàng Phượng"),
        (4, "Đặng Thuỳ Dương"), (5, "Lê Quý Ẩn")]
    assert small_persons[2].position.startswith("Phó Giám đốc Sở, phụ trách")


def test_large_sample_has_title_rows_above_its_header(large_persons):
    assert len(large_persons) == 55
    assert [p.number for p in large_persons] == list(range(1, 56))
    assert max(len(p.position) for p in large_persons) > 70  # long positions that must wrap


@pytest.mark.parametrize("encoding, prefix", [("utf-8", ""), ("utf-8-sig", ""), ("utf-16", "")])
def test_csv_encodings_offices_use(tmp_path, encoding, prefix):
    path = write(tmp_path, HEADER + "1,Nguyễn Văn An,Giám đốc\n", encoding=encoding)
    (person,) = read_roster(path)
    assert (person.number, person.name, person.position) == (1, "Nguyễn Văn An", "Giám đốc")


def test_semicolons_english_headers_and_decomposed_text(tmp_path):
    decomposed = "Nguye\u0302\u0303n Va\u0306n An"
    path = write(tmp_path, f"No;Full name;Position\n1;{decomposed};Director\n")
    (person,) = read_roster(path)
    assert person.name == "Nguyễn Văn An"  # NFC


def test_headers_match_without_accents_or_case(tmp_path):
    path = write(tmp_path, "so thu tu,HỌ VÀ TÊN,chuc vu\n2,Lê Thị Bé,Kế toán trưởng\n")
    assert read_roster(path)[0].number == 2


def test_without_stt_column_persons_are_numbered_in_order(tmp_path):
    path = write(tmp_path, "Họ và tên,Chức vụ\nLê Văn Hai,Trưởng phòng\nĐỗ Thị Ba,Phó phòng\n")
    assert [(p.number, p.name) for p in read_roster(path)] == [(1, "Lê Văn Hai"), (2, "Đỗ Thị Ba")]


def test_blank_rows_are_skipped(tmp_path):
    path = write(tmp_path, HEADER + "1,Lê Văn Hai,Trưởng phòng\n,,\n\n2,Đỗ Thị Ba,Phó phòng\n")
    assert len(read_roster(path)) == 2


def test_xlsx_numbers_as_floats(tmp_path):
    path = write_xlsx(tmp_path, [["STT", "Họ và tên", "Chức vụ"], [1.0, "Lê Văn Hai", "Phó phòng"]])
    assert read_roster(path)[0].number == 1


def test_type_is_sniffed_from_bytes_not_extension(tmp_path):
    xlsx = write_xlsx(tmp_path, [["STT", "Họ và tên", "Chức vụ"], [1, "Lê Văn Hai", "Phó phòng"]])
    renamed = xlsx.rename(tmp_path / "roster.csv")
    assert read_roster(renamed)[0].name == "Lê Văn Hai"


# ------------------------------------------------------------------------------- refusals

def refused(path, error=RosterError):
    with pytest.raises(error) as info:
        read_roster(path)
    assert str(path) in str(info.value)
    assert info.value.exit_code == ExitCode.INPUT
    return info.value


def test_empty_file(tmp_path):
    assert "empty" in refused(write(tmp_path, "")).message


def test_header_only_is_an_empty_roster(tmp_path):
    assert "no persons" in refused(write(tmp_path, HEADER)).message


def test_missing_name_names_its_row(tmp_path):
    error = refused(write(tmp_path, HEADER + "1,Lê Văn Hai,Trưởng phòng\n2,,Phó phòng\n"))
    assert error.row == 3 and "missing Họ và tên" in error.message


def test_missing_position(tmp_path):
    error = refused(write(tmp_path, HEADER + "1,Lê Văn Hai,\n"))
    assert error.row == 2 and "missing Chức vụ" in error.message


@pytest.mark.parametrize("stt", ["abc", "0", "-1", "1.5"])
def test_bad_numbers(tmp_path, stt):
    error = refused(write(tmp_path, HEADER + f"{stt},Lê Văn Hai,Trưởng phòng\n"))
    assert error.row == 2 and "STT" in error.message


def test_duplicate_numbers(tmp_path):
    error = refused(write(tmp_path, HEADER + "1,Lê Văn Hai,Trưởng phòng\n1,Đỗ Thị Ba,Phó phòng\n"))
    assert error.row == 3 and "first at row 2" in error.message


def test_duplicate_person(tmp_path):
    error = refused(write(tmp_path, HEADER + "1,Lê Văn Hai,Trưởng phòng\n"
                                             "2,LÊ VĂN HAI,trưởng phòng\n"))
    assert error.row == 3 and "listed twice" in error.message


def test_same_name_with_another_position_is_two_persons(tmp_path):
    path = write(tmp_path, HEADER + "1,Lê Văn Hai,Trưởng phòng\n2,Lê Văn Hai,Phó Giám đốc\n")
    assert len(read_roster(path)) == 2


@pytest.mark.parametrize("name", ["NguyÔn V¨n An", "Nguyeãn Vaên An", "Nguyá»…n VÄƒn An"])
def test_legacy_encodings_are_refused_with_row_and_remedy(tmp_path, name):
    error = refused(write(tmp_path, HEADER + f"1,Lê Văn Hai,Trưởng phòng\n2,{name},Phó phòng\n"),
                    LegacyEncodingError)
    assert error.row == 3 and name in error.message
    assert "Unicode" in error.remedy


def test_windows_code_page_file_is_refused(tmp_path):
    path = tmp_path / "roster.csv"  # "Lê" in Windows-1258: 0xEA is not valid UTF-8
    path.write_bytes(b"STT,Ho va ten,Chuc vu\n1,L\xea Hai,Tr\xf5\xf4\xf2ng ph\xf2ng\n")
    error = refused(path)
    assert "not UTF-8" in error.message and error.row == 2


def test_no_header_row(tmp_path):
    assert "header" in refused(write(tmp_path, "1,Lê Văn Hai,Trưởng phòng\n")).message


@pytest.mark.parametrize("data, what", [
    (b"%PDF-1.7\n...", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "97-2003"),
    (bytes(range(256)) * 4, "binary"),
])
def test_files_that_are_not_rosters(tmp_path, data, what):
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    assert what in refused(path, InputFileError).message


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an Excel workbook" in refused(path, InputFileError).message


def test_damaged_workbook(tmp_path):
    good = write_xlsx(tmp_path, [["STT", "Họ và tên", "Chức vụ"], [1, "Lê Văn Hai", "Phó phòng"]])
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(good.read_bytes()[:600])
    assert "cannot be opened" in refused(damaged, InputFileError).message


def test_missing_and_unreadable_files(tmp_path):
    assert "cannot be read" in refused(tmp_path / "nowhere.csv", InputFileError).message
    assert "cannot be read" in refused(tmp_path, InputFileError).message  # a folder
    if os.geteuid() != 0:  # root reads everything
        locked = write(tmp_path, HEADER + "1,Lê Văn Hai,Trưởng phòng\n", name="locked.csv")
        locked.chmod(0)
        assert "cannot be read" in refused(locked, InputFileError).message


def test_samples_are_where_the_tests_expect_them():
    assert (SAMPLES / "roster-small.csv").is_file() and (SAMPLES / "roster-large.xlsx").is_file()


# ------------------------------------------------------------------------------- fuzzing



@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    st.lists(st.lists(st.text(max_size=12), max_size=4), max_size=6).map(
        lambda rows: (HEADER + "\n".join(",".join(r) for r in rows)).encode("utf-8")),
))
def test_any_bytes_give_persons_or_a_clear_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        persons = read_roster(path)
    except TinnhiemError as error:
        assert str(path) in str(error)
        return
    assert persons and all(p.name and p.position for p in persons)
    assert len({p.number for p in persons}) == len(persons)

# These tests check what the library says, by its English message ids (the Vietnamese
# catalogue is checked by tests/test_translations.py).
pytestmark = pytest.mark.usefixtures("english")


def test_a_number_in_another_script_is_refused_by_row(tmp_path):
    """'²' and '٣' are digits to Python, not numbers of a roster (found by the fuzz test)."""
    for stt in ("²", "٣"):
        path = tmp_path / "roster.csv"
        path.write_text(f"STT,Họ và tên,Chức vụ\n{stt},Nguyễn Văn An,Giám đốc\n", encoding="utf-8")
        with pytest.raises(RosterError, match="not a positive whole number"):
            read_roster(path)


@pytest.mark.parametrize("name, position", [
    ("Họ và tên người được lấy phiếu", "Chức vụ"), ("Họ và tên", "Chức vụ, đơn vị"),
    ("Họ tên", "Chức vụ, đơn vị công tác"), ("HỌ VÀ TÊN", "Chức danh, đơn vị"),
])
def test_the_header_variants_offices_use(tmp_path, name, position):
    path = write(tmp_path, f'STT,{name},"{position}"\n1,Nguyễn Văn An,"Giám đốc, Sở Tài chính"\n')
    (person,) = read_roster(path)
    assert (person.name, person.position) == ("Nguyễn Văn An", "Giám đốc, Sở Tài chính")


def test_note_rows_below_the_table_are_kept_apart_not_read_as_persons(tmp_path):
    from ballotgen.roster import read_roster_file

    text = (HEADER + "1,Nguyễn Văn An,Giám đốc\n2,Trần Thị Bình,Phó Giám đốc\n,,\n"
            "Danh sách có 2 người,,\n,Người lập biểu,\n,\"Bình An, ngày 01/12/2026\",\n")
    roster = read_roster_file(write(tmp_path, text))
    assert [p.name for p in roster.persons] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert roster.notes == ((5, "Danh sách có 2 người"), (6, "Người lập biểu"),
                            (7, "Bình An, ngày 01/12/2026"))
    path = write_xlsx(tmp_path, [["STT", "Họ và tên", "Chức vụ, đơn vị"],
                                 [1, "Nguyễn Văn An", "Giám đốc"],
                                 ["Tổng cộng: 1 người", None, None]])
    assert read_roster_file(path).notes == ((3, "Tổng cộng: 1 người"),)


def test_a_note_row_inside_the_table_or_a_person_without_position_is_still_refused(tmp_path):
    text = HEADER + "1,Nguyễn Văn An,Giám đốc\nDanh sách có 2 người,,\n2,Trần Thị Bình,Phó\n"
    with pytest.raises(RosterError, match="row 3: STT 'Danh sách có 2 người'"):
        read_roster(write(tmp_path, text))
    text = HEADER + "1,Nguyễn Văn An,Giám đốc\n2,Trần Thị Bình,\n"
    with pytest.raises(RosterError, match="row 3: missing Chức vụ for STT 2"):
        read_roster(write(tmp_path, text))
