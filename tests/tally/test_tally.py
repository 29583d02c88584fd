"""tinnhiem tally end to end: ballots printed, filled with known votes, scanned, read, reviewed,
counted; the minutes, results.xlsx and results.csv say what a hand count says."""

import datetime as dt
import stat
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ballotgen.errors import ExitCode
from ballotgen.vocabulary import Flag
from rehearsal.committee import hand_count
from rehearsal.vote import simulate_vote
from tally.ballots import assemble
from tally.publish import (
    CSV_FILE,
    MINUTES_FILE,
    OFFICIAL_FILE,
    OUTPUT_DIR,
    XLSX_FILE,
    latest_official,
    versions,
)
from tally.rules import RULE_SETS
from tally.scan import scan_stack
from tally.store import Store
from tests.helpers import (
    NO_MISTAKES,
    SAMPLES,
    latest,
    new_conference,
    pdf_text,
    resolve_as_a_committee_would,
    run,
)

BAND1, BAND2 = "Trên 1/2 đến dưới 2/3 phiếu thấp", "Từ 2/3 phiếu thấp trở lên"  # qd96's words
# By hand, over 7 sheets received (6 voters and 1 ballot of another conference, void):
# person: (valid, invalid, cao, tin_nhiem, thap, band)
EXPECTED = {1: (6, 1, 3, 1, 2, ""), 2: (5, 2, 1, 0, 4, BAND1), 3: (6, 1, 4, 1, 1, ""),
            4: (6, 1, 2, 2, 2, ""), 5: (6, 1, 1, 0, 5, BAND2)}


def test_a_reviewed_count_gives_final_minutes_with_the_hand_counted_numbers(conf):
    resolve_as_a_committee_would(conf)
    result = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7, "--issued", 8,
                 "--committee", "Nguyễn Thị Lan:Trưởng ban",
                 "--committee", "Đỗ Văn Minh:Thành viên", lang="vi")
    assert result.exit_code == 0, result.output
    assert "Kết quả chính thức" in result.output and "DỰ THẢO" not in result.output

    out = latest(conf)
    assert out.parent == conf / OUTPUT_DIR and out.name.startswith("lan-01-chinh-thuc-")
    csv = pd.read_csv(out / CSV_FILE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for number, (valid, invalid, cao, tn, thap, band) in EXPECTED.items():
        row = csv[csv["STT"] == str(number)].iloc[0]
        assert (row["Số phiếu phát ra"], row["Số phiếu thu về"]) == ("8", "7")
        assert (int(row["Số phiếu hợp lệ"]), int(row["Số phiếu không hợp lệ"])) == (valid, invalid)
        assert (int(row["Tín nhiệm cao (số phiếu)"]), int(row["Tín nhiệm (số phiếu)"]),
                int(row["Tín nhiệm thấp (số phiếu)"])) == (cao, tn, thap)
        assert row["Thuộc trường hợp"] == band
    assert csv.loc[csv["STT"] == "2", "Tín nhiệm thấp (%)"].item() == "57.14"  # 4 / 7
    assert csv.loc[csv["STT"] == "5", "Tín nhiệm thấp (%)"].item() == "71.43"  # 5 / 7

    sheets = pd.read_excel(out / XLSX_FILE, sheet_name=None, header=None, dtype=str)
    assert list(sheets) == ["Kết quả", "Phiếu không hợp lệ"]
    invalid = sheets["Phiếu không hợp lệ"].fillna("")
    assert ["Cả phiếu", "", "", "Phiếu không do Ban Kiểm phiếu phát hành", "1"] in \
        invalid.values.tolist()
    assert any(r[2] and "Không đánh dấu" in r[3] and r[4] == "1" for r in invalid.values.tolist())

    text = pdf_text(out / MINUTES_FILE)
    assert "BIÊN BẢN KIỂM PHIẾU" in text and "MẬT" in text and "DỰ THẢO" not in text
    flat = " ".join(text.split())
    assert "Số phiếu đã in: 8; số phiếu phát ra: 8." in flat
    assert ("Số phiếu thu về: 7 (Ban Kiểm phiếu đếm: 7), trong đó 1 phiếu không do Ban Kiểm "
            "phiếu phát ra.") in flat
    assert "Số phiếu hợp lệ: 6; số phiếu không hợp lệ (cả phiếu): 1" in text
    assert "Nguyễn Thị Lan — Trưởng ban" in text
    assert "57,14" in text and "71,43" in text and "Mức" not in text
    fingerprint = result.output.split("Mã kiểm tra: ")[1].split()[0]
    assert f"Mã kiểm tra {fingerprint}" in text
    for name in (MINUTES_FILE, XLSX_FILE, CSV_FILE):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    status = run("status", conf).output
    assert "Scanned: 14 pages, 7 ballots; flagged 2, of which 0 wait for review" in status
    assert f"final, fingerprint {fingerprint}" in status
    with Store.open(conf) as store:
        event = store.events()[-1]
        assert event.kind == "tally_produced" and event.data["fingerprint"] == fingerprint
        assert event.data["final"] is True and not store.verify_chain()


def test_unreviewed_flags_make_draft_minutes_that_list_them(conf):
    result = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7)
    assert result.exit_code == 0, result.output
    assert "DỰ THẢO: 2 phiếu chưa xử lý." in result.output
    text = pdf_text(latest(conf) / MINUTES_FILE)
    assert "DỰ THẢO" in text and "CÒN PHẢI XỬ LÝ" in text
    assert "Có dòng không đánh dấu ô nào" in text
    csv_text = (latest(conf) / CSV_FILE).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[1].startswith("1,")


