import dataclasses
import sqlite3
import stat

import pytest

from ballotgen import payload
from ballotgen.errors import ConferenceError, DamagedStoreError, ExitCode
from ballotgen.layout import build_layout
from ballotgen.render import new_batch
from tally.store import MIGRATIONS, STORE_FILE, DecisionError, Store
from tests.helpers import make_conference

# These tests check what the library says, by its English message ids (the Vietnamese
# catalogue is checked by tests/test_translations.py).
pytestmark = pytest.mark.usefixtures("english")


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


def test_a_failed_create_leaves_nothing(tmp_path, conference):
    """Anything going wrong while the new store is filled (here its conference cannot be put
    in words) leaves neither the folder nor its hidden staging folder."""
    class Unwritable(type(conference)):
        def to_json(self) -> str:
            raise ValueError("cannot be written")

    broken = Unwritable(**{f.name: getattr(conference, f.name)
                           for f in dataclasses.fields(conference)})
    with pytest.raises(ValueError, match="cannot be written"):
        Store.create(tmp_path / "conf", broken, payload.new_key())
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
        assert (record.code, record.copies, record.pages, record.serials) == \
            (batch.code, 3, 1, True)
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
    db.execute("""UPDATE events SET data = replace(data, '"copies": 5', '"copies": 50')"""
               " WHERE seq = 3")
    db.commit()
    db.close()
    with Store.open(tmp_path / "conf", readonly=True) as store:
        assert store.verify_chain() == ["event 3 (ballots_printed): its content was changed"]
    with pytest.raises(DamagedStoreError, match=r"the event log is damaged \(event 3 "
                       r"\(ballots_printed\): its content was changed\); nothing was changed"):
        Store.open(tmp_path / "conf")  # for writing: nothing is appended to a broken chain


@pytest.fixture
def store_with_pages(tmp_path, conference):
    """A store with three pages read (readings as values: the store does not look at them)."""
    from omr.reading import PageReading

    store = Store.create(tmp_path / "conf", conference, payload.new_key())
    store.record_scan_file(sha256="a" * 64, name="scan.pdf", size=1, kind="pdf", pages=3,
                           error=None)
    for i in range(3):
        store.record_page("a" * 64, i, "b" * 64, PageReading("blank"))
    yield store
    store.close()


