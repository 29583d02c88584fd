"""What the command says, in Vietnamese by default and in English on request: help, an error
naming a file, the scan summary of a simulated stack."""

from __future__ import annotations

import re
import subprocess
import sys

from ballotgen import i18n
from ballotgen.errors import ExitCode
from ballotgen.vocabulary import Flag
from tally.review.app import create_app
from tests.helpers import WORKTREE, ballots_of, fresh_copy, login, run, text

ENGLISH = re.compile(r"\b(Usage|Options|Commands|Show|the|and|of|pages?|files?|ballots?|"
                     r"Read|error|Ballots|Flagged|blank|foreign|accepted|reviewed)\b")
"""Words of our English messages that no Vietnamese message of these commands holds (command
names such as "review" and codes such as "multi_mark" are the same in both)."""


FLAG_CODES = {flag.value for flag in Flag}  # identifiers, as in readings.csv and --rate


def english_words(text: str) -> list[str]:
    return [word for word in ENGLISH.findall(text) if word not in FLAG_CODES]


def test_help_is_vietnamese_by_default_and_english_with_lang_en():
    default = run("--help", lang="vi")
    assert default.exit_code == 0
    for expected in ("Cách dùng: ", "[TÙY_CHỌN] LỆNH [ĐỐI_SỐ]...", "Các tùy chọn:", "Các lệnh:",
                     "Hiện hướng dẫn này rồi thoát.", "Ngôn ngữ của thông báo",
                     "Đọc các phiếu đã quét", "Kiểm tra kết quả kiểm phiếu"):
        assert expected in default.output, expected
    assert english_words(default.output) == [], default.output
    english = run("--help")
    assert "Usage: " in english.output and "Show this message and exit." in english.output
    assert "Cách dùng" not in english.output and "Read scanned ballots" in english.output


def test_a_command_s_help_and_click_s_usage_errors_follow_the_language():
    scan = run("scan", "--help", lang="vi")
    assert "Cách dùng: " in scan.output and "THƯ_MỤC TỆP_HOẶC_THƯ_MỤC..." in scan.output
    assert "Đọc các trang bằng N tiến trình" in scan.output
    assert english_words(scan.output) == [], scan.output
    missing = run("scan", lang="vi")
    assert missing.exit_code == ExitCode.USAGE
    assert "Lỗi: Thiếu đối số 'THƯ_MỤC'." in missing.output
    assert "Error: Missing argument 'DIR'." in run("scan").output
    bad = run("init", "x", "--roster", "r.csv", "--org", "A", "--title", "B",
              "--date", "2026-02-30", lang="vi")
    assert "2026-02-30 không phải ngày có thật: tháng 2 năm 2026 có 28 ngày." in bad.output


def test_an_error_naming_a_file_in_either_language(tmp_path):
    roster = tmp_path / "danh-sach.csv"
    roster.write_text("STT,Họ và tên,Chức vụ\n", encoding="utf-8")
    args = ("init", tmp_path / "conf", "--roster", roster, "--org", "SỞ TÀI CHÍNH", "--title",
            "Hội nghị thử", "--date", "2026-12-15")
    vi = run(*args, lang="vi")
    assert vi.exit_code == ExitCode.INPUT
    assert vi.output == (f"lỗi: {roster}: danh sách không có người nào\n"
                         "  → Thêm mỗi người một dòng bên dưới dòng tiêu đề.\n")
    en = run(*args)
    assert en.output == (f"error: {roster}: the roster lists no persons\n"
                         "  → Add one row per person below the header row.\n")


def test_the_environment_chooses_the_language_of_a_command_run_without_lang(tmp_path):
    def tinnhiem(env):
        return subprocess.run([sys.executable, "-m", "tally.cli", "status", str(tmp_path)],
                              cwd=WORKTREE, capture_output=True, text=True, check=False,
                              env={"PATH": "/usr/bin:/bin", **env})
    assert "không phải thư mục hội nghị" in tinnhiem({"LANG": "C.UTF-8"}).stderr
    assert "not a conference folder" in tinnhiem({"LANG": "en_US.UTF-8"}).stderr
    assert "not a conference folder" in tinnhiem({"TINNHIEM_LANG": "en"}).stderr
    assert "không phải thư mục hội nghị" in tinnhiem({"TINNHIEM_LANG": "vi",
                                                       "LANG": "en_US.UTF-8"}).stderr


