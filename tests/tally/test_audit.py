"""tinnhiem audit and the audit archive: an untouched count is verified, a tampered one is not.

The conference (from test_tally): 6 voters with known votes and a foreign sheet, reviewed and
tallied, so the log holds every kind of event.
"""

import json
import shutil
import sqlite3
import zipfile

import pytest

from ballotgen.errors import ExitCode
from tally.archive import MANIFEST
from tally.store import STORE_FILE, Store
from tests.helpers import run


@pytest.fixture
def conf(tallied, tmp_path):
    copy = tmp_path / "conf"
    shutil.copytree(tallied[0], copy)
    return copy


def audit(source, *args):
    return run("audit", source, "--jobs", 1, *args)


def raw(conf):
    """The store as anyone with the file can change it: the append-only triggers dropped."""
    db = sqlite3.connect(conf / STORE_FILE)
    for trigger in ("events_no_update", "events_no_delete", "decisions_no_update",
                    "decisions_no_delete"):
        db.execute(f"DROP TRIGGER {trigger}")
    return db


def test_an_untouched_count_is_verified_with_the_fingerprint_of_its_minutes(tallied):
    conf, fingerprint = tallied
    result = audit(conf, "--fingerprint", fingerprint.lower())
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output and f"Tally {fingerprint} (final): reproduced." in \
        result.output
    # 7 sheets and their blank backs; the committee's 3 decisions (a foreign sheet; a genuine
    # ballot and its blank row)
    assert "14 pages re-read" in result.output and "3 decisions" in result.output


def test_a_fingerprint_no_tally_has_is_a_difference(tallied):
    result = audit(tallied[0], "--fingerprint", "0000-0000-0000-0000")
    assert result.exit_code == ExitCode.AUDIT
    assert "minutes: no tally in the log has this fingerprint" in result.output


def test_an_edited_reading_is_found(conf):
    db = raw(conf)
    (page_id, text), = db.execute("SELECT id, reading FROM pages WHERE kind = 'ballot' "
                                  "ORDER BY id LIMIT 1").fetchall()
    reading = json.loads(text)
    row = reading["rows"][0]
    row["reading"] = "thap" if row["reading"] != "thap" else "cao"  # one vote moved
    with db:
        db.execute("UPDATE pages SET reading = ? WHERE id = ?", (json.dumps(reading), page_id))
    db.close()
    result = audit(conf)
    assert result.exit_code == ExitCode.AUDIT
    assert "the stored reading was changed after it was recorded" in result.output
    assert "row 1: row reading" in result.output  # the image says otherwise
    assert "its results cannot be reproduced" in result.output  # and the minutes do not match


def test_the_differences_are_listed_in_the_users_language(conf):
    """An auditor reading Vietnamese is told what differs in Vietnamese, as the rest of the
    output: no English line among the differences."""
    db = raw(conf)
    with db:
        db.execute("UPDATE decisions SET value = 'thap' WHERE id = (SELECT min(id) FROM "
                   "decisions WHERE person IS NOT NULL)")
    db.close()
    result = run("audit", conf, "--jobs", 1, lang="vi")
    assert result.exit_code == ExitCode.AUDIT, result.output
    assert "đã bị sửa sau khi được ghi" in result.output, result.output  # the decision
    assert "không tính lại được đúng kết quả đã ghi" in result.output  # and the tally
    assert "changed after it was made" not in result.output
    assert "cannot be reproduced" not in result.output


def test_a_deleted_decision_is_found(conf):
    db = raw(conf)
    with db:
        db.execute("DELETE FROM decisions WHERE value = 'foreign'")  # the foreign sheet reopens
    db.close()
    result = audit(conf)
    assert result.exit_code == ExitCode.AUDIT
    assert "but gone from the store" in result.output
    assert "its results cannot be reproduced" in result.output


