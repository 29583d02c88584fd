"""tinnhiem simulate as a committee rehearsing would use it."""

import json
import stat

import pytest

from ballotgen.errors import ExitCode
from tests.helpers import INIT, SAMPLES, run


@pytest.fixture
def printed(tmp_path):
    folder = tmp_path / "conf"
    assert run("init", folder, "--roster", SAMPLES / "roster-small.csv", *INIT).exit_code == 0
    assert run("print", folder, "--copies", 12).exit_code == 0
    return folder


def test_simulate_writes_scans_and_truth(printed, tmp_path):
    out = tmp_path / "scans"
    result = run("simulate", printed, "--voters", 4, "-o", out, "--profile", "clean", "--dpi", 150,
                 "--seed", 3, "--format", "tiff", "--foreign", 1)
    assert result.exit_code == 0, result.output
    assert "Simulated 4 voters: 5 pages (clean scanner, 150 dpi grey, seed 3)" in result.output
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["voters"] == 4 and len(truth["ballots"]) == 4 and len(truth["foreign"]) == 1
    assert stat.S_IMODE((out / "scan.tif").stat().st_mode) == 0o600


def test_votes_file_decides_the_choices(printed, tmp_path):
    votes = tmp_path / "votes.csv"
    votes.write_text("voter,1,2,3,4,5\n1,cao,tn,thap,,Tín nhiệm cao\n2,thấp,cao,cao,cao,cao\n",
                     encoding="utf-8")
    out = tmp_path / "scans"
    result = run("simulate", printed, "--votes", votes, "-o", out, "--profile", "clean",
                 "--dpi", 150, "--seed", 1, "--format", "png")
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert [r["intended"] for r in truth["ballots"][0]["rows"]] == [
        "cao", "tin_nhiem", "thap", None, "cao"]
    assert [r["expected"] for r in truth["ballots"][1]["rows"]] == [
        "thap", "cao", "cao", "cao", "cao"]


def test_rate_overrides(printed, tmp_path):
    out = tmp_path / "scans"
    result = run("simulate", printed, "--voters", 2, "-o", out, "--profile", "clean", "--dpi", 150,
                 "--seed", 1, "--rate", "multi_mark=1", "--rate", "stamp=0")
    assert result.exit_code == 0, result.output
    assert "multi_mark 2" in result.output


@pytest.mark.parametrize("args, code, message", [
    (["--voters", 13], ExitCode.USAGE, "only 12 ballots were printed"),
    (["--voters", 2, "--rate", "nonsense=1"], ExitCode.USAGE, "unknown rate 'nonsense'"),
    (["--voters", 2, "--rate", "multi_mark"], ExitCode.USAGE, "is not NAME=RATE"),
    (["--voters", 2, "--rate", "multi_mark=2"], ExitCode.USAGE, "between 0 and 1"),
    ([], ExitCode.USAGE, "how many voters"),
])
def test_impossible_requests(printed, tmp_path, args, code, message):
    result = run("simulate", printed, "-o", tmp_path / "scans", *args)
    assert result.exit_code == code and message in result.output
    assert not (tmp_path / "scans").exists()


def test_bad_votes_files(printed, tmp_path):
    votes = tmp_path / "votes.csv"
    for text, message in [("voter,1,2\n1,cao,cao\n", "do not match the roster"),
                          ("voter,1,2,3,4,5\n1,cao,cao,cao,cao,yes\n",
                           "row 2: 'yes' is not a choice"),
                          ("voter,1,2,3,4,5\n", "has no voters")]:
        votes.write_text(text, encoding="utf-8")
        result = run("simulate", printed, "--votes", votes, "-o", tmp_path / "scans")
        assert result.exit_code == ExitCode.INPUT and message in result.output
        assert str(votes) in result.output


def test_nothing_printed_yet_and_output_not_empty(tmp_path):
    folder = tmp_path / "conf"
    run("init", folder, "--roster", SAMPLES / "roster-small.csv", *INIT)
    result = run("simulate", folder, "--voters", 1, "-o", tmp_path / "scans")
    assert result.exit_code == ExitCode.CONFERENCE
    assert "no ballots have been printed" in result.output
    run("print", folder, "--copies", 2)
    (tmp_path / "scans").mkdir()
    (tmp_path / "scans" / "old.pdf").write_bytes(b"x")
    result = run("simulate", folder, "--voters", 1, "-o", tmp_path / "scans")
    assert result.exit_code == ExitCode.USAGE and "not empty" in result.output


def test_the_scan_summary_holds_only_what_can_change_a_count(printed, tmp_path):
    """Under qd96-2023 a write-in is recorded, not sent to review (the summary says which)."""
    out = tmp_path / "scans"
    result = run("simulate", printed, "--voters", 2, "-o", out, "--profile", "clean", "--dpi", 150,
                 "--seed", 1, "--rate", "write_in=1", "--rate", "signature=0", "--rate", "stray=0",
                 "--rate", "blank_row=0", "--rate", "multi_mark=0", "--rate", "correction=0",
                 "--rate", "crossed_name=0", "--rate", "blank_ballot=0")
    assert result.exit_code == 0, result.output
    result = run("scan", printed, out)
    assert "Ballots: 2: 2 accepted, 0 flagged for review." in result.output, result.output
    assert "Recorded, not for review under qd96-2023: write_in 2" in result.output
