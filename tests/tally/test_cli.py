"""The tinnhiem command as a user meets it: messages, exit codes, files."""

import stat

import pypdfium2 as pdfium
import pytest

from ballotgen import payload
from ballotgen.errors import ExitCode
from tally.store import Store
from tests.helpers import INIT, SAMPLES, qr_text, render_grey, run


@pytest.fixture
def conference_dir(tmp_path):
    folder = tmp_path / "conf"
    result = run("init", folder, "--roster", SAMPLES / "roster-large.xlsx", *INIT)
    assert result.exit_code == 0, result.output
    return folder


def test_every_command_has_help():
    for command in ([], ["init"], ["print"], ["status"], ["simulate"], ["scan"], ["export"],
                    ["committee"], ["review"], ["tally"], ["simulate-review"]):
        result = run(*command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_init_then_print_then_status(conference_dir, tmp_path):
    out = tmp_path / "ballots.pdf"
    result = run("print", conference_dir, "--copies", 7, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Printed 7 ballots of 4 pages (28 sheets" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with Store.open(conference_dir) as store:
        (batch,) = store.batches()
        key = store.secret()
        assert batch.copies == 7 and batch.pdf_name == "ballots.pdf"
    document = pdfium.PdfDocument(out)
    assert len(document) == 28
    code, mac = payload.decode(qr_text(render_grey(document, 0, 150)))
    assert code.batch == batch.code and payload.is_authentic(code, mac, key)

    result = run("status", conference_dir)
    assert result.exit_code == 0
    assert "Persons: 55" in result.output and "Ballots printed: 7" in result.output
    assert "Event log: intact" in result.output


def test_print_default_output_is_named_by_batch(conference_dir):
    result = run("print", conference_dir, "--copies", 1, "--serials")
    assert result.exit_code == 0, result.output
    (pdf,) = conference_dir.glob("phieu-*.pdf")
    with Store.open(conference_dir) as store:
        (batch,) = store.batches()
        assert pdf.name == f"phieu-{batch.code}.pdf" and batch.serials
        assert len(store.issued_serials(batch.code)) == 1


def test_print_never_overwrites_and_records_nothing_then(conference_dir, tmp_path):
    out = tmp_path / "ballots.pdf"
    out.write_bytes(b"an earlier batch")
    result = run("print", conference_dir, "--copies", 3, "-o", out)
    assert result.exit_code == ExitCode.OUTPUT
    assert f"{out}: already exists" in result.output
    assert out.read_bytes() == b"an earlier batch"
    with Store.open(conference_dir) as store:
        assert store.batches() == []


def test_init_refuses_a_bad_roster_and_creates_nothing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("STT,Họ và tên,Chức vụ\n1,NguyÔn V¨n An,Giám đốc\n", encoding="utf-8")
    result = run("init", tmp_path / "conf", "--roster", roster, *INIT)
    assert result.exit_code == ExitCode.INPUT
    assert f"{roster}: row 2:" in result.output and "TCVN3" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "conf").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["roster.csv"]  # no staging left behind


def test_init_refuses_an_existing_conference(conference_dir):
    result = run("init", conference_dir, "--roster", SAMPLES / "roster-small.csv", *INIT)
    assert result.exit_code == ExitCode.CONFERENCE and "already exists" in result.output
    with Store.open(conference_dir) as store:
        assert len(store.conference().persons) == 55  # untouched


def test_init_refuses_text_the_font_cannot_draw(tmp_path, monkeypatch):
    """An old font without full Vietnamese (here: no 'Ư') stops init before anything exists."""
    import ballotgen.fonts

    real = ballotgen.fonts.glyphs
    monkeypatch.setattr(ballotgen.fonts, "glyphs", lambda path: real(path) - {ord("Ư")})
    result = run("init", tmp_path / "conf", "--roster", SAMPLES / "roster-small.csv", *INIT)
    assert result.exit_code == ExitCode.FONT and "no glyph for 'Ư'" in result.output
    assert "Ưng Hoàng Phượng" in result.output  # names the text
    assert not (tmp_path / "conf").exists()


def test_bad_command_lines(tmp_path):
    assert run("print", tmp_path / "nowhere", "--copies", 1).exit_code == ExitCode.CONFERENCE
    assert "not a conference folder" in run("status", tmp_path).output
    bad_date = run("init", tmp_path / "c", "--roster", SAMPLES / "roster-small.csv",
                   "--org", "X", "--title", "Y", "--date", "15/12/2026")
    assert bad_date.exit_code == ExitCode.USAGE
    assert run("print", tmp_path, "--copies", 0).exit_code == ExitCode.USAGE


def test_verbose_shows_the_traceback(tmp_path):
    result = run("-v", "status", tmp_path)
    assert result.exit_code == ExitCode.CONFERENCE
    assert "Traceback (most recent call last)" in result.output
    assert "not a conference folder" in result.output
    quiet = run("status", tmp_path)  # without -v, the message alone
    assert quiet.exit_code == ExitCode.CONFERENCE and "Traceback" not in quiet.output


def test_init_refuses_legacy_encoded_options(tmp_path):
    args = list(INIT)
    args[args.index("--org") + 1] = "UBND TØNH B×NH AN"  # TCVN3 typed in a terminal
    result = run("init", tmp_path / "conf", "--roster", SAMPLES / "roster-small.csv", *args)
    assert result.exit_code == ExitCode.USAGE and "--org" in result.output
    assert "not Unicode Vietnamese text" in result.output
    assert not (tmp_path / "conf").exists()


def test_init_shows_the_persons_read_and_with_dry_run_creates_nothing(tmp_path):
    roster = tmp_path / "danh-sach.csv"
    roster.write_text("STT,Họ và tên người được lấy phiếu,\"Chức vụ, đơn vị\"\n"
                      "1,Nguyễn Văn An,Giám đốc\n2,Trần Thị Bình,Phó Giám đốc\n"
                      "Danh sách có 2 người,,\n", encoding="utf-8")
    args = ("init", tmp_path / "conf", "--roster", roster, "--org", "SỞ TÀI CHÍNH", "--title",
            "Hội nghị thử", "--date", "2026-12-15")
    result = run(*args, "--dry-run", lang="vi")
    assert result.exit_code == 0, result.output
    assert "(2 người)" in result.output and "2. Trần Thị Bình  Phó Giám đốc" in result.output
    assert "dòng 4, ghi chú dưới bảng" in result.output and "Danh sách có 2 người" in result.output
    assert not (tmp_path / "conf").exists()
    result = run(*args, "--venue", "Hội trường tầng 3", "--place", "Bình An")
    assert result.exit_code == 0, result.output
    assert result.output.index("Trần Thị Bình") < result.output.index("Created the conference")
    with Store.open(tmp_path / "conf") as store:
        conference = store.conference()
    assert (conference.place, conference.venue, conference.timezone) == (
        "Bình An", "Hội trường tầng 3", "Asia/Ho_Chi_Minh")
    result = run(*args[:2], "x", *args[3:], "--timezone", "Mars/Olympus")
    assert result.exit_code == ExitCode.USAGE and "Mars/Olympus" in result.output


def test_a_second_print_run_is_warned_of(tmp_path):
    conf = tmp_path / "conf"
    result = run("init", conf, "--roster", SAMPLES / "roster-small.csv", "--org", "SỞ TÀI CHÍNH",
                 "--title", "Hội nghị thử", "--date", "2026-12-15")
    assert result.exit_code == 0, result.output
    first = run("print", conf, "--copies", 3, lang="vi")
    assert first.exit_code == 0 and "Cảnh báo" not in first.output
    second = run("print", conf, "--copies", 3, lang="vi")
    assert second.exit_code == 0, second.output
    assert "Cảnh báo: đây là lần in thứ 2 của hội nghị này (tổng cộng 6 phiếu" in second.output