def test_reconciliation_problems_and_anomalies_are_in_every_output(conf, tmp_path):
    resolve_as_a_committee_would(conf)
    out = tmp_path / "out"
    # 7 sheets, one of them foreign: 6 genuine ballots, 5 handed out, 6 counted by hand.
    result = run("tally", conf, "--present", 6, "--summoned", 8, "--counted", 6, "--issued", 5,
                 "-o", out)
    assert result.exit_code == 0, result.output
    assert "Số phiếu do Ban Kiểm phiếu phát ra thu về (6) nhiều hơn số phiếu phát ra (5)." in \
        result.output
    assert "Số phiếu thu về (7) nhiều hơn số người có mặt (6)." in result.output
    assert "khác số phiếu Ban Kiểm phiếu đếm (6)" in result.output
    folder = latest(conf, out)
    assert folder.name.startswith("lan-01-du-thao-")
    text = " ".join(pdf_text(folder / MINUTES_FILE).split())
    assert "Những điểm bất thường" in text and "nhiều hơn số người có mặt (6)" in text
    assert "DỰ THẢO" in text  # the hand count differs: that one blocks
    heading = pd.read_excel(folder / XLSX_FILE, header=None, dtype=str).iloc[:5, 0].tolist()
    assert any("DỰ THẢO" in h for h in heading)


def test_tally_errors_name_the_problem(conf, tmp_path):
    result = run("tally", tmp_path / "nowhere")
    assert result.exit_code == ExitCode.CONFERENCE and "not a conference folder" in result.output
    history = tmp_path / "history.csv"
    history.write_text("STT,Tỷ lệ tín nhiệm thấp (%)\n9,70\n", encoding="utf-8")
    result = run("tally", conf, "--history", history)
    assert result.exit_code == ExitCode.INPUT
    assert "history.csv: row 2: no person number 9" in result.output
    history.write_text("STT,Tỷ lệ tín nhiệm thấp (%)\n1,abc\n", encoding="utf-8")
    result = run("tally", conf, "--history", history)
    assert result.exit_code == ExitCode.INPUT and "row 2" in result.output


def assert_results_are_the_hand_count(conf, truth, *, received):
    """The latest tally's results.csv, person by person, is the hand count of the simulated
    truth (qd96-2023), with ``received`` ballots received."""
    expected = hand_count(truth, [1, 2, 3, 4, 5], RULE_SETS["qd96-2023"])
    csv = pd.read_csv(latest(conf) / CSV_FILE, encoding="utf-8-sig")
    for _, row in csv.iterrows():
        want = expected[row["STT"]]
        assert (row["Tín nhiệm cao (số phiếu)"], row["Tín nhiệm (số phiếu)"],
                row["Tín nhiệm thấp (số phiếu)"], row["Số phiếu không hợp lệ"],
                row["Số phiếu thu về"]) == \
            (want["cao"], want["tin_nhiem"], want["thap"], want["invalid"], received), \
            row["STT"]