def test_a_replaced_image_is_found(conf, tmp_path):
    with Store.open(conf) as store:
        kept = store.kept_file(store.scan_files()[0].sha256)
    data = bytearray(kept.read_bytes())
    data[-2000:-1000] = bytes(1000)  # a page quietly altered
    kept.write_bytes(bytes(data))
    result = audit(conf)
    assert result.exit_code == ExitCode.AUDIT
    assert "the kept scan file was replaced" in result.output
    assert "the image of this page is missing" in result.output


def test_an_edited_or_deleted_event_breaks_the_chain(conf):
    db = raw(conf)
    with db:
        db.execute("UPDATE events SET data = replace(data, 'Nguyễn', 'Nguyen') "
                   "WHERE kind = 'decision'")
        db.execute("DELETE FROM events WHERE kind = 'file_ingested'")
    db.close()
    result = audit(conf)
    assert result.exit_code == ExitCode.AUDIT
    assert "its content was changed" in result.output
    assert "does not follow the event before it" in result.output


def test_the_audit_archive_holds_everything_and_is_verified(tallied, tmp_path):
    conf, fingerprint = tallied
    archive = tmp_path / "kiem-tra.zip"
    result = run("export", conf, "--audit", "-o", archive)
    assert result.exit_code == 0, result.output
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read(MANIFEST))
        events = z.read("events.jsonl").decode().splitlines()
    assert {STORE_FILE, "readings.csv", "decisions.csv", "events.jsonl", MANIFEST,
            f"ket-qua/lan-01-chinh-thuc-{fingerprint}/bien-ban-kiem-phieu.pdf",
            f"ket-qua/lan-01-chinh-thuc-{fingerprint}/results.xlsx",
            "ket-qua/BAN-CHINH-THUC.txt"} <= names
    assert any(n.startswith("images/") for n in names)
    assert set(manifest["files"]) == names - {MANIFEST}
    assert json.loads(events[-1])["kind"] == "tally_produced"
    result = audit(archive, "--fingerprint", fingerprint)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output
    # The archive is never overwritten.
    assert run("export", conf, "--audit", "-o", archive).exit_code == ExitCode.OUTPUT


def test_a_tampered_archive_is_found(tallied, tmp_path):
    archive, tampered = tmp_path / "a.zip", tmp_path / "b.zip"
    assert run("export", tallied[0], "--audit", "-o", archive).exit_code == 0
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "readings.csv":
                data = data.replace(b"cao", b"thap", 1)
            dst.writestr(item, data)
        dst.writestr("extra.txt", b"x")
    result = audit(tampered)
    assert result.exit_code == ExitCode.AUDIT
    assert "archive readings.csv: content differs from the manifest" in result.output
    assert "archive extra.txt: an entry the manifest does not list" in result.output


def test_signatures_can_be_masked_in_the_archive_and_it_still_verifies(tallied, tmp_path):
    import cv2
    import numpy as np

    from omr.load import load_page, open_scan

    conf, fingerprint = tallied
    archive = tmp_path / "masked.zip"
    result = run("export", conf, "--audit", "--mask-signatures", "-o", archive)
    assert result.exit_code == 0 and "6 signature areas masked" in result.output, result.output
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert not any(n.startswith("images/") for n in names)  # no original scan
        masked = sorted(n for n in names if n.startswith("masked/"))
        assert len(masked) == 14
        first = masked[0]  # "<file sha>-0.png": the first page, a ballot
        assert first.endswith("-0.png")
        page = cv2.imdecode(np.frombuffer(z.read(first), np.uint8), cv2.IMREAD_GRAYSCALE)
    with Store.open(conf) as store:
        original = load_page(open_scan(store.kept_file(store.scan_files()[0].sha256)), 0).image
    changed = page != original
    ys, xs = np.nonzero(changed)
    assert changed.any() and (page[changed] == 255).all()  # painted white, nothing else touched
    box = (ys.max() - ys.min()) * (xs.max() - xs.min())
    height = page.shape[0]
    # One area: the foot of the sheet below the write-in band, where voters sign (its head if
    # fed upside down); the table and the band above it are untouched.
    assert box < 0.45 * page.size
    assert ys.min() > height / 2 or ys.max() < height / 2
    result = audit(archive, "--fingerprint", fingerprint)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really a zip", b"\x00" * 100])