def test_the_scan_summary_of_a_simulated_stack_is_vietnamese_by_default(stacks, tmp_path):
    conf, by_format = stacks
    conf = fresh_copy(conf, tmp_path)
    scans, _truth = by_format["pdf"]
    vi = run("scan", conf, scans / "scan.pdf", "--jobs", 1, lang="vi")
    assert vi.exit_code == 0, vi.output
    for expected in ("Đã đọc 10 trang từ 1 tệp.",
                     "Trong kho dữ liệu: 10 trang: 4 trang phiếu, 5 trang trắng, 1 phiếu lạ, "
                     "0 không đọc được.",
                     "Coi là mặt sau để trắng: 5 trong số 10 trang của các tệp đã cho.",
                     "Phiếu: 5: "):
        assert expected in vi.output, vi.output
    assert english_words(vi.output) == [], vi.output
    en = run("scan", conf, scans / "scan.pdf", "--jobs", 1)
    assert "Read 0 pages from 1 file (1 already scanned before)." in en.output, en.output
    assert "In the store: 10 pages: 4 ballot pages, 5 blank, 1 foreign" in en.output


def test_the_review_pages_are_vietnamese_by_default_and_english_on_request(app, conf):
    flagged, _accepted = ballots_of(conf)
    blank_row, foreign = flagged[("blank_row",)], flagged[("foreign",)]
    client = login(app)
    queue = text(client.get("/"))
    assert "Hàng chờ" in queue and "Xử lý phiếu tiếp theo" in queue and "Queue" not in queue
    page = text(client.get(f"/phieu/{blank_row}"))
    number = re.search(r"Phiếu (\d+)", page)[1]
    assert "Ghi và sang phiếu tiếp" in page and "Lịch sử" not in page
    # Raw scores are behind a "chi tiết" toggle, closed.
    html = client.get(f"/phieu/{blank_row}").get_data(as_text=True)
    assert '<details class="scores"><summary>chi tiết</summary>0.' in html
    # The reader's technical line on a foreign sheet is Vietnamese (recorded in English).
    sheet = text(client.get(f"/phieu/{foreign}"))
    line = re.search(r"Chi tiết kỹ thuật \(máy đọc\): ([^.]*)", sheet)[1]
    assert line.startswith(("mã phiếu không được ký", "lô ", "không tìm thấy mã phiếu")), line
    assert english_words(line) == [], line
    # An address that names no ballot says so, not "phiếu số hiệu 99999".
    missing = text(client.get("/phieu/99999"))
    assert "Hội nghị này không có phiếu nào ở địa chỉ này (/phieu/99999)" in missing
    assert "số hiệu" not in missing
    with i18n.using("en"):
        english = text(client.get(f"/phieu/{blank_row}"))
        assert f"Ballot {number}" in english and "Record and go to the next ballot" in english
        assert "Ghi và sang phiếu tiếp" not in english
        assert "This conference has no ballot at this address" in text(client.get("/phieu/99999"))
        foreign_en = text(client.get(f"/phieu/{foreign}"))
        assert "Technical detail (the reader): " in foreign_en


def test_review_lang_en_serves_english_pages(conf, monkeypatch):
    """'tinnhiem review --lang en': the pages (and what it prints) in English."""
    served = {}

    def serve(folder, *, host, port, announce):
        served["language"] = i18n.language()
        app = create_app(folder)
        served["page"] = text(app.test_client().get("/"))

    monkeypatch.setattr("tally.review.app.serve", serve)
    assert run("review", conf, "--lang", "en", lang="vi").exit_code == 0
    assert served["language"] == "en" and "Queue" in served["page"]
    assert run("review", conf, lang="vi").exit_code == 0
    assert served["language"] == "vi" and "Hàng chờ" in served["page"]