@pytest.mark.slow
def test_scanned_mistakes_reviewed_by_a_simulated_committee_count_as_the_truth(tmp_path):
    """Blank rows, two marks, corrections, crossed names, write-ins, blank ballots and foreign
    sheets: after review, every person's count equals the hand count of what voters did."""
    conf = new_conference(tmp_path / "conf", copies=30)
    rates = {"blank_row": 0.05, "multi_mark": 0.05, "correction": 0.05, "crossed_name": 0.05,
             "write_in": 0.1, "blank_ballot": 0.05, "stray": 0.3}
    truth = simulate_vote(conf, tmp_path / "scans", voters=24, profile="office", fmt="pdf",
                          dpi=150, seed=11, foreign=3, rates=rates).truth
    scan_stack(conf, [tmp_path / "scans" / "scan.pdf"], jobs=1)
    kinds = {f for b in truth["ballots"] for f in b["flags"]} | \
        {f for b in truth["ballots"] for r in b["rows"] for f in r["flags"]}
    assert {"blank_row", "multi_mark", "name_crossed", "write_in"} <= kinds  # the seed has them
    result = run("simulate-review", conf, "--truth", tmp_path / "scans" / "truth.json")
    assert result.exit_code == 0, result.output
    # 19 of 30 present: no quorum, no count; only the record that it cannot stand (lần 1).
    result = run("tally", conf, "--present", 19, "--summoned", 30, "--counted", 27)
    assert result.exit_code == ExitCode.NO_QUORUM, result.output
    (void,) = versions(conf / OUTPUT_DIR)
    assert void.name.startswith("lan-01-khong-du-dieu-kien-")
    assert sorted(p.name for p in void.iterdir()) == [MINUTES_FILE]
    # With quorum: official, the three foreign sheets received and invalid, stated (lần 2).
    result = run("tally", conf, "--present", 27, "--summoned", 30, "--counted", 27, lang="vi")
    assert result.exit_code == 0 and "Kết quả chính thức" in result.output, result.output
    assert "Bất thường: Trong hòm phiếu có 3 phiếu không do Ban Kiểm phiếu phát ra" in \
        result.output
    second = latest(conf)
    assert second.name.startswith("lan-02-chinh-thuc-")
    signed = {p.name: p.read_bytes() for p in second.iterdir()}
    # Made again (the committee states the end of the count): a new version, nothing replaced.
    again = run("tally", conf, "--present", 27, "--summoned", 30, "--counted", 27,
                "--ended", "17:38", lang="vi")
    assert again.exit_code == 0 and "lần 2" in again.output, again.output
    assert [v.name[:17] for v in versions(conf / OUTPUT_DIR)] == [
        "lan-01-khong-du-d", "lan-02-chinh-thuc", "lan-03-chinh-thuc"]
    assert {p.name: p.read_bytes() for p in second.iterdir()} == signed
    assert latest_official(conf / OUTPUT_DIR) == latest(conf)
    assert "17 giờ 38 cùng ngày" in pdf_text(latest(conf) / MINUTES_FILE)
    audit = run("audit", conf, "--jobs", 1)
    assert audit.exit_code == 0 and "VERIFIED" in audit.output, audit.output

    assert_results_are_the_hand_count(conf, truth, received=27)


