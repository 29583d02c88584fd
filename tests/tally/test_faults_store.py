"""Faults of the store and of the disk under it (issue 16, rows 3 and 4): a damaged event log is
never appended to and is listed by the audit; an empty or truncated store is refused, never made
anew; a full disk, a read-only medium and a refused permission are told apart, each with its
own exit code and remedy, and none of them is answered with "restore the backup"."""

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from ballotgen.errors import (
    DamagedStoreError,
    DiskFullError,
    ExitCode,
    NoPermissionError,
    ReadOnlyError,
)
from tally.publish import MINUTES_FILE, OUTPUT_DIR
from tally.scan import scan_stack
from tally.store import STORE_FILE, Store, store_failure
from tests.helpers import WORKTREE, latest, run, store_content


@pytest.fixture
def conf(counted, tmp_path):
    copy = tmp_path / "conf"
    shutil.copytree(counted[0], copy)
    return copy


def events_stored(conf) -> int:
    db = sqlite3.connect(f"file:{conf / STORE_FILE}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        db.close()


def flip_event_bytes(conf, seq: int, count: int = 64) -> None:
    """Flip ``count`` bytes of event ``seq``'s data in the store file, as a failing disk would."""
    db = sqlite3.connect(conf / STORE_FILE)
    (data,) = db.execute("SELECT data FROM events WHERE seq = ?", (seq,)).fetchone()
    db.close()
    raw = bytearray((conf / STORE_FILE).read_bytes())
    at = raw.find(data.encode("utf-8"))
    assert at >= 0 and len(data) >= count and not (conf / (STORE_FILE + "-wal")).exists()
    raw[at:at + count] = bytes(b ^ 0xFF for b in raw[at:at + count])
    (conf / STORE_FILE).write_bytes(bytes(raw))


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_damaged_event_log_stops_every_writer_and_the_audit_lists_it(conf, english):
    """64 bytes flipped in an event's data: before, scan and tally exited 0 and appended to the
    broken chain, and audit crashed (exit 70, "Could not decode to UTF-8")."""
    flip_event_bytes(conf, seq=2)
    events = events_stored(conf)
    minutes = sha256(latest(conf) / MINUTES_FILE)
    damage = "event 2 (ballots_printed): its bytes are damaged (not valid text)"

    printed = next(conf.glob("phieu-*.pdf"))  # a file never scanned: a scan would append
    for command in (["scan", conf, printed], ["tally", conf, "--present", 5],
                    ["print", conf, "--copies", 1]):
        result = run(*command)
        assert result.exit_code == ExitCode.AUDIT, result.output
        assert f"the event log is damaged ({damage}); nothing was changed" in result.output
        assert f"tinnhiem audit {conf}" in result.output
    assert events_stored(conf) == events  # nothing appended
    assert sha256(latest(conf) / MINUTES_FILE) == minutes

    result = run("audit", conf, "--jobs", 1)
    assert result.exit_code == ExitCode.AUDIT, result.output
    assert f"event log: {damage}" in result.output and "internal error" not in result.output
    result = run("status", conf)
    assert result.exit_code == ExitCode.AUDIT and "Event log: BROKEN" in result.output


def test_the_event_an_append_follows_is_checked_each_time(conf, english):
    """A long-running writer (the review server) checked the log when it started; an event
    damaged since is found before the next append."""
    with Store.open(conf) as store:
        db = sqlite3.connect(conf / STORE_FILE)
        db.execute("DROP TRIGGER events_no_update")
        db.execute("UPDATE events SET data = replace(data, '\"final\": true', '\"final\": false')"
                   " WHERE seq = (SELECT max(seq) FROM events)")
        db.commit()
        db.close()
        before = events_stored(conf)
        (ballot,) = {p.id for p in store.pages()[:1]}
        with pytest.raises(DamagedStoreError, match="its content was changed"):
            store.record_decisions(ballot, [(None, "genuine", "machine:genuine")], reviewer="Lan")
    assert events_stored(conf) == before


@pytest.mark.parametrize("size, what", [(0, "is empty (0 bytes)"), (0.5, "is truncated")])
def test_an_empty_or_truncated_store_is_refused_never_made_anew(conf, tmp_path, size, what):
    """Before, a 0-byte store was silently made anew, empty, and 'export --audit' packed it."""
    store = conf / STORE_FILE
    os.truncate(store, int(store.stat().st_size * size) // 4096 * 4096)
    length = store.stat().st_size
    for command in (["status", conf], ["scan", conf, next(conf.glob("phieu-*.pdf"))],
                    ["tally", conf], ["audit", conf], ["export", conf, "--audit", "-o",
                                                       tmp_path / "a.zip"]):
        result = run(*command)
        assert result.exit_code == ExitCode.AUDIT, (command, result.output)
        assert f"{store}: {what}" in result.output and "backup" in result.output
    assert store.stat().st_size == length and not (tmp_path / "a.zip").exists()


def test_a_store_killed_while_checkpointing_its_wal_is_not_taken_for_truncated(tmp_path, conf):
    """A writer killed while SQLite copied its -wal into the store leaves page 1 with the new
    page count and the file shorter: the pages after its end are in the -wal, and the store is
    whole. It was refused as truncated, with the backup remedy, after a print killed at random."""
    writer = sqlite3.connect(conf / STORE_FILE, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # every change stays in the -wal
    before = writer.execute("PRAGMA page_count").fetchone()[0]
    writer.execute("CREATE TABLE filler (x BLOB)")  # the store grows by some pages
    writer.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(2000),) for _ in range(40)])
    killed = tmp_path / "killed"
    killed.mkdir(mode=0o700)
    for name in (STORE_FILE, STORE_FILE + "-wal"):  # what the kill left (the -shm is rebuilt)
        shutil.copyfile(conf / name, killed / name)
    writer.close()
    wal = (killed / (STORE_FILE + "-wal")).read_bytes()
    page_size = int.from_bytes(wal[8:12], "big")
    frames = range(32, len(wal), 24 + page_size)
    first = max(f for f in frames if int.from_bytes(wal[f:f + 4], "big") == 1)
    with open(killed / STORE_FILE, "r+b") as f:  # the checkpoint had copied page 1 only
        f.write(wal[first + 24:first + 24 + page_size])
    header = (killed / STORE_FILE).read_bytes()[:100]
    assert int.from_bytes(header[28:32], "big") * page_size > (killed / STORE_FILE).stat().st_size
    assert int.from_bytes(header[28:32], "big") > before
    with Store.open(killed) as store:
        assert store.verify_chain() == [] and store.events()


