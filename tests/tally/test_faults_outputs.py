"""No output the log does not know (issue 16, rows 1, 2 and 11): the minutes, the printed ballots
and the audit archive are written whole and renamed into place only once their event is
committed; a kill at any point, then the command run again, ends as one run; nothing a kill
leaves behind (partials, temporary folders) outlives the next run, and no copy of the store
is ever left in the system's temporary folder."""

import hashlib
import os
import random
import shutil
import signal
import subprocess
import time
import zipfile

import pytest

from ballotgen.errors import DiskFullError, ExitCode
from tally.audit import AuditReport
from tally.count import Attendance, tally_store
from tally.documents import check_documents
from tally.minutes import minutes_pdf
from tally.publish import CSV_FILE, MINUTES_FILE, OUTPUT_DIR, XLSX_FILE, versions
from tally.store import Store
from tests.helpers import child, latest, run

SEED = 2026
KILLS = 6
TALLY = ["--present", 5, "--counted", 5, "--summoned", 6]


@pytest.fixture
def conf(counted, tmp_path):
    copy = tmp_path / "conf"
    shutil.copytree(counted[0], copy)
    return copy


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) \
        if folder.is_dir() else []


def hidden_anywhere(conf) -> list[str]:
    """The hidden files in the results folder and in every version folder of it."""
    out = conf / OUTPUT_DIR
    return hidden(out) + [f"{v.name}/{h}" for v in versions(out) for h in hidden(v)]


def document_differences(conf) -> list[str]:
    """What the audit says of the documents in DIR/ket-qua (the audit's own check, alone)."""
    with Store.open(conf, readonly=True) as store:
        report = AuditReport(store.conference())
        check_documents(report, conf / OUTPUT_DIR, store.events(), {})
    return [str(d) for d in report.differences]


def logged_fingerprints(conf) -> set[str]:
    with Store.open(conf, readonly=True) as store:
        return {e.data["fingerprint"] for e in store.events() if e.kind == "tally_produced"}


def printed_fingerprint(conf) -> str:
    from tally.documents import printed_fingerprint as read

    return read(MINUTES_FILE, (latest(conf) / MINUTES_FILE).read_bytes())


# ---------------------------------------------------------------------- tally: the minutes


def test_a_tally_that_cannot_be_recorded_writes_no_document(conf, monkeypatch):
    """Before, the PDF, XLSX and CSV were written first: a failed record left final-looking
    minutes with a fingerprint no tally in the log has."""
    def full(*args, **kwargs):
        raise DiskFullError("conference.sqlite: cannot be written: the disk is full")

    folders = versions(conf / OUTPUT_DIR)
    before = {name: sha256(latest(conf) / name) for name in (MINUTES_FILE, XLSX_FILE,
                                                              CSV_FILE)}
    monkeypatch.setattr(Store, "record_tally", full)
    result = run("tally", conf, "--present", 4)  # other results than those on disk
    assert result.exit_code == ExitCode.NO_SPACE, result.output
    assert versions(conf / OUTPUT_DIR) == folders  # no folder of a tally never recorded
    assert {name: sha256(latest(conf) / name) for name in before} == before
    assert hidden_anywhere(conf) == []
    shutil.rmtree(conf / OUTPUT_DIR)
    assert run("tally", conf, *TALLY).exit_code == ExitCode.NO_SPACE
    assert not any((conf / OUTPUT_DIR).iterdir())


def test_a_tally_killed_as_it_records_leaves_only_documents_the_log_knows(conf):
    minutes = sha256(latest(conf) / MINUTES_FILE)
    killed = child(["tally", conf, "--present", 4], kill_at="tally.store:Store.record_tally")
    assert killed.returncode == -signal.SIGKILL
    first, *killed_run = versions(conf / OUTPUT_DIR)
    assert sha256(first / MINUTES_FILE) == minutes
    assert all(not (v / MINUTES_FILE).exists() for v in killed_run)  # partials at most
    assert document_differences(conf) == []
    assert run("tally", conf, *TALLY).exit_code == 0
    assert hidden_anywhere(conf) == []  # the partials of the killed run are gone
    assert printed_fingerprint(conf) in logged_fingerprints(conf)