@pytest.mark.slow
def test_a_stack_scanned_twice_and_a_withdrawn_file_still_count_as_the_truth(tmp_path):
    """The committee scans its stack as a PDF, the same paper once more as JPEGs, and then the
    whole stack again into a second scan.pdf. Without serials only the ink tells the copies
    apart: every copy is flagged duplicate, the second scan.pdf is withdrawn as a whole, the
    JPEG copies are excluded in review, and the count is the hand count of one stack; the
    audit verifies with the withdrawn file in the log."""
    from rehearsal.simulate import Rescan
    from tally.files import file_sha256

    conf = new_conference(tmp_path / "conf", copies=30)
    rates = {"blank_row": 0.05, "multi_mark": 0.05, "signature": 0.3, "stray": 0.3}
    common = {"voters": 12, "profile": "office", "dpi": 300, "seed": 12, "rates": rates}
    truth = simulate_vote(conf, tmp_path / "scans", fmt="pdf", **common).truth
    simulate_vote(conf, tmp_path / "jpeg", fmt="jpeg", rescan=Rescan(71, dpi=200), **common)
    simulate_vote(conf, tmp_path / "again", fmt="pdf", rescan=Rescan(72), **common)
    assert run("scan", conf, tmp_path / "scans" / "scan.pdf").exit_code == 0
    jpegs = sorted((tmp_path / "jpeg").glob("*.jpg"))
    result = run("scan", conf, *jpegs, tmp_path / "again" / "scan.pdf", lang="vi")
    assert result.exit_code == 0, result.output
    with Store.open(conf) as store:
        ballots = assemble(store.pages())
    assert len(ballots) == 36  # 12 sheets, 3 copies: each copy names the other two
    assert all(Flag.DUPLICATE in b.flags and len(b.twins) == 2 for b in ballots)
    assert "Cảnh báo: 36 phiếu trùng với phiếu khác" in result.output

    again = file_sha256(tmp_path / "again" / "scan.pdf")
    result = run("withdraw", conf, again[:8], "--reason", "quét lại cả tập lần thứ ba",
                 "--by", "Nguyễn Thị Lan", lang="vi")
    assert result.exit_code == 0 and "Đã rút lại tệp" in result.output, result.output
    for folder in ("scans", "jpeg"):
        result = run("simulate-review", conf, "--truth", tmp_path / folder / "truth.json")
        assert result.exit_code == 0, result.output
    result = run("tally", conf, "--present", 12, "--summoned", 18, "--counted", 12)
    assert result.exit_code == 0 and "Kết quả chính thức" in result.output, result.output

    assert_results_are_the_hand_count(conf, truth, received=12)
    result = run("audit", conf)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output
    with Store.open(conf) as store:
        assert again in store.set_aside() and again in {f.sha256 for f in store.scan_files()}


PERSON_NAMES = ("Nguyễn Thị Ánh Tuyết", "Trần Đức Lợi", "Ưng Hoàng Phượng", "Đặng Thuỳ Dương",
                "Lê Quý Ẩn")


def test_without_quorum_only_a_record_that_the_count_cannot_stand_and_exit_12(conf):
    """Before, 5 of 8 present gave minutes headed 'Kết quả chính thức', with results and
    bands, one red line saying KHÔNG ĐẠT, and exit 0."""
    resolve_as_a_committee_would(conf)
    result = run("tally", conf, "--present", 5, "--summoned", 8, "--counted", 7)
    assert result.exit_code == ExitCode.NO_QUORUM, result.output
    assert "KHÔNG ĐẠT tỷ lệ tối thiểu 2/3" in result.output
    assert "không đủ số người có mặt" in result.output and "chính thức" not in result.output
    assert not any(name in result.output for name in PERSON_NAMES)  # no results shown
    folder = latest(conf)
    assert folder.name.startswith("lan-01-khong-du-dieu-kien-")
    assert sorted(p.name for p in folder.iterdir()) == [MINUTES_FILE]  # no table of results
    text = " ".join(pdf_text(folder / MINUTES_FILE).split())
    assert "kết quả kiểm phiếu không có giá trị" in text and "KHÔNG ĐỦ ĐIỀU KIỆN" in text
    assert "có mặt: 5 (62,50 %)" in text and "Số phiếu thu về: 7." in text
    assert "chính thức" not in text.lower() and "2/3 phiếu thấp" not in text
    assert not any(name in text for name in PERSON_NAMES)
    assert not (conf / OUTPUT_DIR / OFFICIAL_FILE).exists()
    with Store.open(conf) as store:
        event = store.events()[-1]
    assert (event.data["final"], event.data["state"], event.data["count"]) == \
        (False, "khong-du-dieu-kien", 2)
    assert "VERIFIED" in run("audit", conf, "--jobs", 1).output


@pytest.mark.parametrize("args, message", [
    (("--present", 9, "--summoned", 8), "số người có mặt (9) lớn hơn số người được triệu tập (8)"),
    (("--present", 7, "--summoned", 8, "--issued", 9),
     "số phiếu phát ra (9) lớn hơn số phiếu đã in (8)"),
])
def test_impossible_facts_are_refused_and_nothing_is_recorded(conf, args, message):
    """Before, --present 40 --summoned 30 was accepted ('40/30 … đạt')."""
    with Store.open(conf) as store:
        events = len(store.events())
    result = run("tally", conf, *args, "--counted", 7, lang="vi")
    assert result.exit_code == ExitCode.USAGE and message in result.output, result.output
    with Store.open(conf) as store:
        assert len(store.events()) == events
    assert versions(conf / OUTPUT_DIR) == []


