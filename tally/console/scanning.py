"""Scans uploaded to the console: kept in the conference folder first, then read in a
background thread by :func:`tally.scan.scan_stack` (what ``tinnhiem scan`` calls), one reading
job at a time per conference, its progress readable by the page.

An upload is written whole (owner-only) to ``<conference>/tai-len/<time>-<token>/<name>``
before anything is read, so a file the server received is never lost: if the server stops
while reading, the page finds the files not read to the end and reads them again
(:func:`unread`). ``scan_stack`` keeps each file by its content hash and reads only pages not
stored, so reading a file again never changes the count.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ballotgen.errors import TinnhiemError
from ballotgen.i18n import _
from tally.console.workspace import safe_file_name
from tally.files import HASH_CHUNK, Partial, file_sha256, os_failure
from tally.scan import ScanSummary, scan_stack
from tally.store import Store

UPLOADED = "tai-len"  # in a conference folder: the scan files uploaded, as they came
MAX_SCAN_BYTES = 2_000_000_000  # an upload at most (a stack of a few thousand sheets)

log = logging.getLogger("tinnhiem.console")


def within(folder: Path, message: str) -> str:
    """``message`` with the paths inside the conference ``folder`` given from it
    (``tai-len/…/scan.pdf``): the clerk sees where the file is kept, not the whole disk path."""
    return message.replace(f"{folder.resolve()}{os.sep}", "").replace(f"{folder}{os.sep}", "")


def save_scans(folder: Path, files: list[tuple[str, IO[bytes]]]) -> Path:
    """Keep uploaded scan files (name, content to read) in a new folder of their own under the
    conference's ``tai-len``, each written whole and synced; returns that folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / UPLOADED / f"{stamp}-{secrets.token_hex(4)}"
    try:
        target.mkdir(mode=0o700, parents=True)
        (folder / UPLOADED).chmod(0o700)
    except OSError as exc:
        raise os_failure(target, exc) from exc
    names: set[str] = set()
    for name, data in files:
        safe = safe_file_name(name)
        while safe in names:
            safe = "_" + safe
        names.add(safe)
        try:
            with Partial(target / safe) as partial:
                with partial.fileobj() as out:
                    shutil.copyfileobj(data, out, HASH_CHUNK)
                partial.sync()
                partial.commit()
        except OSError as exc:
            raise os_failure(target / safe, exc) from exc
    return target


def uploads(folder: Path) -> list[Path]:
    """The upload folders of a conference, oldest first."""
    root = folder / UPLOADED
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def unread(folder: Path) -> list[Path]:
    """The upload folders holding a file whose pages are not all stored (the server stopped
    while reading it, or before): what a new reading job must read again."""
    left = []
    with Store.open(folder, readonly=True) as store:
        for upload in uploads(folder):
            for path in sorted(upload.iterdir()):
                if path.name.startswith("."):  # a partial a killed upload left
                    continue
                record = store.scan_file(upload_sha256(path))
                if record is None or (not record.error and
                                      len(store.pages_read(record.sha256)) < record.pages):
                    left.append(upload)
                    break
    return left


def upload_sha256(path: Path) -> str:
    """The content hash of an uploaded file, hashed once while it is unchanged (the page asks
    each time it is shown)."""
    info = path.stat()
    return _hash_of(str(path), info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _hash_of(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


@dataclass
class Job:
    """One reading job: the folders it reads, how far it got, and how it ended."""

    inputs: list[Path]
    total: int | None = None  # pages to read, once the files are ingested
    done: int = 0
    summaries: list[ScanSummary] = field(default_factory=list)  # one per run, in order
    error: str | None = None
    remedy: str = ""
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def summary(self) -> ScanSummary | None:
        """The last run's summary: its ``stack`` is the whole store after it."""
        return self.summaries[-1] if self.summaries else None

    @property
    def pages_read(self) -> int:
        return sum(s.pages_read for s in self.summaries)

    @property
    def file_errors(self) -> list[tuple[str, str]]:
        return [e for s in self.summaries for e in s.file_errors]

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Readers:
    """The reading jobs of the console, at most one running per conference folder."""

    def __init__(self) -> None:
        self._jobs: dict[Path, Job] = {}
        self._lock = threading.Lock()

    def latest(self, folder: Path) -> Job | None:
        with self._lock:
            return self._jobs.get(folder)

    def running(self, folder: Path) -> bool:
        job = self.latest(folder)
        return job is not None and not job.finished

    def start(self, folder: Path, inputs: list[Path]) -> Job | None:
        """Read ``inputs`` into the conference in a background thread; None if a job of the
        conference is running (its files are read by the next one)."""
        with self._lock:
            current = self._jobs.get(folder)
            if current is not None and not current.finished:
                return None
            job = self._jobs[folder] = Job(list(inputs))
        threading.Thread(target=self._run, args=(folder, job), daemon=True,
                         name="tinnhiem-scan").start()
        return job

    def _run(self, folder: Path, job: Job) -> None:
        def started(pages: int) -> None:
            job.total = pages

        def progress(pages: int) -> None:
            job.done += pages

        try:
            read: set[Path] = set()
            inputs = job.inputs
            while inputs:  # files uploaded while reading are read next, in a run of their own
                read.update(inputs)
                job.summaries.append(scan_stack(folder, inputs, jobs=1, progress=progress,
                                                started=started))
                inputs = [u for u in unread(folder) if u not in read]
                if inputs:
                    job.inputs += inputs
                    job.done = 0
        except TinnhiemError as exc:
            job.error, job.remedy = within(folder, exc.message), exc.remedy
        except Exception as exc:  # a bug: the page says so; the files are kept
            log.error("reading job failed: %s", type(exc).__name__)  # no content: may be secret
            job.error = _("A fault of the software ({error}); the files are kept. Read them "
                          "again, and if it fails again, tell the administrator.").format(
                              error=type(exc).__name__)
        finally:
            job.finished = True

    def wait(self, folder: Path, timeout: float = 60.0) -> Job | None:
        """The latest job once it has finished (tests)."""
        import time

        deadline = time.monotonic() + timeout
        while self.running(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.latest(folder)