def test_a_tally_killed_after_its_record_is_completed_by_running_it_again(conf):
    """The tally is in the log, its documents were never put in place: the folder still holds
    the previous tally's, which the log knows; running it again gives one complete set."""
    killed = child(["tally", conf, "--present", 4], kill_at="tally.files:Partial.commit")
    assert killed.returncode == -signal.SIGKILL
    assert len(hidden_anywhere(conf)) == 3
    assert document_differences(conf) == []
    result = run("tally", conf, *TALLY, lang="vi")
    assert result.exit_code == 0
    assert hidden_anywhere(conf) == []
    # lần 1 as it was, lần 2 (recorded, its documents never in place) gone, lần 3 complete
    assert [v.name[:6] for v in versions(conf / OUTPUT_DIR)] == ["lan-01", "lan-03"]
    assert printed_fingerprint(conf) == result.output.split("Mã kiểm tra: ")[1].split()[0]
    assert "VERIFIED" in run("audit", conf, "--jobs", 1).output


def test_the_audit_lists_minutes_no_tally_wrote_in_the_folder_and_in_the_archive(conf, tmp_path,
                                                                              english):
    """Before, 'audit DIR' and the audit of an archive holding such minutes said VERIFIED."""
    with Store.open(conf, readonly=True) as store:
        conference, results = tally_store(store, Attendance(6, 5, None, 5))
    import datetime as dt

    forged = minutes_pdf(conference, results, members=[], fingerprint="0000-0000-0000-0000",
                         made_at=dt.datetime(2026, 12, 15, 10, 0))
    (conf / OUTPUT_DIR / MINUTES_FILE).write_bytes(forged)
    expected = (f"{OUTPUT_DIR}/{MINUTES_FILE}: minutes whose fingerprint no tally in the log has:"
                " stored '0000-0000-0000-0000'")
    result = run("audit", conf, "--jobs", 1)
    assert result.exit_code == ExitCode.AUDIT and expected in result.output, result.output
    assert run("export", conf, "--audit", "-o", tmp_path / "a.zip").exit_code == 0
    result = run("audit", tmp_path / "a.zip", "--jobs", 1)
    assert result.exit_code == ExitCode.AUDIT and expected in result.output, result.output


def test_the_audit_lists_documents_of_different_tallies(conf, english):
    workbook = (latest(conf) / XLSX_FILE).read_bytes()
    assert run("tally", conf, "--present", 4).exit_code == 0
    (latest(conf) / XLSX_FILE).write_bytes(workbook)  # the workbook of the tally before
    differences = document_differences(conf)
    assert differences[0].startswith(f"{OUTPUT_DIR}/{latest(conf).name}: its documents come "
                                     "from different tallies"), differences
    (latest(conf) / CSV_FILE).write_text("STT,Họ và tên\n1,made up\n", encoding="utf-8")
    assert any(f"{CSV_FILE}: a results file that no tally in the log wrote" in d
               for d in document_differences(conf))


def test_a_hidden_file_left_by_a_killed_tally_is_removed_by_the_next(conf):
    """Earlier versions left ``.results.csv-XXXXXXXX`` behind a kill."""
    (conf / OUTPUT_DIR / ".results.csv-k3x9_q2a").write_bytes(b"half")
    (conf / OUTPUT_DIR / ".bien-ban-kiem-phieu.pdf.1a2b3c4d.partial").write_bytes(b"half")
    (conf / OUTPUT_DIR / ".notes-of-the-committee").write_text("ours, not tinnhiem's")
    assert run("tally", conf, *TALLY).exit_code == 0
    assert hidden(conf / OUTPUT_DIR) == [".notes-of-the-committee"]


