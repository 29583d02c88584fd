"""tinnhiem tally end to end: ballots printed, filled with known votes, scanned, read, reviewed,
counted; the minutes, results.xlsx and results.csv say what a hand count says."""

import stat

import pandas as pd
import pytest

from ballotgen.errors import ExitCode
from rehearsal.committee import hand_count
from rehearsal.vote import simulate_vote
from tally.publish import CSV_FILE, MINUTES_FILE, OUTPUT_DIR, XLSX_FILE
from tally.rules import RULE_SETS
from tally.scan import scan_stack
from tally.store import Store
from tests.helpers import latest, new_conference, pdf_text, resolve_as_a_committee_would, run

BAND1, BAND2 = "Trên 1/2 đến dưới 2/3 phiếu thấp", "Từ 2/3 phiếu thấp trở lên"  # qd96's words
# By hand, over 7 sheets received (6 voters and 1 ballot of another conference, void):
# person: (valid, invalid, cao, tin_nhiem, thap, band)
EXPECTED = {1: (6, 1, 3, 1, 2, ""), 2: (5, 2, 1, 0, 4, BAND1), 3: (6, 1, 4, 1, 1, ""),
            4: (6, 1, 2, 2, 2, ""), 5: (6, 1, 1, 0, 5, BAND2)}


def test_a_reviewed_count_gives_final_minutes_with_the_hand_counted_numbers(conf):
    resolve_as_a_committee_would(conf)
    result = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7, "--issued", 8,
                 "--committee", "Nguyễn Thị Lan:Trưởng ban",
                 "--committee", "Đỗ Văn Minh:Thành viên")
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
    csv = pd.read_csv(latest(conf) / CSV_FILE, encoding="utf-8-sig")
    for _, row in csv.iterrows():
        want = expected[row["STT"]]
        assert (row["Tín nhiệm cao (số phiếu)"], row["Tín nhiệm (số phiếu)"],
                row["Tín nhiệm thấp (số phiếu)"], row["Số phiếu không hợp lệ"],
                row["Số phiếu thu về"]) == \
            (want["cao"], want["tin_nhiem"], want["thap"], want["invalid"], 27), row["STT"]