def test_what_is_not_an_archive_is_refused_by_name(tmp_path, content):
    path = tmp_path / "archive.zip"
    path.write_bytes(content)
    result = audit(path)
    assert result.exit_code == ExitCode.INPUT and "archive.zip" in result.output
    assert audit(tmp_path / "nowhere.zip").exit_code == ExitCode.INPUT
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "a zip of something else")
    result = audit(other)
    assert result.exit_code == ExitCode.INPUT and "no manifest.json" in result.output


def forge_page(conf, path):
    """A page of this conference's batch and layout, signed with another key: a forged ballot."""
    import cv2
    import pypdfium2 as pdfium

    from ballotgen import payload
    from ballotgen.render import Batch, render_pdf
    from tests.helpers import render_grey

    with Store.open(conf) as store:
        record = store.batches()[0]
        layout = store.layout(record.layout_hash)
    pdf = render_pdf(layout, Batch(record.code, 1, None), payload.new_key())
    cv2.imwrite(str(path), render_grey(pdfium.PdfDocument(pdf), 0, 150))
    return path


def rewrite_archive(archive, target, change_store):
    """``archive`` with its store changed by ``change_store(path)`` and the manifest made to
    agree, as someone holding the archive can."""
    import hashlib

    with zipfile.ZipFile(archive) as src:
        entries = {item.filename: src.read(item) for item in src.infolist()}
    store = target.parent / "store.sqlite"
    store.write_bytes(entries[STORE_FILE])
    change_store(store)
    entries[STORE_FILE] = store.read_bytes()
    manifest = json.loads(entries[MANIFEST])
    manifest["files"][STORE_FILE] = hashlib.sha256(entries[STORE_FILE]).hexdigest()
    entries[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
    return target


def test_the_archive_holds_no_key_yet_its_audit_tells_a_forged_page_from_a_ballot(conf, tmp_path):
    from ballotgen import payload
    from tally.scan import scan_stack

    scan_stack(conf, [forge_page(conf, tmp_path / "forged.png")], jobs=1)
    with Store.open(conf) as store:
        key = store.secret()
        forged = store.pages()[-1].reading
    assert forged.kind == "foreign" and "not signed" in forged.reason
    archive = tmp_path / "a.zip"
    assert run("export", conf, "--audit", "-o", archive).exit_code == 0
    with zipfile.ZipFile(archive) as z:
        for item in z.infolist():
            assert key not in z.read(item), item.filename
        (tmp_path / "x").mkdir()
        z.extract(STORE_FILE, tmp_path / "x")
    db = sqlite3.connect(tmp_path / "x" / STORE_FILE)
    assert db.execute("SELECT length(secret) FROM conference").fetchone() == (0,)
    db.close()
    # Without the key, the genuine ballots still verify by their codes' public values and the
    # forged page is still foreign: the archive is verified as it stands.
    result = audit(archive)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output
    assert "15 pages re-read" in result.output

    # Someone holding the archive adds the forged code's value to make it pass for a ballot:
    # the value is not the one printed, and the page no longer reads as it was read.
    import cv2

    from omr.qr import find_code
    text = find_code(cv2.imread(str(tmp_path / "forged.png"), cv2.IMREAD_GRAYSCALE)).text
    with Store.open(conf) as store:
        batch = store.batches()[0].code

    def add_value(path):
        with sqlite3.connect(path) as db:
            db.execute("INSERT INTO code_digests VALUES (?, ?)", (payload.code_digest(text), batch))

    tampered = rewrite_archive(archive, tmp_path / "b.zip", add_value)
    result = audit(tampered)
    assert result.exit_code == ExitCode.AUDIT, result.output
    assert f"batch {batch}: the verification values of its ballot codes" in result.output
    assert "forged.png page 1: kind: stored 'foreign', now 'ballot'" in result.output