@pytest.mark.slow
def test_tally_killed_at_random_points_never_leaves_documents_the_log_does_not_know(conf):
    """SIGKILL at random moments of ``tally`` (a fixed seed); after each, the audit of the
    documents agrees with the minutes on disk, and the next run leaves nothing behind."""
    start = time.monotonic()
    assert child(["tally", conf, *TALLY]).returncode == 0
    duration = time.monotonic() - start
    rng = random.Random(SEED)
    for delay in sorted(rng.uniform(0.3, duration) for _ in range(KILLS)):
        process = child(["tally", conf, "--present", rng.choice([4, 5])], wait=False)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert document_differences(conf) == [], delay
        folder = latest(conf)
        if (folder / MINUTES_FILE).exists():  # not the folder of a kill before its documents
            assert printed_fingerprint(conf) in logged_fingerprints(conf)
    result = run("tally", conf, *TALLY)
    assert result.exit_code == 0 and hidden_anywhere(conf) == []
    assert "VERIFIED" in run("audit", conf, "--jobs", 1).output


# ---------------------------------------------------------------------- print: the ballots


def batches(conf) -> dict[str, str]:
    """Recorded batches: code → SHA-256 of their PDF."""
    with Store.open(conf, readonly=True) as store:
        return {b.code: b.pdf_sha256 for b in store.batches()}


def pdfs(folder) -> dict[str, str]:
    """Printed PDFs in ``folder``: batch code (from the default name) → SHA-256."""
    return {p.stem.removeprefix("phieu-"): sha256(p) for p in folder.glob("phieu-*.pdf")}


