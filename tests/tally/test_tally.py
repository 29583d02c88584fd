"""tinnhiem tally end to end: ballots printed, filled with known votes, scanned, read, reviewed,
counted; the minutes, results.xlsx and results.csv say what a hand count says."""

import stat

import pandas as pd
import pytest

from ballotgen.errors import ExitCode
from ballotgen.vocabulary import Flag
from rehearsal.committee import hand_count
from rehearsal.vote import simulate_vote
from tally.ballots import assemble
from tally.publish import CSV_FILE, MINUTES_FILE, OUTPUT_DIR, XLSX_FILE
from tally.rules import RULE_SETS
from tally.scan import scan_stack
from tally.store import Store
from tests.helpers import new_conference, pdf_text, resolve_as_a_committee_would, run

# By hand, over 7 sheets received (6 voters and 1 ballot of another conference, void):
# person: (valid, invalid, cao, tin_nhiem, thap, band)
EXPECTED = {1: (6, 1, 3, 1, 2, ""), 2: (5, 2, 1, 0, 4, "Mức 1"), 3: (6, 1, 4, 1, 1, ""),
            4: (6, 1, 2, 2, 2, ""), 5: (6, 1, 1, 0, 5, "Mức 2")}


def test_a_reviewed_count_gives_final_minutes_with_the_hand_counted_numbers(conf):
    resolve_as_a_committee_would(conf)
    result = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7, "--issued", 8,
                 "--committee", "Nguyễn Thị Lan:Trưởng ban",
                 "--committee", "Đỗ Văn Minh:Thành viên")
    assert result.exit_code == 0, result.output
    assert "Kết quả chính thức" in result.output and "DỰ THẢO" not in result.output

    out = conf / OUTPUT_DIR
    csv = pd.read_csv(out / CSV_FILE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for number, (valid, invalid, cao, tn, thap, band) in EXPECTED.items():
        row = csv[csv["STT"] == str(number)].iloc[0]
        assert (row["Số phiếu phát ra"], row["Số phiếu thu về"]) == ("8", "7")
        assert (int(row["Số phiếu hợp lệ"]), int(row["Số phiếu không hợp lệ"])) == (valid, invalid)
        assert (int(row["Tín nhiệm cao (số phiếu)"]), int(row["Tín nhiệm (số phiếu)"]),
                int(row["Tín nhiệm thấp (số phiếu)"])) == (cao, tn, thap)
        assert row["Mức"] == band
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
    assert "Số phiếu phát ra: 8; số phiếu thu về: 7" in text
    assert "Số phiếu hợp lệ: 6; số phiếu không hợp lệ (cả phiếu): 1" in text
    assert "Nguyễn Thị Lan — Trưởng ban" in text and "lập thành 03 bản" in text
    assert "57.14" in text and "71.43" in text and "Mức 2" in text
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
    text = pdf_text(conf / OUTPUT_DIR / MINUTES_FILE)
    assert "DỰ THẢO" in text and "CÒN PHẢI XỬ LÝ" in text
    assert "Có dòng không đánh dấu ô nào" in text
    csv_text = (conf / OUTPUT_DIR / CSV_FILE).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[1].startswith("1,")


def test_quorum_and_reconciliation_problems_are_in_every_output(conf, tmp_path):
    resolve_as_a_committee_would(conf)
    out = tmp_path / "out"
    result = run("tally", conf, "--present", 20, "--summoned", 40, "--counted", 6, "--issued", 6,
                 "-o", out)
    assert result.exit_code == 0, result.output
    assert "KHÔNG ĐẠT tỷ lệ tối thiểu 2/3" in result.output
    assert "Số phiếu thu về (7) nhiều hơn số phiếu phát ra (6)." in result.output
    assert "khác số phiếu Ban Kiểm phiếu đếm (6)" in result.output
    text = pdf_text(out / MINUTES_FILE)
    assert "KHÔNG ĐẠT" in text and "nhiều hơn số phiếu phát ra" in text and "DỰ THẢO" in text
    heading = pd.read_excel(out / XLSX_FILE, header=None, dtype=str).iloc[:5, 0].tolist()
    assert any("KHÔNG ĐẠT" in h for h in heading) and any("DỰ THẢO" in h for h in heading)


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
    result = run("tally", conf, "--present", 27, "--summoned", 30, "--counted", 27)
    assert result.exit_code == 0 and "Kết quả chính thức" in result.output, result.output

    expected = hand_count(truth, [1, 2, 3, 4, 5], RULE_SETS["qd96-2023"])
    csv = pd.read_csv(conf / OUTPUT_DIR / CSV_FILE, encoding="utf-8-sig")
    for _, row in csv.iterrows():
        want = expected[row["STT"]]
        assert (row["Tín nhiệm cao (số phiếu)"], row["Tín nhiệm (số phiếu)"],
                row["Tín nhiệm thấp (số phiếu)"], row["Số phiếu không hợp lệ"],
                row["Số phiếu thu về"]) == \
            (want["cao"], want["tin_nhiem"], want["thap"], want["invalid"], 27), row["STT"]


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
    result = run("scan", conf, *jpegs, tmp_path / "again" / "scan.pdf")
    assert result.exit_code == 0, result.output
    with Store.open(conf) as store:
        ballots = assemble(store.pages())
    assert len(ballots) == 36  # 12 sheets, 3 copies: each copy names the other two
    assert all(Flag.DUPLICATE in b.flags and len(b.twins) == 2 for b in ballots)
    assert "Cảnh báo: 36 phiếu trùng với phiếu khác" in result.output

    again = file_sha256(tmp_path / "again" / "scan.pdf")
    result = run("withdraw", conf, again[:8], "--reason", "quét lại cả tập lần thứ ba",
                 "--by", "Nguyễn Thị Lan")
    assert result.exit_code == 0 and "Đã rút lại tệp" in result.output, result.output
    for folder in ("scans", "jpeg"):
        result = run("simulate-review", conf, "--truth", tmp_path / folder / "truth.json")
        assert result.exit_code == 0, result.output
    result = run("tally", conf, "--present", 12, "--summoned", 18, "--counted", 12)
    assert result.exit_code == 0 and "Kết quả chính thức" in result.output, result.output

    expected = hand_count(truth, [1, 2, 3, 4, 5], RULE_SETS["qd96-2023"])
    csv = pd.read_csv(conf / OUTPUT_DIR / CSV_FILE, encoding="utf-8-sig")
    for _, row in csv.iterrows():
        want = expected[row["STT"]]
        assert (row["Tín nhiệm cao (số phiếu)"], row["Tín nhiệm (số phiếu)"],
                row["Tín nhiệm thấp (số phiếu)"], row["Số phiếu không hợp lệ"],
                row["Số phiếu thu về"]) == \
            (want["cao"], want["tin_nhiem"], want["thap"], want["invalid"], 12), row["STT"]
    result = run("audit", conf)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output
    with Store.open(conf) as store:
        assert again in store.set_aside() and again in {f.sha256 for f in store.scan_files()}