def test_no_ballot_scanned_is_never_official(tmp_path):
    conf = new_conference(tmp_path / "conf", copies=6)
    result = run("tally", conf, "--present", 6, "--summoned", 6, "--counted", 0)
    assert result.exit_code == 0, result.output
    assert "DỰ THẢO" in result.output and "Chưa có phiếu nào được quét" in result.output
    assert latest(conf).name.startswith("lan-01-du-thao-")


def test_every_tally_is_a_version_and_an_official_one_is_never_overwritten(conf):
    """Before, every run replaced the minutes in ket-qua/, once even with a draft."""
    resolve_as_a_committee_would(conf)
    facts = ("--present", 7, "--summoned", 8, "--counted", 7)
    assert run("tally", conf, *facts).exit_code == 0
    first = latest(conf)
    signed = {p.name: p.read_bytes() for p in first.iterdir()}
    assert first.name.startswith("lan-01-chinh-thuc-")
    official = (conf / OUTPUT_DIR / OFFICIAL_FILE).read_text(encoding="utf-8")
    assert official.startswith(f"Bản chính thức mới nhất: lần 1, thư mục {first.name}\n")
    draft = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 6)  # a mistyped count
    assert draft.exit_code == 0 and "DỰ THẢO" in draft.output
    assert latest(conf).name.startswith("lan-02-du-thao-")
    assert latest_official(conf / OUTPUT_DIR) == first  # a draft names nothing official
    again = run("tally", conf, *facts, lang="vi")
    assert again.exit_code == 0
    assert "Lưu ý: lần 1" in again.output and "bản chính thức mới nhất bây giờ là lần 3" in \
        again.output
    third = latest(conf)
    assert third.name.startswith("lan-03-chinh-thuc-")
    assert latest_official(conf / OUTPUT_DIR) == third
    assert {p.name: p.read_bytes() for p in first.iterdir()} == signed
    fingerprint = third.name.removeprefix("lan-03-chinh-thuc-")
    assert f"Lần 3 — Mã kiểm tra {fingerprint}" in pdf_text(third / MINUTES_FILE)
    audit = run("audit", conf, "--jobs", 1)
    assert audit.exit_code == 0 and "9 documents" in audit.output, audit.output
    (conf / OUTPUT_DIR / OFFICIAL_FILE).write_text(
        f"Bản chính thức mới nhất: lần 2, thư mục {latest(conf).parent.name}\n",
        encoding="utf-8")
    assert run("audit", conf, "--jobs", 1).exit_code == ExitCode.AUDIT


def test_the_minutes_words_and_numbers(conf):
    """The town on the date line and the venue apart, the time in the conference's zone,
    decimal commas, the copies' distribution, an initial on every page, bands in the rule
    set's own words."""
    import dataclasses
    import datetime as dt

    import pypdfium2 as pdfium

    from tally.count import Attendance, tally_store
    from tally.minutes import COPIES_TEXT, minutes_pdf

    resolve_as_a_committee_would(conf)
    with Store.open(conf) as store:
        conference, results = tally_store(store, Attendance(8, 7, None, 7))
    conference = dataclasses.replace(conference, place="Bình An",
                                     venue="Hội trường Sở Tài chính")

    def minutes(at: dt.datetime) -> str:
        pdf = minutes_pdf(conference, results, members=[], fingerprint="0000-0000-0000-0000",
                          made_at=at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")), number=2)
        pages = len(pdfium.PdfDocument(pdf))
        text = " ".join(pdf_text(pdf).split())
        assert text.count("Ký tắt:") == pages > 1
        return text

    text = minutes(dt.datetime(2026, 12, 15, 10, 38, tzinfo=dt.UTC))  # 17:38 in Hà Nội
    assert "Bình An, ngày 15 tháng 12 năm 2026" in text
    assert "Hôm nay, ngày 15 tháng 12 năm 2026 tại Hội trường Sở Tài chính, Ban Kiểm phiếu " \
           "gồm:" in text and "tại Bình An" not in text
    assert "kết thúc lúc 17 giờ 38 cùng ngày" in text
    assert " ".join(COPIES_TEXT.split()) in text and "2 bản gửi cấp trên trực tiếp" in text
    assert "57,14" in text and "71,43 %" in text and "57.14" not in text
    assert "Mức" not in text and "thuộc trường hợp từ 2/3 trở lên số phiếu tín nhiệm thấp" in text
    text = minutes(dt.datetime(2026, 12, 15, 20, 5, tzinfo=dt.UTC))  # 03:05 the next day
    assert "kết thúc lúc 03 giờ 05, ngày 16 tháng 12 năm 2026" in text
    result = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7,
                 "--ended", "16:20")
    assert result.exit_code == 0, result.output
    assert "kết thúc lúc 16 giờ 20 cùng ngày" in " ".join(
        pdf_text(latest(conf) / MINUTES_FILE).split())
    assert run("tally", conf, "--ended", "25:00").exit_code == ExitCode.USAGE


