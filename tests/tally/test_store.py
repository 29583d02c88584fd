import sqlite3
import stat

import pytest

from ballotgen import payload
from ballotgen.errors import ConferenceError
from ballotgen.layout import build_layout
from ballotgen.render import new_batch
from tally.store import MIGRATIONS, STORE_FILE, Store
from tests.conftest import make_conference


@pytest.fixture
def conference(small_persons):
    return make_conference(small_persons)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_create_and_open(tmp_path, conference):
    key = payload.new_key()
    Store.create(tmp_path / "conf", conference, key).close()
    with Store.open(tmp_path / "conf") as store:
        assert store.conference() == conference
        assert store.secret() == key
        assert [e.kind for e in store.events()] == ["conference_created"]
        assert store.verify_chain() == []


def test_files_are_readable_by_the_owner_only(tmp_path, conference):
    Store.create(tmp_path / "conf", conference, payload.new_key()).close()
    assert mode(tmp_path / "conf") == 0o700
    assert mode(tmp_path / "conf" / STORE_FILE) == 0o600


def test_an_existing_folder_is_refused_and_left_alone(tmp_path, conference):
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(ConferenceError, match="already exists"):
        Store.create(folder, conference, payload.new_key())
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_an_empty_folder_may_be_used(tmp_path, conference):
    (tmp_path / "conf").mkdir()
    Store.create(tmp_path / "conf", conference, payload.new_key()).close()
    assert (tmp_path / "conf" / STORE_FILE).is_file()


def test_a_failed_create_leaves_nothing(tmp_path, conference, monkeypatch):
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("tally.store._append_event", broken)
    with pytest.raises(sqlite3.OperationalError):
        Store.create(tmp_path / "conf", conference, payload.new_key())
    assert list(tmp_path.iterdir()) == []


def test_not_a_conference_folder(tmp_path):
    with pytest.raises(ConferenceError, match="not a conference folder"):
        Store.open(tmp_path)


def test_a_damaged_store_is_reported(tmp_path):
    (tmp_path / STORE_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConferenceError, match="cannot be read"):
        Store.open(tmp_path)


def test_a_store_of_a_newer_version_is_refused(tmp_path, conference):
    Store.create(tmp_path / "conf", conference, payload.new_key()).close()
    db = sqlite3.connect(tmp_path / "conf" / STORE_FILE)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(ConferenceError, match="newer version"):
        Store.open(tmp_path / "conf")


def test_batches_and_serials_are_recorded_with_an_event(tmp_path, conference):
    layout = build_layout(conference)
    batch = new_batch(3, serials=True)
    with Store.create(tmp_path / "conf", conference, payload.new_key()) as store:
        store.record_batch(batch, layout, pdf_name="phieu.pdf", pdf_sha256="ab" * 32)
        (record,) = store.batches()
        assert (record.code, record.copies, record.pages, record.serials) == (batch.code, 3, 1, True)
        assert store.issued_serials(batch.code) == set(batch.serials)
        assert store.layout(layout.hash) == layout
        assert store.layout("AAAAAAAAAA") is None
        assert [e.kind for e in store.events()] == ["conference_created", "ballots_printed"]
        assert store.events()[1].data["batch"] == batch.code
        assert store.verify_chain() == []


def test_the_event_log_refuses_edits_and_tampering_breaks_the_chain(tmp_path, conference):
    layout = build_layout(conference)
    with Store.create(tmp_path / "conf", conference, payload.new_key()) as store:
        store.record_batch(new_batch(2), layout, pdf_name="a.pdf", pdf_sha256="00" * 32)
        store.record_batch(new_batch(5), layout, pdf_name="b.pdf", pdf_sha256="11" * 32)
    db = sqlite3.connect(tmp_path / "conf" / STORE_FILE)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE events SET data = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM events WHERE seq = 2")
    # Someone with the SQLite shell drops the guard and rewrites history:
    db.execute("DROP TRIGGER events_no_update")
    db.execute("""UPDATE events SET data = replace(data, '"copies": 5', '"copies": 50') WHERE seq = 3""")
    db.commit()
    db.close()
    with Store.open(tmp_path / "conf") as store:
        assert store.verify_chain() == ["event 3 (ballots_printed): its content was changed"]
