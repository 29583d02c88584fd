import pytest

from ballotgen.vietnamese import VIETNAMESE_LETTERS, encoding_problem, nfc

# These tests check what the library says, by its English message ids (the Vietnamese
# catalogue is checked by tests/test_translations.py).
pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("text", [
    "Nguyễn Văn An", "NGUYỄN VĂN AN", "Hoàng Thị Thuỷ", "Ưng Hoà", "Lê Quý Ẩn", "Khuất Duy Tiến",
    "Phó Giám đốc Sở Tài chính (phụ trách)", "Trưởng phòng Tổ chức - Cán bộ", "K’Nớ Điểu",
    "Quách Thị Ngọc Oanh", "Đinh Thế Ý", "Phạm Ước", "Y Ngông Niê Kđăm",
])
def test_unicode_vietnamese_is_accepted(text):
    assert encoding_problem(nfc(text)) is None


@pytest.mark.parametrize("text, why", [
    ("NguyÔn V¨n An", "'¨'"),  # TCVN3 (.VnTime) read as Latin-1
    ("NguyÔn Thanh", "capital 'Ô' inside the word 'NguyÔn'"),  # TCVN3 with Vietnamese-looking bytes
    ("Nguyeãn Vaên An", "'eã'"),  # VNI-Times
    ("Nguyá»…n VÄƒn An", "'»'"),  # UTF-8 read as Windows-1252
    ("Tráº§n", "'º'"),
    ("Lê Văn 李", "'李'"),
])
def test_legacy_encodings_and_mojibake_are_named(text, why):
    problem = encoding_problem(nfc(text))
    assert problem is not None and why in problem


def test_nfc_composes_and_folds_spaces():
    decomposed = "Nguye\u0302\u0303n  \t Va\u0306n\nAn "
    assert nfc(decomposed) == "Nguyễn Văn An"
    assert encoding_problem(nfc(decomposed)) is None


def test_alphabet_has_every_toned_vowel_in_both_cases():
    # 12 vowels × 6 tone forms × 2 cases + đ, Đ
    assert len(VIETNAMESE_LETTERS) == 12 * 6 * 2 + 2
    assert {"ỹ", "Ỹ", "ự", "Ự", "ằ", "Ằ", "đ", "Đ"} <= VIETNAMESE_LETTERS