def test_decisions_are_appended_with_their_events_and_never_edited(store_with_pages):
    store = store_with_pages
    ids = store.record_decisions(1, [(None, "genuine", "machine:genuine"),
                                     (2, "invalid", "machine:invalid")], reviewer=" Lan ")
    assert [(d.id, d.ballot, d.person, d.value, d.before, d.reviewer) for d in store.decisions()] \
        == [(ids[0], 1, None, "genuine", "machine:genuine", "Lan"),
            (ids[1], 1, 2, "invalid", "machine:invalid", "Lan")]
    assert [e.kind for e in store.events()[-2:]] == ["decision", "decision"]
    db = sqlite3.connect(store.folder / STORE_FILE)
    for sql in ("UPDATE decisions SET value = 'cao'", "DELETE FROM decisions"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()


@pytest.mark.parametrize("ballot, items, reviewer", [
    (99, [(None, "genuine", "")], "Lan"),  # no such ballot
    (1, [(None, "cao", "")], "Lan"),  # a row's value for the ballot
    (1, [(3, "genuine", "")], "Lan"),  # a ballot's value for a row
    (1, [(3, "cao", ""), (None, "maybe", "")], "Lan"),  # the second is bad: neither is kept
    (1, [(None, "genuine", "")], "   "),  # nobody
])
def test_bad_decisions_are_refused_and_nothing_is_kept(store_with_pages, ballot, items, reviewer):
    """A bad decision is the request's fault (exit code 2), not a damaged folder's."""
    events = len(store_with_pages.events())
    with pytest.raises(DecisionError) as refused:
        store_with_pages.record_decisions(ballot, items, reviewer=reviewer)
    assert refused.value.exit_code == ExitCode.USAGE
    assert store_with_pages.decisions() == [] and len(store_with_pages.events()) == events


def test_a_ballot_is_claimed_by_one_session_at_a_time_and_freed_after_a_while(store_with_pages):
    from tally.store import LOCK_SECONDS

    store = store_with_pages
    assert store.claim([1, 2, 3], session="a", reviewer="Lan", now=0) == 1
    assert store.claim([1, 2, 3], session="b", reviewer="Minh", now=1) == 2
    assert store.lock_holder(1, now=2) == ("a", "Lan")
    assert store.claim([1, 2], session="c", reviewer="Trang", now=2) is None
    assert store.claim([2, 3], session="a", reviewer="Lan", now=3) == 3  # a lets go of 1
    assert store.lock_holder(1, now=3) is None
    store.release("b")
    assert store.claim([2], session="c", reviewer="Trang", now=4) == 2
    assert store.claim([2], session="d", reviewer="Hoa", now=4 + LOCK_SECONDS + 1) == 2  # expired


def _store_of_schema(folder, conference, version_4):
    """A conference store as an older tinnhiem left it: schema 3, or schema 4 of either version
    that numbered its migration 4 ("committee": members and code verification values; "runs":
    scan runs and superseded files, today's 5)."""
    Store.create(folder, conference, payload.new_key()).close()
    db = sqlite3.connect(folder / STORE_FILE, isolation_level=None)
    db.executescript("DROP TABLE set_aside; ALTER TABLE scan_files DROP COLUMN folder;"
                     " DROP TABLE superseded; ALTER TABLE scan_files DROP COLUMN run;"
                     " DROP TABLE code_digests; DROP TABLE members; PRAGMA user_version = 3;")
    if version_4 is not None:
        db.executescript({"committee": MIGRATIONS[3], "runs": MIGRATIONS[4]}[version_4])
        db.execute("PRAGMA user_version = 4")
    db.close()


@pytest.mark.parametrize("version_4", [None, "committee", "runs"])
def test_a_store_of_every_older_schema_is_migrated(tmp_path, conference, version_4):
    folder = tmp_path / "conf"
    _store_of_schema(folder, conference, version_4)
    old = 3 if version_4 is None else 4
    with Store.open(folder, readonly=True) as store:  # migrated in memory, the file untouched
        assert store.members() == [] and store.superseded() == {} and store.code_digests() == set()
        image = store.snapshot()
    with Store.from_image(folder, image) as store:
        assert store.members() == [] and store.superseded() == {}
    db = sqlite3.connect(folder / STORE_FILE)
    assert db.execute("PRAGMA user_version").fetchone() == (old,)
    db.close()
    with Store.open(folder) as store:  # a writer migrates the file
        store.add_members([("Lan", "Trưởng ban", "ab" * 32)])
        store.record_scan_file(sha256="cd" * 32, name="a.pdf", size=1, kind=None, pages=0,
                               error="not a scan", run="r1")
        assert [m.name for m in store.members()] == ["Lan"]
        assert store.scan_files()[0].run == "r1" and store.scan_files()[0].folder is None
        assert store.set_aside() == {}
        assert store.verify_chain() == []
    db = sqlite3.connect(folder / STORE_FILE)
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),) == (6,)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"members", "code_digests", "superseded", "set_aside"} <= tables
    db.close()



def test_an_old_store_opened_by_two_writers_at_once_is_migrated_once(tmp_path, conference,
                                                                      monkeypatch):
    """Two stations (or a scan and the review server) opening one old store at the same time,
    both having read its old schema: each reads it again under the migration lock, so neither
    applies a migration twice."""
    import threading

    import tally.store as store_module

    folder = tmp_path / "conf"
    _store_of_schema(folder, conference, None)
    both_read = threading.Barrier(2, timeout=10)
    schema_version = store_module.schema_version

    def read_then_wait(path, db):
        version = schema_version(path, db)
        if version < len(MIGRATIONS):
            both_read.wait()  # both writers saw schema 3 before either migrates
        return version

    monkeypatch.setattr(store_module, "schema_version", read_then_wait)
    errors = []

    def open_store():
        try:
            Store.open(folder).close()
        except Exception as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    threads = [threading.Thread(target=open_store) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    monkeypatch.undo()
    with Store.open(folder) as store:
        assert store.verify_chain() == [] and store.members() == []