def test_a_print_that_cannot_write_its_pdf_records_nothing(conf, tmp_path):
    """Before, 'print -o unwritable/p.pdf' exited 6 and "Ballots printed" still grew."""
    (tmp_path / "a-file").write_text("not a folder")
    result = run("print", conf, "--copies", 2, "-o", tmp_path / "a-file" / "p.pdf")
    assert result.exit_code == ExitCode.OUTPUT, result.output
    assert "Ballots printed: 8" in run("status", conf).output
    folder = tmp_path / "write-protected"
    folder.mkdir()
    try:
        subprocess.run(["chattr", "+i", str(folder)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("chattr is not available here")
    try:
        result = run("print", conf, "--copies", 2, "-o", folder / "p.pdf")
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert result.exit_code == ExitCode.PERMISSION, result.output
    assert "Ballots printed: 8" in run("status", conf).output
    assert list(folder.iterdir()) == []


def test_a_print_killed_after_recording_is_completed_by_the_next_print(conf, tmp_path):
    out = tmp_path / "p.pdf"
    killed = child(["print", conf, "--copies", 2, "-o", out], kill_at="tally.files:Partial.commit")
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists() and len(hidden(tmp_path)) == 1
    result = run("print", conf, "--copies", 2, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Completed the print of batch" in result.output and "Nothing else was printed" in \
        result.output
    assert hidden(tmp_path) == [] and sha256(out) in batches(conf).values()
    assert "Ballots printed: 10" in run("status", conf).output  # 8, and the 2 of the one print


def test_a_print_killed_before_recording_leaves_nothing_after_the_next(conf):
    killed = child(["print", conf, "--copies", 2], kill_at="tally.store:Store.record_batch")
    assert killed.returncode == -signal.SIGKILL
    assert len(hidden(conf)) == 1 and len(batches(conf)) == 1
    assert run("print", conf, "--copies", 2).exit_code == 0
    assert hidden(conf) == [] and pdfs(conf) == batches(conf)


@pytest.mark.slow
def test_print_killed_at_random_points_never_leaves_a_pdf_the_store_does_not_know(conf):
    rng = random.Random(SEED)
    for _ in range(KILLS):
        process = child(["print", conf, "--copies", 3], wait=False)
        time.sleep(rng.uniform(0.5, 3.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        recorded = batches(conf)
        assert all(recorded.get(code) == sha for code, sha in pdfs(conf).items())
    result = run("print", conf, "--copies", 1)
    while "Completed the print" in result.output:  # each run completes one interrupted print
        result = run("print", conf, "--copies", 1)
    assert result.exit_code == 0
    assert hidden(conf) == [] and pdfs(conf) == batches(conf)


# ---------------------------------------------------------------------- export --audit


def store_copies(folder) -> list[str]:
    """Files under ``folder`` that are SQLite databases (a copy of a store, secret included)."""
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                if f.read(16) == b"SQLite format 3\x00":
                    found.append(os.path.join(root, name))
    return found


@pytest.mark.slow
def test_an_export_killed_leaves_no_copy_of_the_store_and_nothing_after_the_next(conf, tmp_path):
    """Before, a full copy of the store, secret key included, stayed in the system's temp folder."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "out" / "a.zip"
    killed = child(["export", conf, "--audit", "-o", out], kill_at="zipfile:ZipFile.writestr",
                   env={"TMPDIR": str(temp)})
    assert killed.returncode == -signal.SIGKILL
    assert store_copies(temp) == [] and not out.exists()
    assert child(["export", conf, "--audit", "-o", out], env={"TMPDIR": str(temp)}
                 ).returncode == 0
    assert hidden(out.parent) == [] and zipfile.ZipFile(out).testzip() is None
    assert store_copies(temp) == []


@pytest.mark.slow
def test_an_audit_of_an_archive_killed_leaves_no_store_and_its_folder_goes_next_time(conf,
                                                                                    tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    archive = tmp_path / "a.zip"
    assert run("export", conf, "--audit", "-o", archive).exit_code == 0
    env = {"TMPDIR": str(temp)}
    killed = child(["audit", archive, "--jobs", 1], kill_at="tally.audit:read_pages", env=env)
    assert killed.returncode == -signal.SIGKILL
    assert store_copies(temp) == [] and len(list(temp.iterdir())) == 1  # the scans only
    result = child(["audit", archive, "--jobs", 1], env=env)
    assert result.returncode == 0 and "VERIFIED" in result.stdout
    assert list(temp.iterdir()) == []


@pytest.mark.slow
def test_export_killed_at_random_points_never_leaves_a_partial_archive(conf, tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "out" / "a.zip"
    rng = random.Random(SEED)
    for _ in range(KILLS):
        process = child(["export", conf, "--audit", "-o", out], wait=False,
                        env={"TMPDIR": str(temp)})
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert store_copies(temp) == []
        if out.exists():
            assert zipfile.ZipFile(out).testzip() is None
            out.unlink()
    assert child(["export", conf, "--audit", "-o", out], env={"TMPDIR": str(temp)}
                 ).returncode == 0
    assert hidden(out.parent) == [] and "VERIFIED" in run("audit", out, "--jobs", 1).output


def test_documents_of_a_tally_recorded_by_an_earlier_version_are_still_known(conf, monkeypatch):
    """Tallies recorded before this version hold no document hashes: the minutes and the
    workbook are known by their printed fingerprint, the CSV by the recomputed results."""
    record = Store.record_tally
    monkeypatch.setattr(Store, "record_tally",
                        lambda self, **kw: record(self, **{**kw, "outputs": None}))
    assert run("tally", conf, *TALLY).exit_code == 0
    with Store.open(conf, readonly=True) as store:
        assert store.events()[-1].data["outputs"] == {}
    result = run("audit", conf, "--jobs", 1)
    assert result.exit_code == 0 and "6 documents" in result.output, result.output  # 2 tallies
    (latest(conf) / CSV_FILE).write_text("STT,Họ và tên\n1,made up\n", encoding="utf-8")
    assert run("audit", conf, "--jobs", 1).exit_code == ExitCode.AUDIT