@contextlib.contextmanager
def mounted(*args):
    """Run the block with a mount made by ``mount *args`` (the last argument is the target)."""
    target = args[-1]
    os.makedirs(target, exist_ok=True)
    try:
        subprocess.run(["mount", *map(str, args)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot mount here (needs root)")
    try:
        yield target
    finally:
        if subprocess.run(["umount", str(target)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(target)], check=True)  # busy: detach it anyway
            raise AssertionError(f"{target} was still in use: a file left open")


def test_a_read_only_conference_is_audited_and_writers_say_it_is_read_only(conf, counted,
                                                                          tmp_path):
    """A conference on a CD or a write-protected share (here a read-only bind mount). Before,
    even status and audit failed, with "restore the conference folder from its backup"."""
    scans = counted[1]
    with mounted("--bind", "-o", "ro", conf, tmp_path / "ro") as ro:
        for command in (["status", ro], ["audit", ro, "--jobs", 1],
                        ["export", ro, "--audit", "-o", tmp_path / "a.zip"]):
            result = run(*command)
            assert result.exit_code == 0, (command, result.output)
        assert "VERIFIED" in run("audit", tmp_path / "a.zip", "--jobs", 1).output
        for command in (["scan", ro, scans / "scan.pdf"], ["tally", ro], ["print", ro,
                                                                       "--copies", 1]):
            result = run(*command)
            assert result.exit_code == ExitCode.READ_ONLY, (command, result.output)
            assert "read-only medium" in result.output and "backup" not in result.output
    assert sorted(p.name for p in conf.iterdir() if p.name.startswith(STORE_FILE)) == [STORE_FILE]


def test_changes_waiting_in_the_wal_on_a_read_only_medium_are_never_silently_ignored(conf,
                                                                                    tmp_path):
    """A copy made after a kill holds a -wal file: it is read, or we say why it cannot be (an
    immutable reader, which writes nothing, would not see it)."""
    code = ("import os, sys; from tally.store import Store; from ballotgen.layout import "
            "build_layout; from ballotgen.render import new_batch; s = Store.open(sys.argv[1]);"
            "s.record_batch(new_batch(1), build_layout(s.conference()), pdf_name='x.pdf',"
            " pdf_sha256='0' * 64); os._exit(0)")  # a write, then a kill: no checkpoint
    subprocess.run([sys.executable, "-c", code, str(conf)], check=True, cwd=WORKTREE)
    assert (conf / (STORE_FILE + "-wal")).stat().st_size > 0
    with mounted("--bind", "-o", "ro", conf, tmp_path / "ro") as ro:
        result = run("status", ro)
    assert result.exit_code == 0 and "Ballots printed: 9" in result.output
    (conf / (STORE_FILE + "-shm")).unlink()
    with mounted("--bind", "-o", "ro", conf, tmp_path / "ro") as ro:
        result = run("status", ro)
    assert result.exit_code == ExitCode.READ_ONLY
    assert "changes not yet merged into it wait in conference.sqlite-wal" in result.output
    assert "Ballots printed: 8" not in result.output


def test_an_immutable_store_is_a_permission_and_a_tally_then_writes_nothing(conf):
    """'chattr +i' on the store: before, tally wrote its minutes, then failed to record them
    (exit 70), leaving minutes the log never knew."""
    shutil.rmtree(conf / OUTPUT_DIR)
    try:
        subprocess.run(["chattr", "+i", str(conf / STORE_FILE)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("chattr is not available here")
    try:
        result = run("tally", conf, "--present", 5)
    finally:
        subprocess.run(["chattr", "-i", str(conf / STORE_FILE)], check=True)
    assert result.exit_code == ExitCode.PERMISSION, result.output
    assert "permission denied" in result.output and "chattr -i" in result.output
    assert "backup" not in result.output
    assert not (conf / OUTPUT_DIR).exists() or not any((conf / OUTPUT_DIR).iterdir())


def test_a_full_disk_during_a_scan_says_so_and_a_rerun_completes_it(counted, tmp_path):
    """A 3 MB disk: before, exit 70, "internal error … report"."""
    _, scans, printed = counted
    reference = tmp_path / "reference"
    shutil.copytree(printed, reference)
    scan_stack(reference, [scans / "scan.pdf"], jobs=1)
    with mounted("-t", "tmpfs", "-o", "size=3m", "tmpfs", tmp_path / "small") as small:
        conf = small / "conf"
        shutil.copytree(printed, conf)
        filler = small / "filler"
        free = shutil.disk_usage(small).free
        filler.write_bytes(b"\0" * max(0, free - (scans / "scan.pdf").stat().st_size // 2))
        result = run("scan", conf, scans / "scan.pdf")
        assert result.exit_code == ExitCode.NO_SPACE, result.output
        assert "the disk is full" in result.output and "internal error" not in result.output
        assert "do not restore a backup" in result.output
        with Store.open(conf, readonly=True) as store:
            assert store.verify_chain() == []
        assert not [p for p in (conf / "images").iterdir() if p.name.startswith(".")]
        filler.unlink()
        result = run("scan", conf, scans / "scan.pdf")
        assert result.exit_code == 0, result.output
        assert store_content(conf)[:2] == store_content(reference)[:2]  # pages and files


def failure(code: int, message: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code
    return exc


def test_sqlite_failures_are_told_apart_by_their_cause(tmp_path):
    path = tmp_path / STORE_FILE
    path.write_bytes(b"")
    assert isinstance(store_failure(path, failure(13, "database or disk is full")), DiskFullError)
    assert isinstance(store_failure(path, failure(11, "database disk image is malformed")),
                      DamagedStoreError)
    assert isinstance(store_failure(path, sqlite3.OperationalError(
        "Could not decode to UTF-8 column 'data' with text '\udcff'")), DamagedStoreError)
    assert store_failure(path, failure(1, "no such table: nothing")) is None  # a bug of ours
    with mounted("--bind", "-o", "ro", tmp_path, tmp_path / "ro") as ro:
        assert isinstance(store_failure(ro / STORE_FILE, failure(8, "readonly database")),
                          ReadOnlyError)
    try:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("chattr is not available here")
    try:
        assert isinstance(store_failure(path, failure(8, "readonly database")),
                          NoPermissionError)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_an_init_killed_half_way_leaves_nothing_after_the_next(tmp_path):
    from tests.helpers import INIT, child

    roster = os.path.join(WORKTREE, "samples", "roster-small.csv")
    mine = tmp_path / ".conf-20261215"  # someone's own folder of a like name: never touched
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    killed = child(["init", tmp_path / "conf", "--roster", roster, *INIT],
                   kill_at="tally.store:event_hash")  # inside the transaction
    assert killed.returncode == -9
    assert len([p for p in tmp_path.iterdir() if p.name.startswith(".conf-")]) == 2
    assert not (tmp_path / "conf").exists()
    assert run("init", tmp_path / "conf", "--roster", roster, *INIT).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".conf-20261215", "conf"]
    assert (mine / "notes.txt").read_text() == "mine"


def test_a_full_disk_while_keeping_a_scan_is_told_apart(counted, tmp_path, monkeypatch):
    """The same, where no small disk can be mounted: a kept copy that meets ENOSPC."""
    import errno

    def full(source, target, length=0):
        target.write(b"\0" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    _, scans, printed = counted
    conf = tmp_path / "conf"
    shutil.copytree(printed, conf)
    monkeypatch.setattr("tally.scan.shutil.copyfileobj", full)
    result = run("scan", conf, scans / "scan.pdf")
    assert result.exit_code == ExitCode.NO_SPACE, result.output
    assert "cannot be written: the disk is full" in result.output
    assert "do not restore a backup" in result.output and "internal error" not in result.output
    assert list((conf / "images").iterdir()) == []  # the partial copy is gone
    with Store.open(conf, readonly=True) as store:
        assert store.scan_files() == [] and store.verify_chain() == []
