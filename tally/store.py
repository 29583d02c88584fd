"""The conference store: one SQLite file per conference, the only owner of SQL.

A conference folder holds ``conference.sqlite`` and, once scans are read, ``images/`` (every
scan file ingested, named by its SHA-256); the commands add the printed PDFs, ``ket-qua/`` (the
minutes and spreadsheets), ``review-cache/`` (the review page's images, made again when deleted)
and the exports. The folder is readable by its owner only. The schema evolves through numbered
migrations recorded in ``PRAGMA user_version``. Every change is one transaction that also appends
to the event log, whose entries each carry the hash of the one before, so an edit or deletion
anywhere breaks the chain.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ballotgen import payload
from ballotgen.conference import Conference
from ballotgen.errors import (
    ConferenceError,
    DamagedStoreError,
    DiskFullError,
    NoPermissionError,
    ReadOnlyError,
    RequestError,
    TinnhiemError,
)
from ballotgen.i18n import N_, _
from ballotgen.layout import Layout
from ballotgen.render import Batch
from ballotgen.vocabulary import BallotChoice, RowChoice, SetAsideHow
from omr.reading import PageReading
from tally.files import REMEDY_NO_SPACE, REMEDY_READ_ONLY, free_space, new_locked_folder, os_failure

STORE_FILE = "conference.sqlite"
STORE_FILES = frozenset(STORE_FILE + suffix for suffix in ("", "-wal", "-shm", "-journal"))
SCANS_DIR = "images"  # ingested scan files, named <sha256>.<kind>
GENESIS_HASH = "0" * 64


def _sql_values(vocabulary: type[StrEnum]) -> str:
    """The values of a vocabulary as an SQL list: ``'genuine', 'invalid', …``."""
    return ", ".join(f"'{member.value}'" for member in vocabulary)


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
    # expire and are not in the event log). The values a decision may take are the vocabularies'
    # (ballotgen.vocabulary); a value added to them needs a migration of its own, since stores
    # made before keep the CHECK they were made with.
    f"""
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        ballot INTEGER NOT NULL REFERENCES pages(id),
        person INTEGER,              -- NULL: the ballot as a whole
        value TEXT NOT NULL CHECK (
            (person IS NULL AND value IN ({_sql_values(BallotChoice)}))
            OR (person IS NOT NULL AND value IN ({_sql_values(RowChoice)}))),
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
    # 5: a scan run (one station's 'tinnhiem scan') per file, so that two stations scanning at
    # once do not interleave each other's ballots; and files superseded by their complete
    # version (a scan read while the scanner was still writing it counts once, complete).
    """
    ALTER TABLE scan_files ADD COLUMN run TEXT;  -- NULL: ingested before runs were recorded
    CREATE TABLE superseded (
        file TEXT PRIMARY KEY REFERENCES scan_files(sha256),  -- an incomplete file …
        by_file TEXT NOT NULL REFERENCES scan_files(sha256),  -- … and its complete version
        at TEXT NOT NULL
    );
    """,
    # 6: where each file was found (two files both named scan.pdf are told apart by their
    # folder, time and hash), and files set aside as a whole: refused by the scan (most of its
    # pages are another conference's ballots) or withdrawn by the committee (a wrong file). A
    # file set aside stays recorded and in the log and the archive; its pages no longer count.
    f"""
    ALTER TABLE scan_files ADD COLUMN folder TEXT;  -- NULL: ingested before folders were kept
    CREATE TABLE set_aside (
        file TEXT PRIMARY KEY REFERENCES scan_files(sha256),
        how TEXT NOT NULL CHECK (how IN ({_sql_values(SetAsideHow)})),
        reason TEXT NOT NULL,
        by_whom TEXT NOT NULL CHECK (length(trim(by_whom)) > 0),
        at TEXT NOT NULL
    );
    """,
)


@dataclass(frozen=True)
class SetAside:
    """A file set aside as a whole: its pages no longer count."""

    file: str  # SHA-256
    how: SetAsideHow
    reason: str
    by: str  # who: the scan (refused), or the member or clerk who withdrew it
    at: str


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
    run: str | None = None  # the scan run that ingested it (None: before runs were recorded)
    ingested_at: str = ""
    folder: str | None = None  # the folder it was found in (None: before folders were kept)

    @property
    def short_hash(self) -> str:
        return self.sha256[:SHORT_HASH]

    @property
    def label(self) -> str:
        """The file as people tell it from another of the same name: folder, name, when it was
        scanned in and the start of its hash."""
        where = f"{self.folder.rstrip('/')}/{self.name}" if self.folder else self.name
        when = self.ingested_at[:16].replace("T", " ")
        return f"{where} ({when}, #{self.short_hash})" if when else f"{where} (#{self.short_hash})"


SHORT_HASH = 8  # hex digits of a file's SHA-256 shown to tell files apart
_SCAN_FILE_COLUMNS = ("seq, sha256, name, size, kind, pages, error, run, ingested_at,"
                      " folder")  # ScanFileRecord's fields
_PAGE_COLUMNS = ("p.id, f.name, p.file_sha256, p.page_index, p.image_sha256,"
                 " CAST(p.reading AS BLOB)")  # StoredPage's fields; the reading decoded by us


