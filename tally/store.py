"""The conference store: one SQLite file per conference, the only owner of SQL.

A conference folder holds ``conference.sqlite`` (and, later, scanned images named by hash). The
folder is readable by its owner only. The schema evolves through numbered migrations recorded in
``PRAGMA user_version``. Every change is one transaction that also appends to the event log, whose
entries each carry the hash of the one before, so an edit or deletion anywhere breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ballotgen import payload
from ballotgen.conference import Conference
from ballotgen.errors import ConferenceError
from ballotgen.layout import Layout
from ballotgen.render import Batch
from omr.reading import PageReading

STORE_FILE = "conference.sqlite"
SCANS_DIR = "images"  # ingested scan files, named <sha256>.<kind>
GENESIS_HASH = "0" * 64

MIGRATIONS: tuple[str, ...] = (
    # 1: the conference, its secret, printed batches, issued serials, the event log.
    """
    CREATE TABLE conference (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        data TEXT NOT NULL,          -- Conference.to_json()
        secret BLOB NOT NULL         -- HMAC key of the ballot codes; never leaves the store
    );
    CREATE TABLE batches (
        code TEXT PRIMARY KEY,
        printed_at TEXT NOT NULL,
        copies INTEGER NOT NULL CHECK (copies > 0),
        pages INTEGER NOT NULL CHECK (pages > 0),
        serials INTEGER NOT NULL,    -- 1 when every copy has its own serial
        layout_hash TEXT NOT NULL,
        layout TEXT NOT NULL,        -- Layout.to_json(): where the reader finds every box
        pdf_name TEXT NOT NULL,
        pdf_sha256 TEXT NOT NULL
    );
    CREATE TABLE serials (
        serial TEXT PRIMARY KEY,
        batch TEXT NOT NULL REFERENCES batches(code),
        copy INTEGER NOT NULL
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    """,
    # 2: scanned files (kept beside the store by content hash) and one reading per page.
    """
    CREATE TABLE scan_files (
        seq INTEGER PRIMARY KEY,     -- ingestion order: the order of the stack
        sha256 TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,          -- the file's name when it was scanned in
        size INTEGER NOT NULL,
        kind TEXT,                   -- pdf, tiff, jpeg, png; NULL if not a scan
        pages INTEGER NOT NULL,
        error TEXT,                  -- why the file could not be read at all
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,
        file_sha256 TEXT NOT NULL REFERENCES scan_files(sha256),
        page_index INTEGER NOT NULL,
        image_sha256 TEXT,           -- SHA-256 of the decoded grey pixels (NULL: not decodable)
        kind TEXT NOT NULL,          -- ballot, blank, foreign, unreadable
        flagged INTEGER NOT NULL,
        reading TEXT NOT NULL,       -- PageReading.to_json(): every raw score is in it
        read_at TEXT NOT NULL,
        UNIQUE (file_sha256, page_index)
    );
    """,
    # 3: review. Decisions are appended beside the readings, never edited; a ballot is known by
    # the id of its first page. Locks keep two reviewers off the same ballot (not history: they
    # expire and are not in the event log).
    """
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        ballot INTEGER NOT NULL REFERENCES pages(id),
        person INTEGER,              -- NULL: the ballot as a whole
        value TEXT NOT NULL CHECK (
            (person IS NULL AND value IN ('genuine', 'invalid', 'foreign', 'excluded', 'flagged'))
            OR (person IS NOT NULL AND value IN ('cao', 'tin_nhiem', 'thap', 'invalid'))),
        before TEXT NOT NULL,        -- what stood before: the machine's proposal or a decision
        reviewer TEXT NOT NULL CHECK (length(trim(reviewer)) > 0),
        note TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
    CREATE TABLE locks (
        ballot INTEGER PRIMARY KEY REFERENCES pages(id),
        session TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        expires REAL NOT NULL        -- Unix time
    );
    """,
    # 4: the committee, whose members log in with a personal code kept only as its SHA-256; and
    # the public verification value of every ballot code printed, so that an audit archive can
    # check the codes without the key (ballotgen.payload.code_digest).
    """
    CREATE TABLE members (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        code_sha256 TEXT UNIQUE      -- NULL in an audit archive
    );
    CREATE TABLE code_digests (
        digest TEXT PRIMARY KEY,
        batch TEXT NOT NULL REFERENCES batches(code)
    );
    """,
)


@dataclass(frozen=True)
class BatchRecord:
    """A printed batch as recorded in the store."""

    code: str
    printed_at: str
    copies: int
    pages: int
    serials: bool
    layout_hash: str
    pdf_name: str
    pdf_sha256: str


@dataclass(frozen=True)
class ScanFileRecord:
    seq: int
    sha256: str
    name: str
    size: int
    kind: str | None
    pages: int
    error: str | None


_SCAN_FILE_COLUMNS = "seq, sha256, name, size, kind, pages, error"  # ScanFileRecord's fields


@dataclass(frozen=True)
class StoredPage:
    id: int
    file_name: str
    file_sha256: str
    page_index: int
    image_sha256: str | None
    reading: PageReading


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    kind: str
    data: dict
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Decision:
    """A reviewer's resolution of a ballot (``person`` None) or of one person's row on it."""

    id: int
    ballot: int  # id of the ballot's first page
    person: int | None
    value: str
    before: str
    reviewer: str
    note: str
    at: str


_DECISION_COLUMNS = "id, ballot, person, value, before, reviewer, note, at"  # Decision's fields


@dataclass(frozen=True)
class Member:
    """A member of the counting committee, as given to the conference."""

    id: int
    name: str
    role: str
LOCK_SECONDS = 15 * 60  # a ballot opened and left alone is free again after this


def reading_hash(reading: PageReading) -> str:
    """SHA-256 of a reading as stored: the page_read event keeps it, so an edit shows."""
    return hashlib.sha256(reading.to_json().encode("utf-8")).hexdigest()


def event_hash(prev_hash: str, at: str, kind: str, data: str) -> str:
    return hashlib.sha256("\n".join((prev_hash, at, kind, data)).encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """A conference's store. Open with :meth:`open`, create with :meth:`create`."""

    def __init__(self, folder: Path, connection: sqlite3.Connection) -> None:
        self.folder = folder
        self._db = connection

    # ---------------------------------------------------------------- opening and creating

    @classmethod
    def create(cls, folder: Path | str, conference: Conference, secret: bytes) -> Store:
        """Create the conference folder with its store, atomically.

        The store is built in a hidden sibling folder and renamed into place, so an error or a
        crash never leaves a half-made conference behind.

        Raises
        ------
        ConferenceError
            ``folder`` exists and is not empty.
        """
        folder = Path(folder)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise ConferenceError(f"{folder}: already exists and is not empty",
                                  remedy="Choose a new folder for the conference.")
        parent = folder.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=parent))  # mode 0700
        try:
            with cls(staging, _connect(staging / STORE_FILE)) as store, store._transaction() as db:
                db.execute("INSERT INTO conference (id, data, secret) VALUES (1, ?, ?)",
                           (conference.to_json(), secret))
                _append_event(db, "conference_created", {
                    "persons": len(conference.persons), "rules": conference.rules,
                    "date": conference.date.isoformat()})
            if folder.exists():
                folder.rmdir()
            staging.rename(folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.open(folder)

    @classmethod
    def open(cls, folder: Path | str) -> Store:
        folder = Path(folder)
        path = folder / STORE_FILE
        if not path.is_file():
            raise ConferenceError(f"{folder}: not a conference folder (no {STORE_FILE})",
                                  remedy="Create the conference first with 'tinnhiem init'.")
        try:
            db = _connect(path)
            db.execute("SELECT data FROM conference").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ConferenceError(f"{path}: the store cannot be read ({exc})",
                                  remedy="Restore the conference folder from its backup.") from exc
        return cls(folder, db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:  # commits, or rolls back on an exception
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db

    # ---------------------------------------------------------------- the conference

    def conference(self) -> Conference:
        (data,) = self._db.execute("SELECT data FROM conference WHERE id = 1").fetchone()
        return Conference.from_json(data)

    def secret(self) -> bytes:
        """The HMAC key of the conference's ballot codes. Never print or log it."""
        (secret,) = self._db.execute("SELECT secret FROM conference WHERE id = 1").fetchone()
        return bytes(secret)

    # ---------------------------------------------------------------- printed batches

    def record_batch(self, batch: Batch, layout: Layout, *, pdf_name: str, pdf_sha256: str) -> None:
        """Record a print run (and its serials) as issued, in one transaction, with the public
        verification value of every code printed; the event binds them to the log."""
        digests = _code_digests(batch, layout, self.secret())
        with self._transaction() as db:
            db.execute(
                "INSERT INTO batches (code, printed_at, copies, pages, serials, layout_hash, layout,"
                " pdf_name, pdf_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch.code, _now(), batch.copies, len(layout.pages), int(bool(batch.serials)),
                 layout.hash, layout.to_json(), pdf_name, pdf_sha256))
            if batch.serials:
                db.executemany("INSERT INTO serials (serial, batch, copy) VALUES (?, ?, ?)",
                               [(s, batch.code, i + 1) for i, s in enumerate(batch.serials)])
            db.executemany("INSERT INTO code_digests (digest, batch) VALUES (?, ?)",
                           [(d, batch.code) for d in digests])
            _append_event(db, "ballots_printed", {
                "batch": batch.code, "copies": batch.copies, "pages": len(layout.pages),
                "layout_hash": layout.hash, "serials": bool(batch.serials),
                "pdf_sha256": pdf_sha256, "codes_sha256": codes_sha256(digests)})

    def batches(self) -> list[BatchRecord]:
        rows = self._db.execute(
            "SELECT code, printed_at, copies, pages, serials, layout_hash, pdf_name, pdf_sha256"
            " FROM batches ORDER BY printed_at, code").fetchall()
        return [BatchRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in rows]

    def layout(self, layout_hash: str) -> Layout | None:
        """The layout a batch was printed from, by its hash."""
        row = self._db.execute("SELECT layout FROM batches WHERE layout_hash = ? LIMIT 1",
                               (layout_hash,)).fetchone()
        return Layout.from_json(row[0]) if row else None

    def issued_serials(self, batch_code: str) -> set[str]:
        rows = self._db.execute("SELECT serial FROM serials WHERE batch = ?", (batch_code,))
        return {r[0] for r in rows}

    def code_digests(self, batch_code: str | None = None) -> set[str]:
        """The verification values of the codes printed (in batch ``batch_code``, or in all)."""
        rows = self._db.execute("SELECT digest FROM code_digests WHERE ?1 IS NULL OR batch = ?1",
                                (batch_code,))
        return {r[0] for r in rows}

    def seal_for_archive(self) -> None:
        """Make this store (a copy for an audit archive) hold no secret: the key of the ballot
        codes and the members' codes are erased, with no trace left in the file. A batch printed
        before verification values were recorded gets them now, while the key is still here."""
        key = self.secret()
        with self._transaction() as db:
            for batch in self.batches():
                if not db.execute("SELECT 1 FROM code_digests WHERE batch = ?",
                                  (batch.code,)).fetchone():
                    record = Batch(batch.code, batch.copies,
                                   tuple(sorted(self.issued_serials(batch.code))) or None)
                    layout = self.layout(batch.layout_hash)
                    db.executemany("INSERT INTO code_digests (digest, batch) VALUES (?, ?)",
                                   [(d, batch.code) for d in _code_digests(record, layout, key)])
        self._db.execute("PRAGMA secure_delete = ON")  # erased content is overwritten
        with self._transaction() as db:
            db.execute("UPDATE conference SET secret = X''")
            db.execute("UPDATE members SET code_sha256 = NULL")
        self._db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no WAL
        self._db.execute("VACUUM")

    # ---------------------------------------------------------------- the committee

    def add_members(self, members: list[tuple[str, str, str]]) -> list[Member]:
        """Add committee members, each ``(name, role, SHA-256 of their code)``, in one
        transaction.

        Raises
        ------
        ConferenceError
            A name is already a member's. Nothing is recorded then.
        """
        added = []
        with self._transaction() as db:
            for name, role, code_sha256 in members:
                try:
                    cursor = db.execute("INSERT INTO members (name, role, code_sha256) VALUES"
                                        " (?, ?, ?)", (name, role, code_sha256))
                except sqlite3.IntegrityError:
                    raise ConferenceError(f"{name}: already a member of the committee",
                                          remedy="Give each member once.") from None
                added.append(Member(cursor.lastrowid, name, role))
                _append_event(db, "member_added", {"id": cursor.lastrowid, "name": name,
                                                   "role": role})
        return added

    def members(self) -> list[Member]:
        rows = self._db.execute("SELECT id, name, role FROM members ORDER BY id")
        return [Member(*row) for row in rows]

    def member_by_code(self, code_sha256: str) -> Member | None:
        """The member whose code has this SHA-256, or None."""
        row = self._db.execute("SELECT id, name, role FROM members WHERE code_sha256 = ?",
                               (code_sha256,)).fetchone()
        return Member(*row) if row else None

    def member(self, member_id: int) -> Member | None:
        row = self._db.execute("SELECT id, name, role FROM members WHERE id = ?",
                               (member_id,)).fetchone()
        return Member(*row) if row else None

    def replace_member_codes(self, codes: dict[int, str]) -> None:
        """Give members new codes (by id, the SHA-256 of each); the old ones stop working."""
        with self._transaction() as db:
            for member_id, code_sha256 in codes.items():
                db.execute("UPDATE members SET code_sha256 = ? WHERE id = ?",
                           (code_sha256, member_id))
            _append_event(db, "member_codes_issued", {"members": sorted(codes)})

    # ---------------------------------------------------------------- scanned files and pages

    def scan_file(self, sha256: str) -> ScanFileRecord | None:
        row = self._db.execute(f"SELECT {_SCAN_FILE_COLUMNS} FROM scan_files WHERE sha256 = ?",
                               (sha256,)).fetchone()
        return ScanFileRecord(*row) if row else None

    def scan_files(self) -> list[ScanFileRecord]:
        rows = self._db.execute(f"SELECT {_SCAN_FILE_COLUMNS} FROM scan_files ORDER BY seq")
        return [ScanFileRecord(*row) for row in rows]

    def record_scan_file(self, *, sha256: str, name: str, size: int, kind: str | None, pages: int,
                         error: str | None) -> None:
        """Record an ingested file (once: a file already known is left as it is)."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM scan_files WHERE sha256 = ?", (sha256,)).fetchone():
                return
            db.execute("INSERT INTO scan_files (sha256, name, size, kind, pages, error, ingested_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", (sha256, name, size, kind, pages, error, _now()))
            _append_event(db, "file_ingested", {"sha256": sha256, "pages": pages, "kind": kind,
                                                "error": error})

    def pages_read(self, sha256: str) -> set[int]:
        rows = self._db.execute("SELECT page_index FROM pages WHERE file_sha256 = ?", (sha256,))
        return {r[0] for r in rows}

    def record_page(self, sha256: str, page_index: int, image_sha256: str | None,
                    reading: PageReading) -> bool:
        """Store one page's reading in its own transaction; False if it was stored already."""
        with self._transaction() as db:
            try:
                db.execute("INSERT INTO pages (file_sha256, page_index, image_sha256, kind, flagged,"
                           " reading, read_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (sha256, page_index, image_sha256, reading.kind, int(reading.flagged),
                            reading.to_json(), _now()))
            except sqlite3.IntegrityError:
                return False
            _append_event(db, "page_read", {"file": sha256, "page": page_index, "kind": reading.kind,
                                            "image_sha256": image_sha256,
                                            "reading_sha256": reading_hash(reading),
                                            "flags": list(reading.flags)})
        return True

    def page(self, page_id: int) -> StoredPage | None:
        row = self._db.execute(
            "SELECT p.id, f.name, p.file_sha256, p.page_index, p.image_sha256, p.reading"
            " FROM pages p JOIN scan_files f ON f.sha256 = p.file_sha256 WHERE p.id = ?",
            (page_id,)).fetchone()
        return StoredPage(row[0], row[1], row[2], row[3], row[4],
                          PageReading.from_json(row[5])) if row else None

    def pages(self) -> list[StoredPage]:
        """Every page read, in stack order (files in ingestion order, pages in file order)."""
        rows = self._db.execute(
            "SELECT p.id, f.name, p.file_sha256, p.page_index, p.image_sha256, p.reading"
            " FROM pages p JOIN scan_files f ON f.sha256 = p.file_sha256"
            " ORDER BY f.seq, p.page_index")
        return [StoredPage(r[0], r[1], r[2], r[3], r[4], PageReading.from_json(r[5])) for r in rows]

    def scans_folder(self) -> Path:
        """Where ingested files are kept, named by their SHA-256."""
        return self.folder / SCANS_DIR

    def kept_file(self, sha256: str) -> Path | None:
        """The stored copy of an ingested file, or None if the file is unknown."""
        record = self.scan_file(sha256)
        return self.scans_folder() / f"{sha256}.{record.kind or 'bin'}" if record else None

    # ---------------------------------------------------------------- review

    def record_decisions(self, ballot: int, items: list[tuple[int | None, str, str]], *,
                         reviewer: str, note: str = "") -> list[int]:
        """Append decisions on one ballot, each ``(person or None, value, before)``, in one
        transaction with their events. Returns their ids.

        Raises
        ------
        ConferenceError
            ``ballot`` is not the id of a stored page, a value is not a decision, or the
            reviewer has no name. Nothing is recorded then.
        """
        if not reviewer.strip():
            raise ConferenceError(f"ballot {ballot}: a decision needs the reviewer's name")
        at = _now()
        ids = []
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM pages WHERE id = ?", (ballot,)).fetchone():
                raise ConferenceError(f"ballot {ballot}: no such ballot in this conference")
            for person, value, before in items:
                try:
                    cursor = db.execute(
                        "INSERT INTO decisions (ballot, person, value, before, reviewer, note, at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)", (ballot, person, value, before,
                                                          reviewer.strip(), note, at))
                except sqlite3.IntegrityError as exc:
                    raise ConferenceError(f"ballot {ballot}: {value!r} is not a decision for "
                                          f"{'the ballot' if person is None else 'a row'}"
                                          f" ({exc})") from exc
                ids.append(cursor.lastrowid)
                _append_event(db, "decision", {"id": cursor.lastrowid, "ballot": ballot,
                                               "person": person, "value": value, "before": before,
                                               "reviewer": reviewer.strip(), "note": note})
        return ids

    def decisions(self) -> list[Decision]:
        """Every decision, oldest first."""
        rows = self._db.execute(f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY id")
        return [Decision(*row) for row in rows]

    def claim(self, candidates: list[int], *, session: str, reviewer: str,
              now: float) -> int | None:
        """Lock the first of ``candidates`` no other session holds, for ``session``.

        A session holds one ballot at a time: its other locks are released. Done in one
        transaction, so two reviewers asking at once never get the same ballot.
        """
        with self._transaction() as db:
            db.execute("DELETE FROM locks WHERE expires < ? OR session = ?", (now, session))
            held = {r[0] for r in db.execute("SELECT ballot FROM locks")}
            for ballot in candidates:
                if ballot not in held:
                    db.execute("INSERT INTO locks (ballot, session, reviewer, expires)"
                               " VALUES (?, ?, ?, ?)", (ballot, session, reviewer,
                                                         now + LOCK_SECONDS))
                    return ballot
        return None

    def lock_holder(self, ballot: int, *, now: float) -> tuple[str, str] | None:
        """``(session, reviewer)`` holding ``ballot``, or None if it is free."""
        row = self._db.execute("SELECT session, reviewer FROM locks WHERE ballot = ? AND "
                               "expires >= ?", (ballot, now)).fetchone()
        return (row[0], row[1]) if row else None

    def release(self, session: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM locks WHERE session = ?", (session,))

    # ---------------------------------------------------------------- results

    def record_tally(self, *, fingerprint: str, log_head: str, final: bool, received: int,
                     results_sha256: str, attendance: dict[str, int | None],
                     history: dict[int, str] | None = None) -> None:
        """Record that results were produced (the minutes carry ``fingerprint``) with what the
        committee entered for them (attendance; last year's shares as "p/q"), so that an audit
        can recompute them."""
        with self._transaction() as db:
            _append_event(db, "tally_produced", {
                "fingerprint": fingerprint, "log_head": log_head, "final": final,
                "received": received, "results_sha256": results_sha256,
                "attendance": attendance, "history": history or {}})

    def last_attendance(self) -> dict[str, int | None]:
        """The attendance entered at the latest ``tinnhiem tally`` (empty if none yet)."""
        row = self._db.execute("SELECT data FROM events WHERE kind = 'tally_produced'"
                               " ORDER BY seq DESC LIMIT 1").fetchone()
        return json.loads(row[0]).get("attendance", {}) if row else {}

    # ---------------------------------------------------------------- the event log

    def log_head(self) -> str:
        """The hash of the last event (the genesis hash for an empty log)."""
        row = self._db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else GENESIS_HASH

    def events(self) -> list[Event]:
        rows = self._db.execute(
            "SELECT seq, at, kind, data, prev_hash, hash FROM events ORDER BY seq").fetchall()
        return [Event(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in rows]

    def verify_chain(self) -> list[str]:
        """Check the event log's hash chain; return a description of every break (none: [])."""
        problems = []
        prev = GENESIS_HASH
        for seq, at, kind, data, prev_hash, hash_ in self._db.execute(
                "SELECT seq, at, kind, data, prev_hash, hash FROM events ORDER BY seq"):
            if prev_hash != prev:
                problems.append(f"event {seq} ({kind}): does not follow the event before it")
            if event_hash(prev_hash, at, kind, data) != hash_:
                problems.append(f"event {seq} ({kind}): its content was changed")
            prev = hash_
        return problems


def codes_sha256(digests: set[str] | list[str]) -> str:
    """One hash over a batch's code verification values, for its event in the log."""
    return hashlib.sha256("\n".join(sorted(digests)).encode("ascii")).hexdigest()


def _code_digests(batch: Batch, layout: Layout, key: bytes) -> list[str]:
    """The verification value of every code printed in ``batch`` (every page, every serial)."""
    copies = range(batch.copies) if batch.serials else range(1)  # else every copy is the same
    return [payload.code_digest(text) for copy in copies for text in
            batch.qr_texts(layout, key, copy)]


def _connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed, owner-only) and migrate the store at ``path``."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 5000")
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > len(MIGRATIONS):
        raise ConferenceError(f"{path}: made by a newer version of tinnhiem (schema {version})",
                              remedy="Upgrade tinnhiem to open this conference.")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;")
    return db


def _append_event(db: sqlite3.Connection, kind: str, data: dict) -> None:
    """Append to the event log inside the caller's transaction."""
    row = db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS_HASH
    at = _now()
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    db.execute("INSERT INTO events (at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
               (at, kind, text, prev, event_hash(prev, at, kind, text)))