def test_annual_2013_with_last_year_for_some_persons_only(tmp_path):
    """Before, a history lacking persons (newly appointed) stopped tally with an internal
    error (exit 70). A person without last year's share is judged on one year, and the
    minutes say why; the counting body is the Tổ kiểm phiếu."""
    from tally.prepare import create_conference, print_ballots

    conf = tmp_path / "conf"
    create_conference(conf, roster=SAMPLES / "roster-small.csv", org="SỞ TÀI CHÍNH",
                      title="Hội nghị thử", date=dt.date(2026, 12, 15), rules="annual-2013")
    print_ballots(conf, copies=5)
    votes = tmp_path / "votes.csv"
    votes.write_text("voter,1,2,3,4,5\n" + "".join(
        f"{v},thap,thap,{'thap' if v < 5 else 'cao'},cao,tin_nhiem\n" for v in range(1, 6)),
        encoding="utf-8")
    simulate_vote(conf, tmp_path / "scans", voters=None, votes=votes, profile="clean",
                  fmt="pdf", dpi=150, seed=3, rates=NO_MISTAKES)
    scan_stack(conf, [tmp_path / "scans" / "scan.pdf"], jobs=1)
    assert run("simulate-review", conf, "--truth", tmp_path / "scans" / "truth.json"
               ).exit_code == 0
    history = tmp_path / "nam-truoc.csv"
    history.write_text("STT,Tỷ lệ tín nhiệm thấp (%)\n1,75\n", encoding="utf-8")
    result = run("tally", conf, "--present", 5, "--summoned", 5, "--counted", 5, "--history",
                 history)
    assert result.exit_code == 0, result.output
    assert "Kết quả chính thức" in result.output
    text = " ".join(pdf_text(latest(conf) / MINUTES_FILE).split())
    assert "TỔ KIỂM PHIẾU" in text and "Tổ kiểm phiếu gồm" in text
    assert "Ban Kiểm phiếu" not in text and "BAN KIỂM PHIẾU" not in text
    assert "Hướng dẫn ghi “trên 80% trở lên”; biên bản này tính từ 80% trở lên" in text
    for person in (2, 3, 4, 5):
        assert f"Ghi chú — {person}. " in text
    assert text.count("Không có kết quả lấy phiếu năm trước") == 4
    csv = pd.read_csv(latest(conf) / CSV_FILE, encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    assert csv["Thuộc trường hợp"].tolist()[:3] == ["Từ 80% phiếu thấp, 1 năm"] * 2 + [
        "Từ 80% phiếu thấp, 1 năm"]


def test_a_tally_recorded_before_version_2_is_still_reproduced_by_the_audit(conf, monkeypatch):
    """A tally made by version 1 of the count (ballots issued defaulted to those printed) and
    recorded without a version is recomputed as version 1: its fingerprint stands."""
    import tally.publish
    from tally.count import tally_of

    resolve_as_a_committee_would(conf)

    def as_version_1(store, attendance, *, previous=None):
        conference = store.conference()
        return conference, tally_of(conference, store.pages(), store.decisions(),
                                    printed=sum(b.copies for b in store.batches()),
                                    attendance=attendance, previous=previous, version=1)

    record = Store.record_tally

    def without_version(self, **kw):
        kw["extra"] = {k: v for k, v in kw["extra"].items() if k != "count"}
        return record(self, **kw)

    with monkeypatch.context() as patch:
        patch.setattr(tally.publish, "tally_store", as_version_1)
        patch.setattr(Store, "record_tally", without_version)
        old = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7, lang="vi")
    assert old.exit_code == 0, old.output
    assert "Phiếu in 8, phát ra 8," in old.output  # version 1: the number printed
    new = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7, lang="vi")
    assert "Phiếu in 8, phát ra 7 (bằng số người có mặt)," in new.output
    audit = run("audit", conf, "--jobs", 1)
    assert audit.exit_code == 0 and "VERIFIED" in audit.output, audit.output
    assert audit.output.count("(final): reproduced") == 2