@dataclass(frozen=True)
class StoredPage:
    id: int
    file_name: str
    file_sha256: str
    page_index: int
    image_sha256: str | None
    reading: PageReading


class EventKind(StrEnum):
    """What an event of the log records (``events.kind``)."""

    CONFERENCE_CREATED = "conference_created"
    BALLOTS_PRINTED = "ballots_printed"
    MEMBER_ADDED = "member_added"
    MEMBER_CODES_ISSUED = "member_codes_issued"
    FILE_INGESTED = "file_ingested"
    FILE_SUPERSEDED = "file_superseded"
    FILE_SET_ASIDE = "file_set_aside"  # refused by the scan, or withdrawn: its pages do not count
    PAGE_READ = "page_read"
    DECISION = "decision"
    TALLY_PRODUCED = "tally_produced"


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    kind: str  # an EventKind's value (or whatever a damaged event holds)
    data: dict  # {} when damaged
    prev_hash: str
    hash: str
    damaged: bool = False  # its bytes are not valid text or its data not a JSON object


@dataclass(frozen=True)
class Decision:
    """A reviewer's resolution of a ballot (``person`` None) or of one person's row on it."""

    id: int
    ballot: int  # id of the ballot's first page
    person: int | None
    value: BallotChoice | RowChoice  # a BallotChoice on the ballot, a RowChoice on a row
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
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
            raise ConferenceError(_("{folder}: already exists and is not empty").format(
                                      folder=folder),
                                  remedy=_("Choose a new folder for the conference."))
        parent = folder.resolve().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            # A hidden staging folder that a killed 'init' left is removed by the next one.
            with new_locked_folder(f".{folder.name}-", parent=parent,
                                   holds_only=STORE_FILES) as staging:
                try:
                    cls._fill(staging, conference, secret)
                    if folder.exists():
                        folder.rmdir()
                    staging.rename(folder)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
        except OSError as exc:
            raise os_failure(folder, exc) from exc
        return cls.open(folder)

    @classmethod
    def _fill(cls, staging: Path, conference: Conference, secret: bytes) -> None:
        with cls(staging, _create(staging / STORE_FILE)) as store, store._transaction() as db:
            db.execute("INSERT INTO conference (id, data, secret) VALUES (1, ?, ?)",
                       (conference.to_json(), secret))
            _append_event(db, EventKind.CONFERENCE_CREATED, {
                "persons": len(conference.persons), "rules": conference.rules,
                "date": conference.date.isoformat(), "stamp": conference.stamp})

    @classmethod
    def open(cls, folder: Path | str, *, readonly: bool = False, check_log: bool = True) -> Store:
        """Open the conference in ``folder``.

        A store is never made here: a missing, empty, truncated or foreign file is refused. With
        ``readonly`` (``status``, ``audit``, ``export``) nothing is written beside the store, and a
        folder on a read-only medium is read as immutable; an older schema is migrated in memory.
        Otherwise the store must be writable (checked now, before any work) and, with
        ``check_log``, its whole event log must verify: a damaged log is never appended to.

        Raises
        ------
        ConferenceError, DamagedStoreError, ReadOnlyError, NoPermissionError, DiskFullError
        """
        folder = Path(folder)
        path = folder / STORE_FILE
        _check_store_file(folder, path)
        db = _open_read_only(path) if readonly else _open_for_writing(path)
        try:
            version = schema_version(path, db)
            if readonly and version < len(MIGRATIONS):
                db = _migrated_in_memory(db, version)
            elif not readonly:
                _migrate(db, version, path)
                _probe_writing(db)
            store = cls(folder, db)
            store._check_conference()
            if check_log and not readonly:
                store._refuse_damaged_log()
        except BaseException:
            db.close()
            raise
        return store

    @classmethod
    def from_image(cls, folder: Path | str, image: bytes) -> Store:
        """A read-only store held in memory from the bytes of a store file (an archive's copy):
        no copy of it is written anywhere. ``folder`` is where its images are."""
        folder = Path(folder)
        path = folder / STORE_FILE
        if not image.startswith(SQLITE_HEADER):
            raise DamagedStoreError(_("{path}: cannot be read as a store: it is not a "
                                      "SQLite database").format(path=path),
                                    remedy=_(REMEDY_RESTORE))
        db = _memory_connection(path)
        data = bytearray(image)
        data[WAL_HEADER_BYTES] = ROLLBACK_FORMAT  # a WAL store's image, read without its WAL
        try:
            db.deserialize(bytes(data))
            version = schema_version(path, db)
            _migrate(db, version)
            store = cls(folder, db)
            store._check_conference()
        except BaseException:
            db.close()
            raise
        return store

    def _check_conference(self) -> None:
        if self._db.execute("SELECT count(*) FROM conference").fetchone()[0] != 1:
            raise DamagedStoreError(_("{path}: holds no conference (its record is "
                                      "missing)").format(path=self.path),
                                    remedy=_(REMEDY_RESTORE))

    def _refuse_damaged_log(self) -> None:
        problems = self.verify_chain()
        if problems:
            more = _(" and {n} more").format(n=len(problems) - 1) if len(problems) > 1 else ""
            raise DamagedStoreError(_("{path}: the event log is damaged "
                                      "({problem}{more}); nothing was changed").format(
                                        path=self.path, problem=problems[0], more=more),
                                    remedy=remedy_damaged_log(self.folder))

    @property
    def path(self) -> Path:
        return self.folder / STORE_FILE

    def snapshot(self) -> bytes:
        """A consistent copy of the whole store as the bytes of a store file, made in memory."""
        return self._copy_in_memory(sealed=False)

    def sealed_snapshot(self) -> bytes:
        """:meth:`snapshot` for an audit archive: the copy, made and sealed in memory
        (:meth:`seal_for_archive`), holds neither the key that signs ballot codes nor the
        members' codes. This store is not changed, and no copy is written anywhere."""
        return self._copy_in_memory(sealed=True)

    def _copy_in_memory(self, *, sealed: bool) -> bytes:
        memory = _memory_connection(self.path)
        try:
            self._db.backup(memory)
            if sealed:
                Store(self.folder, memory).seal_for_archive()
            return memory.serialize()
        except sqlite3.Error as exc:
            failure = store_failure(self.path, exc)
            if failure is None:
                raise
            raise failure from exc
        finally:
            memory.close()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._db:  # commits, or rolls back on an exception
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
        except sqlite3.Error as exc:  # at COMMIT: a full disk shows here
            failure = store_failure(self.path, exc)
            if failure is None:
                raise
            raise failure from exc

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
                "INSERT INTO batches (code, printed_at, copies, pages, serials, layout_hash,"
                " layout, pdf_name, pdf_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch.code, _now(), batch.copies, len(layout.pages), int(bool(batch.serials)),
                 layout.hash, layout.to_json(), pdf_name, pdf_sha256))
            if batch.serials:
                db.executemany("INSERT INTO serials (serial, batch, copy) VALUES (?, ?, ?)",
                               [(s, batch.code, i + 1) for i, s in enumerate(batch.serials)])
            db.executemany("INSERT INTO code_digests (digest, batch) VALUES (?, ?)",
                           [(d, batch.code) for d in digests])
            _append_event(db, EventKind.BALLOTS_PRINTED, {
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
        return {r[0] for r in rows.fetchall()}

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
                    assert layout is not None  # recorded with its batch
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
        RequestError
            A name is already a member's. Nothing is recorded then.
        """
        added = []
        with self._transaction() as db:
            for name, role, code_sha256 in members:
                try:
                    cursor = db.execute("INSERT INTO members (name, role, code_sha256) VALUES"
                                        " (?, ?, ?)", (name, role, code_sha256))
                except sqlite3.IntegrityError:
                    raise RequestError(_("{name}: already a member of the committee").format(
                                           name=name),
                                       remedy=_("Give each member once.")) from None
                assert cursor.lastrowid is not None  # a row was inserted
                added.append(Member(cursor.lastrowid, name, role))
                _append_event(db, EventKind.MEMBER_ADDED, {"id": cursor.lastrowid, "name": name,
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
            _append_event(db, EventKind.MEMBER_CODES_ISSUED, {"members": sorted(codes)})

    # ---------------------------------------------------------------- scanned files and pages

    def scan_file(self, sha256: str) -> ScanFileRecord | None:
        row = self._db.execute(f"SELECT {_SCAN_FILE_COLUMNS} FROM scan_files WHERE sha256 = ?",
                               (sha256,)).fetchone()
        return ScanFileRecord(*row) if row else None

    def scan_files_named(self, name: str) -> list[ScanFileRecord]:
        """The files ingested under the file name ``name``, oldest first."""
        rows = self._db.execute(f"SELECT {_SCAN_FILE_COLUMNS} FROM scan_files WHERE name = ?"
                                " ORDER BY seq", (name,))
        return [ScanFileRecord(*row) for row in rows.fetchall()]

    def scan_files(self) -> list[ScanFileRecord]:
        rows = self._db.execute(f"SELECT {_SCAN_FILE_COLUMNS} FROM scan_files ORDER BY seq")
        return [ScanFileRecord(*row) for row in rows.fetchall()]

    def record_scan_file(self, *, sha256: str, name: str, size: int, kind: str | None, pages: int,
                         error: str | None, run: str | None = None,
                         folder: str | None = None) -> None:
        """Record an ingested file (once: a file already known is left as it is), as part of
        the scan ``run`` that found it in ``folder``."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM scan_files WHERE sha256 = ?", (sha256,)).fetchone():
                return
            db.execute("INSERT INTO scan_files (sha256, name, size, kind, pages, error,"
                       " ingested_at, run, folder) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (sha256, name, size, kind, pages, error, _now(), run, folder))
            # Like the order of ingestion, the run is not logged (a scan run again after a kill
            # is another run); an audit sees any change to either in the tallies it recomputes.
            _append_event(db, EventKind.FILE_INGESTED, {"sha256": sha256, "pages": pages,
                                                        "kind": kind, "error": error})

    def record_superseded(self, incomplete: str, complete: str) -> bool:
        """Record that the file ``incomplete`` was the start of ``complete``, read while the
        scanner was still writing it: its pages no longer count. False if known already."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM superseded WHERE file = ?", (incomplete,)).fetchone():
                return False
            db.execute("INSERT INTO superseded (file, by_file, at) VALUES (?, ?, ?)",
                       (incomplete, complete, _now()))
            _append_event(db, EventKind.FILE_SUPERSEDED, {"file": incomplete, "by": complete})
        return True

    def superseded(self) -> dict[str, str]:
        """Incomplete files and the complete versions that replace them, by SHA-256."""
        rows = self._db.execute("SELECT file, by_file FROM superseded").fetchall()
        return dict(rows)

    def record_set_aside(self, file: str, how: SetAsideHow, *, reason: str, by: str) -> bool:
        """Set the ingested ``file`` (SHA-256) aside as a whole, ``how``, saying why and who:
        its pages no longer count. False if it was set aside already (the first stands)."""
        if not reason.strip() or not by.strip():
            raise RequestError(_("a file is set aside with a reason and by someone"),
                               remedy=_("Say why, and who withdraws it."))
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM scan_files WHERE sha256 = ?", (file,)).fetchone():
                raise RequestError(_("file {hash}… was never scanned in").format(
                                       hash=file[:SHORT_HASH]),
                                   remedy=_("tinnhiem status lists the files scanned in."))
            if db.execute("SELECT 1 FROM set_aside WHERE file = ?", (file,)).fetchone():
                return False
            db.execute("INSERT INTO set_aside (file, how, reason, by_whom, at)"
                       " VALUES (?, ?, ?, ?, ?)", (file, how, reason, by, _now()))
            _append_event(db, EventKind.FILE_SET_ASIDE, {"file": file, "how": how,
                                                         "reason": reason, "by": by})
        return True

    def set_aside(self) -> dict[str, SetAside]:
        """The files set aside, by SHA-256."""
        rows = self._db.execute("SELECT file, how, reason, by_whom, at FROM set_aside")
        return {r[0]: SetAside(r[0], SetAsideHow(r[1]), r[2], r[3], r[4])
                for r in rows.fetchall()}

    def pages_read(self, sha256: str) -> set[int]:
        rows = self._db.execute("SELECT page_index FROM pages WHERE file_sha256 = ?", (sha256,))
        return {r[0] for r in rows.fetchall()}

    def record_page(self, sha256: str, page_index: int, image_sha256: str | None,
                    reading: PageReading) -> bool:
        """Store one page's reading in its own transaction; False if it was stored already."""
        with self._transaction() as db:
            try:
                db.execute("INSERT INTO pages (file_sha256, page_index, image_sha256, kind,"
                           " flagged, reading, read_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (sha256, page_index, image_sha256, reading.kind, int(reading.flagged),
                            reading.to_json(), _now()))
            except sqlite3.IntegrityError:
                return False
            _append_event(db, EventKind.PAGE_READ, {
                "file": sha256, "page": page_index, "kind": reading.kind,
                "image_sha256": image_sha256, "reading_sha256": reading_hash(reading),
                "flags": list(reading.flags)})
        return True

    def page(self, page_id: int) -> StoredPage | None:
        row = self._db.execute(f"SELECT {_PAGE_COLUMNS} FROM pages p JOIN scan_files f"
                               " ON f.sha256 = p.file_sha256 WHERE p.id = ?", (page_id,)).fetchone()
        return self._stored_page(row) if row else None

    def pages(self, *, superseded: bool = False,
              damaged: list[tuple[str, str]] | None = None) -> list[StoredPage]:
        """Every page read, in stack order: the files of one scan run together in the order it
        ingested them (runs in the order of their first file), pages in file order.

        Pages of files superseded by their complete version, and of files set aside (refused
        or withdrawn), are left out, unless ``superseded``. A reading that cannot be decoded
        raises DamagedStoreError, or, when ``damaged`` is given, is left out and listed there
        as ``(where, what)``.
        """
        only_current = "" if superseded else \
            " WHERE f.sha256 NOT IN (SELECT file FROM superseded)" \
            " AND f.sha256 NOT IN (SELECT file FROM set_aside)"
        rows = self._db.execute(
            f"SELECT {_PAGE_COLUMNS} FROM pages p JOIN scan_files f ON f.sha256 = p.file_sha256"
            " LEFT JOIN (SELECT run, min(seq) AS start FROM scan_files WHERE run IS NOT NULL"
            "            GROUP BY run) r ON r.run = f.run"
            f"{only_current} ORDER BY coalesce(r.start, f.seq), f.seq, p.page_index").fetchall()
        pages = []
        for row in rows:
            try:
                pages.append(self._stored_page(row))
            except DamagedStoreError as exc:
                if damaged is None:
                    raise
                damaged.append((_("{file} page {page}").format(file=row[1], page=row[3] + 1),
                                exc.message.split(": ", 1)[-1]))
        return pages

    def _stored_page(self, row: tuple) -> StoredPage:
        page_id, name, sha, index, image_sha, reading = row
        try:
            decoded = PageReading.from_json(reading.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise DamagedStoreError(_("{path}: the stored reading of {name} page "
                                      "{page} is damaged ({error})").format(
                                        path=self.path, name=name, page=index + 1,
                                        error=type(exc).__name__),
                                    remedy=_(REMEDY_RESTORE)) from exc
        return StoredPage(page_id, name, sha, index, image_sha, decoded)

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
        DecisionError
            ``ballot`` is not the id of a stored page, a value is not a decision, or the
            reviewer has no name. Nothing is recorded then.
        """
        if not reviewer.strip():
            raise DecisionError(_("ballot {ballot}: a decision needs the reviewer's name").format(
                                    ballot=ballot))
        at = _now()
        ids = []
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM pages WHERE id = ?", (ballot,)).fetchone():
                raise DecisionError(_("ballot {ballot}: no such ballot in this "
                                      "conference").format(ballot=ballot))
            for person, value, before in items:
                try:
                    cursor = db.execute(
                        "INSERT INTO decisions (ballot, person, value, before, reviewer, note, at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)", (ballot, person, value, before,
                                                          reviewer.strip(), note, at))
                except sqlite3.IntegrityError as exc:
                    raise DecisionError(_("ballot {ballot}: {value!r} is not a decision "
                                          "for {what} ({exc})").format(
                                            ballot=ballot, value=value, exc=exc,
                                            what=_("the ballot") if person is None
                                            else _("a row"))) from exc
                assert cursor.lastrowid is not None  # a row was inserted
                ids.append(cursor.lastrowid)
                _append_event(db, EventKind.DECISION, {"id": cursor.lastrowid, "ballot": ballot,
                                               "person": person, "value": value, "before": before,
                                               "reviewer": reviewer.strip(), "note": note})
        return ids

    def decisions(self) -> list[Decision]:
        """Every decision, oldest first.

        Raises
        ------
        DamagedStoreError
            A stored value is not a decision (the store's own check was defeated).
        """
        rows = self._db.execute(f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY id")
        return [self._decision(*row) for row in rows.fetchall()]

    def _decision(self, id_: int, ballot: int, person: int | None, value: str,
                  *rest: str) -> Decision:
        try:
            typed = BallotChoice(value) if person is None else RowChoice(value)
        except ValueError:
            raise DamagedStoreError(_("{path}: decision {id} holds {value!r}, which is "
                                      "not a decision").format(path=self.path, id=id_,
                                                               value=value),
                                    remedy=_(REMEDY_RESTORE)) from None
        return Decision(id_, ballot, person, typed, *rest)

    def claim(self, candidates: list[int], *, session: str, reviewer: str,
              now: float) -> int | None:
        """Lock the first of ``candidates`` that no other member holds, for the member whose
        lock key is ``session`` (``tally.review.app.lock_owner``: one per member, whichever
        browser they use) and whose name is ``reviewer`` (shown to the others).

        A lock belongs to the member, not to a browser session: their own lock, from another
        window, is theirs to take again (and every lock is released when the review server
        starts). A member holds one ballot at a time: their other locks are released. Done in
        one transaction, so two members asking at once never get the same ballot.
        """
        with self._transaction() as db:
            db.execute("DELETE FROM locks WHERE expires < ? OR session = ?", (now, session))
            held = {r[0] for r in db.execute("SELECT ballot FROM locks").fetchall()}
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

    def release_all_locks(self) -> int:
        """Free every ballot: when the review server starts, no session of before is alive.
        Returns how many locks there were."""
        with self._transaction() as db:
            return db.execute("DELETE FROM locks").rowcount

    # ---------------------------------------------------------------- results

    def record_tally(self, *, fingerprint: str, log_head: str, final: bool, received: int,
                     results_sha256: str, attendance: dict[str, int | None],
                     history: dict[int, str] | None = None,
                     outputs: dict[str, str] | None = None, extra: dict | None = None) -> None:
        """Record that results were produced (the minutes carry ``fingerprint``) with what the
        committee entered for them (attendance; last year's shares as "p/q") and the SHA-256 of
        each document written for them (``outputs``, by file name), so that an audit can
        recompute them and recognise their documents. ``extra`` adds to the event what later
        versions record (the version of the count, the tally's number and folder…).

        Raises
        ------
        LogMovedError
            Something was recorded since ``log_head`` (a scan, a decision): the results
            counted are no longer those of the log, and nothing is recorded.
        """
        with self._transaction() as db:
            row = db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            if (row[0] if row else GENESIS_HASH) != log_head:
                raise LogMovedError(_("{path}: something was recorded while the count "
                                      "was being made").format(path=self.path),
                                    remedy=_("Run the command again."))
            _append_event(db, EventKind.TALLY_PRODUCED, {
                "fingerprint": fingerprint, "log_head": log_head, "final": final,
                "received": received, "results_sha256": results_sha256,
                "attendance": attendance, "history": history or {}, "outputs": outputs or {},
                **(extra or {})})

    def last_attendance(self) -> dict[str, int | None]:
        """The attendance entered at the latest ``tinnhiem tally`` (empty if none yet)."""
        row = self._db.execute("SELECT data FROM events WHERE kind = ? ORDER BY seq DESC LIMIT 1",
                               (EventKind.TALLY_PRODUCED,)).fetchone()
        try:
            return json.loads(row[0]).get("attendance", {}) if row else {}
        except (ValueError, AttributeError) as exc:
            raise DamagedStoreError(_("{path}: the event log is damaged (the latest "
                                      "tally)").format(path=self.path),
                                    remedy=remedy_damaged_log(self.folder)) from exc

    # ---------------------------------------------------------------- the event log

    def log_head(self) -> str:
        """The hash of the last event (the genesis hash for an empty log)."""
        row = self._db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else GENESIS_HASH

    def events(self) -> list[Event]:
        """Every event, oldest first; one whose bytes or data are damaged is marked so."""
        rows = self._db.execute(_RAW_EVENTS + " ORDER BY seq").fetchall()
        return [_event(row) for row in rows]

    def verify_chain(self) -> list[str]:
        """Check the event log's hash chain; return a description of every break (none: [])."""
        problems = []
        prev = GENESIS_HASH.encode("ascii")
        for row in self._db.execute(_RAW_EVENTS + " ORDER BY seq").fetchall():
            seq, kind, prev_hash, hash_ = row[0], row[2], row[4], row[5]
            if prev_hash != prev:
                problems.append(_("event {seq} ({kind}): does not follow the event before "
                                  "it").format(seq=seq, kind=_text(kind)))
            problem = _raw_problem(row)
            if problem:
                problems.append(problem)
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


class LogMovedError(ConferenceError):
    """The log moved on while results were being counted from it."""


class DecisionError(RequestError):
    """A decision that cannot be recorded: no such ballot, a value that is no decision, or no
    reviewer's name. A request to correct, not a damaged folder."""


# ---------------------------------------------------------------------- the file and its connection

SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_BYTES = 100  # the database header: page size, page count, format
WAL_HEADER_BYTES = slice(18, 20)  # file format write and read versions: 2 in WAL mode …
ROLLBACK_FORMAT = b"\x01\x01"  # … 1 for a database read without its WAL (in memory)
BUSY_MS = 5000  # how long to wait for another writer of the store
REMEDY_RESTORE = N_("Keep this copy aside for the inquiry and restore the conference folder "
                    "from its backup.")  # an English id: remedy=_(REMEDY_RESTORE)
# SQLite's primary result codes (the low byte of an extended code) that we tell apart.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 3, 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_AUTH, SQLITE_NOTADB = 11, 13, 14, 23, 26
UNDECODABLE = "Could not decode"  # Python's sqlite3 module, on text that is not UTF-8


def remedy_damaged_log(folder: Path) -> str:
    return _("Run '{command}' to list every difference, keep this copy aside for the inquiry, "
             "and restore the conference folder from its backup.").format(
        command=f"tinnhiem audit {folder}")


def store_failure(path: Path, exc: sqlite3.Error) -> TinnhiemError | None:
    """The error to report for SQLite's ``exc`` on the store at ``path``, by its cause; None for
    what is a bug of ours (bad SQL), to be raised as it is."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or UNDECODABLE in str(exc):
        return DamagedStoreError(_("{path}: the store is damaged ({exc})").format(
                                     path=path, exc=exc), remedy=_(REMEDY_RESTORE))
    if code == SQLITE_FULL:
        return DiskFullError(_("{path}: cannot be written: the disk is full "
                               "({free} free); nothing was changed").format(
                                 path=path, free=free_space(path)),
                             remedy=_(REMEDY_NO_SPACE))
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return ConferenceError(_("{path}: another tinnhiem command is writing the store "
                                 "({exc})").format(path=path, exc=exc),
                               remedy=_("Wait until it has finished, then run this one "
                                        "again."))
    if code in (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH, SQLITE_IOERR):
        return _access_failure(path, exc, io_error=code == SQLITE_IOERR)
    return None


def _access_failure(path: Path, exc: sqlite3.Error, *, io_error: bool) -> TinnhiemError:
    """Why SQLite could not open or write the store: find out from the operating system."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return ReadOnlyError(_("{path}: cannot be written: the folder is on a "
                                   "read-only medium or mount").format(path=path),
                                 remedy=_(REMEDY_READ_ONLY))
        for target in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            if target.exists():
                os.close(os.open(target, os.O_RDWR | os.O_APPEND))
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as probe:
        return os_failure(path, probe)
    if io_error and shutil.disk_usage(folder).free < MIN_FREE_BYTES:
        return DiskFullError(_("{path}: cannot be written: the disk is full "
                               "({free} free); nothing was changed").format(
                                 path=path, free=free_space(path)),
                             remedy=_(REMEDY_NO_SPACE))
    return ConferenceError(_("{path}: the store cannot be used ({exc})").format(path=path, exc=exc),
                           remedy=_("Check the disk (a disconnected drive or share, an "
                                    "I/O error in the system log), then run the command "
                                    "again."))


MIN_FREE_BYTES = 1 << 20  # an I/O error with less free space than this is a full disk


def _check_store_file(folder: Path, path: Path) -> None:
    """Refuse what cannot be a store before SQLite sees it: SQLite would take an empty file for
    a new database, and a truncated one shows only when a missing page is read."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode):
            with open(path, "rb") as f:
                header = f.read(HEADER_BYTES)
    except FileNotFoundError:
        raise ConferenceError(_("{folder}: not a conference folder (no {store})").format(
                                  folder=folder, store=STORE_FILE),
                              remedy=_("Create the conference first with 'tinnhiem "
                                       "init'.")) from None
    except OSError as exc:
        raise os_failure(path, exc) from exc
    if not stat.S_ISREG(info.st_mode):
        raise ConferenceError(_("{path}: is not a file").format(path=path),
                              remedy=_(REMEDY_RESTORE))
    if info.st_size == 0:
        raise DamagedStoreError(_("{path}: is empty (0 bytes): the store was truncated "
                                  "or replaced").format(path=path), remedy=_(REMEDY_RESTORE))
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_HEADER):
        raise DamagedStoreError(_("{path}: cannot be read as a store: it is not a "
                                  "SQLite database (its first bytes are damaged, or it "
                                  "is another file)").format(path=path),
                                remedy=_(REMEDY_RESTORE))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_valid = header[24:28] == header[92:96]  # else SQLite ignores the page count
    # With frames waiting in the -wal (a writer killed, maybe while checkpointing: page 1 is
    # copied in with the new page count before the pages after the file's end), the file may be
    # shorter than its header says: SQLite reads those pages from the -wal.
    expected = pages * page_size if header_valid and not _wal_has_frames(path) else 0
    if page_size < 512 or info.st_size % page_size or info.st_size < expected:
        raise DamagedStoreError(_("{path}: is truncated or damaged: {size} bytes, "
                                  "where its header says {expected} in pages of "
                                  "{page_size}").format(
                                    path=path, size=info.st_size, expected=expected,
                                    page_size=page_size),
                                remedy=_(REMEDY_RESTORE))


WAL_FILE_HEADER_BYTES = 32  # a -wal file holds frames beyond its header


def _wal_has_frames(path: Path) -> bool:
    try:
        return os.stat(path.with_name(path.name + "-wal")).st_size > WAL_FILE_HEADER_BYTES
    except OSError:
        return False


class _Cursor(sqlite3.Cursor):
    """A cursor whose SQLite errors are reported by cause (see :func:`store_failure`)."""

    def _failure(self, exc: sqlite3.Error) -> BaseException:
        connection = self.connection
        assert isinstance(connection, _Connection)  # made by _Connection.cursor
        return store_failure(connection.path, exc) or exc

    def execute(self, sql: str, parameters=()) -> _Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc

    def executemany(self, sql: str, parameters) -> _Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc

    def executescript(self, script: str) -> _Cursor:
        try:
            cursor = super().executescript(script)
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc
        assert isinstance(cursor, _Cursor)  # itself
        return cursor

    def fetchone(self):
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc

    def fetchall(self) -> list:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc

    def __next__(self):
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise self._failure(exc) from exc


class _Connection(sqlite3.Connection):
    """A connection to the store at ``path`` whose errors name it and their cause."""

    path: Path

    def cursor(self, factory=_Cursor) -> _Cursor:  # type: ignore[override]
        cursor = super().cursor(factory)
        assert isinstance(cursor, _Cursor)
        return cursor

    def execute(self, sql: str, parameters=()) -> _Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters) -> _Cursor:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script: str) -> _Cursor:
        return self.cursor().executescript(script)


def _connection(path: Path, uri: str) -> _Connection:
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None,  # transactions are explicit
                             factory=_Connection, timeout=BUSY_MS / 1000)
    except sqlite3.Error as exc:
        failure = store_failure(path, exc)
        if failure is None:
            raise
        raise failure from exc
    db.path = path
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    except BaseException:
        db.close()
        raise
    return db


def _memory_connection(path: Path) -> _Connection:
    db = sqlite3.connect(":memory:", isolation_level=None, factory=_Connection)
    db.path = path
    return db


def _uri(path: Path, **options: str) -> str:
    return path.resolve().as_uri() + "?" + "&".join(f"{k}={v}" for k, v in options.items())


def _open_for_writing(path: Path) -> _Connection:
    db = _connection(path, _uri(path, mode="rw"))  # never creates: a missing store is an error
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        db.close()
        raise
    return db


def _open_read_only(path: Path) -> _Connection:
    """Read-only; on a read-only medium (where SQLite cannot make its -shm file) as immutable,
    unless changes wait in the -wal file, which an immutable reader would not see."""
    try:
        return _first_read(_connection(path, _uri(path, mode="ro")))
    except DamagedStoreError:
        raise
    except (ReadOnlyError, NoPermissionError, ConferenceError) as exc:
        failure = exc
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ReadOnlyError(_("{path}: cannot be read here: changes not yet merged into "
                              "it wait in {name}, and this folder cannot be written").format(
                                path=path, name=wal.name),
                            remedy=_("Copy the folder to a writable disk and run "
                                     "'tinnhiem status' there once: it merges them.")) from failure
    return _first_read(_connection(path, _uri(path, mode="ro", immutable="1")))


def _first_read(db: _Connection) -> _Connection:
    """``db``, once it has shown it can be read (closed if it cannot)."""
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def schema_version(path: Path, db: sqlite3.Connection) -> int:
    """The schema of the store at ``path`` open as ``db``, once it is known to be one this
    version can read.

    Raises
    ------
    DamagedStoreError, ConferenceError
        No schema (an empty database), or a newer one than this version knows.
    """
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version == 0:
        raise DamagedStoreError(_("{path}: holds no conference (an empty database)").format(
                                    path=path),
                                remedy=_(REMEDY_RESTORE))
    if version > len(MIGRATIONS):
        raise ConferenceError(_("{path}: made by a newer version of tinnhiem (schema "
                                "{version})").format(path=path, version=version),
                              remedy=_("Upgrade tinnhiem to open this conference."))
    return version


# Schema 4 was numbered twice while two versions were made side by side: the committee and the
# codes' verification values (today's 4) and, in the version that first recorded scan runs, the
# runs and superseded files (today's 5). A store of that version says 4 but holds the runs and no
# committee: it is brought to 5 by adding what today's 4 adds.
RUNS_FIRST_VERSION = 4  # the user_version such a store records


def _is_runs_first(db: sqlite3.Connection, version: int) -> bool:
    """Whether ``db``, at schema ``version``, is a store whose schema 4 was the scan runs'."""
    if version != RUNS_FIRST_VERSION:
        return False
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              .fetchall()}
    return "superseded" in tables and "members" not in tables


def _migrate(db: sqlite3.Connection, version: int, path: Path | None = None) -> None:
    """Bring ``db`` from schema ``version`` to today's. With the store's ``path``, under an
    exclusive lock on it, and from the version read again under that lock: two processes that
    opened the same old store at once (two scanning stations, a scan and the review server)
    must not both apply a migration."""
    if version >= len(MIGRATIONS):
        return
    if path is None:
        _apply_migrations(db, version)
        return
    with open(path, "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
        (version,) = db.execute("PRAGMA user_version").fetchone()
        _apply_migrations(db, version)


def _apply_migrations(db: sqlite3.Connection, version: int) -> None:
    if _is_runs_first(db, version):
        committee = MIGRATIONS[RUNS_FIRST_VERSION - 1]
        db.executescript(f"BEGIN IMMEDIATE; {committee}; PRAGMA user_version = "
                         f"{RUNS_FIRST_VERSION + 1}; COMMIT;")
        version = RUNS_FIRST_VERSION + 1
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;")


def _migrated_in_memory(db: _Connection, version: int) -> _Connection:
    """A store of an older schema, opened read-only: migrated in a copy held in memory."""
    memory = _memory_connection(db.path)
    db.backup(memory)
    db.close()
    _migrate(memory, version)
    return memory


def _probe_writing(db: sqlite3.Connection) -> None:
    """Write the header in a transaction rolled back: a read-only folder, medium or file is
    refused now, before any work (SQLite opens such a store read-only without a word)."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        db.execute("ROLLBACK")


def _create(path: Path) -> _Connection:
    """Make a new store at ``path`` (owner-only) with the current schema."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    db = _connection(path, _uri(path, mode="rw"))
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    _migrate(db, 0)
    return db


# ---------------------------------------------------------------------- the event log

_RAW_EVENTS = ("SELECT seq, CAST(at AS BLOB), CAST(kind AS BLOB), CAST(data AS BLOB),"
               " CAST(prev_hash AS BLOB), CAST(hash AS BLOB) FROM events")


def _raw_hash(prev: bytes, at: bytes, kind: bytes, data: bytes) -> bytes:
    """:func:`event_hash` over the bytes as stored."""
    return hashlib.sha256(b"\n".join((prev, at, kind, data))).hexdigest().encode("ascii")


def _raw_problem(row: tuple) -> str | None:
    """What is wrong with one event as stored, on its own (not its place in the chain)."""
    seq, at, kind, data, prev_hash, hash_ = row
    name = _text(kind)
    try:
        for value in (at, kind, data, prev_hash, hash_):
            value.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        return _("event {seq} ({kind}): its bytes are damaged (not valid text)").format(
            seq=seq, kind=name)
    if _raw_hash(prev_hash, at, kind, data) != hash_:
        return _("event {seq} ({kind}): its content was changed").format(seq=seq, kind=name)
    return None


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _event(row: tuple) -> Event:
    seq, at, kind, data, prev_hash, hash_ = row
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, AttributeError):
        parsed = None
    damaged = not isinstance(parsed, dict) or _raw_problem(row) is not None
    return Event(seq, _text(at), _text(kind), parsed if isinstance(parsed, dict) else {},
                 _text(prev_hash), _text(hash_), damaged)


def _append_event(db: sqlite3.Connection, kind: EventKind, data: dict) -> None:
    """Append to the event log inside the caller's transaction, after checking that the event
    it follows is intact (the whole chain was checked when the store was opened)."""
    row = db.execute(_RAW_EVENTS + " ORDER BY seq DESC LIMIT 1").fetchone()
    if row is not None:
        problem = _raw_problem(row)
        if problem:
            path = getattr(db, "path", STORE_FILE)
            raise DamagedStoreError(_("{path}: the event log is damaged ({problem}); "
                                      "nothing was changed").format(path=path, problem=problem),
                                    remedy=remedy_damaged_log(Path(path).parent))
    prev = row[5].decode("ascii") if row else GENESIS_HASH
    at = _now()
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    db.execute("INSERT INTO events (at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
               (at, kind, text, prev, event_hash(prev, at, kind, text)))
