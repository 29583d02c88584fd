"""Scan in a stack: keep every file, read every page, store one reading per page.

Files are kept beside the store by content hash, so scanning the same file twice adds nothing; a
page is stored (with its event) in one transaction, so a scan killed half-way and run again ends
with exactly the store of one uninterrupted run. Pages are read in worker processes when asked
(``jobs``); only this process writes to the store. A file or page that cannot be read is recorded
with the reason and the scan goes on; the summary lists every such page of the files given, read
now or by an earlier run, and counts the pages taken as blank backs.
"""

from __future__ import annotations

import dataclasses

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ballotgen.errors import ConferenceError, InputFileError
from omr.load import ScanFile, load_page, open_scan
from omr.read import Context, read_page
from omr.settings import ReaderSettings
from omr.reading import PageReading
from tally.store import Store

HASH_CHUNK = 1 << 20
NOT_DECODED = ("page cannot be decoded", "reader error")  # reasons given here, not by the reader


@dataclass
class ScanSummary:
    files: int = 0  # files given (after expanding folders)
    files_known: int = 0  # of which were scanned before (complete)
    pages_read: int = 0  # pages read in this run
    file_errors: list[tuple[str, str]] = field(default_factory=list)  # (file, problem)
    # Every unreadable page of the files given, whatever the reason: (file, page, reason).
    page_errors: list[tuple[str, int, str]] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # pages of the files given, by kind

    @property
    def needs_attention(self) -> bool:
        return bool(self.file_errors or self.page_errors)

    @property
    def blank_backs(self) -> int:
        """Pages of the files given that were taken as blank duplex backs."""
        return self.kinds.get("blank", 0)

    @property
    def fronts(self) -> int:
        """Pages of the files given that were not blank (each sheet has at most one back)."""
        return sum(n for kind, n in self.kinds.items() if kind != "blank")

    @property
    def blank_backs_fit(self) -> bool:
        """Whether the blank backs fit the stack: a blank back is the back of a sheet whose
        front was scanned too, so there are never more of them than other pages. More means
        pages with print were taken for blank ones (a pale or dark scan, a face-down sheet)."""
        return self.blank_backs <= self.fronts


def reading_context(store: Store) -> Context:
    """What the reader must know of the conference, from its store."""
    layouts, batches, serials = {}, set(), set()
    for batch in store.batches():
        batches.add(batch.code)
        layout = store.layout(batch.layout_hash)
        if layout is not None:
            layouts[layout.hash] = layout
        if batch.serials:
            serials |= store.issued_serials(batch.code)
    key = store.secret() or None  # an audit archive holds no key: its codes verify by digest
    digests = frozenset() if key else frozenset(store.code_digests())
    return Context(key, layouts, frozenset(batches), frozenset(serials), code_digests=digests)


def expand(inputs: list[Path]) -> list[Path]:
    """Files to scan: files as given, folders walked in name order (hidden entries skipped)."""
    files = []
    for path in inputs:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.is_file() and not any(part.startswith(".") for part in
                                                       p.relative_to(path).parts))
        elif path.exists():
            files.append(path)
        else:
            raise InputFileError(path, "does not exist", remedy="Check the file or folder name.")
    return files


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan_stack(folder: Path, inputs: list[Path], *, jobs: int = 1,
               progress: Callable[[int], None] | None = None) -> ScanSummary:
    """Ingest and read every page of ``inputs`` into the conference in ``folder``."""
    summary = ScanSummary()
    with Store.open(folder) as store:
        ctx = reading_context(store)
        if not ctx.layouts:
            raise ConferenceError(f"{folder}: no ballots have been printed, so none can be read",
                                  remedy=f"Print them first: tinnhiem print {folder} --copies N")
        tasks: list[Task] = []
        given: list[str] = []  # the files' hashes, in the order given
        for path in expand(inputs):
            summary.files += 1
            task = _ingest(store, path, summary)
            if task is not None:
                sha, scan, pending = task
                given.append(sha)
                tasks += [(sha, scan, i) for i in pending]
        for sha, index, image_sha, reading in read_pages(tasks, ctx, jobs):
            store.record_page(sha, index, image_sha, reading)
            summary.pages_read += 1
            if progress:
                progress(1)
        _account(store, given, summary)
    return summary


def _account(store: Store, given: list[str], summary: ScanSummary) -> None:
    """Count the pages of the files ``given`` by kind, and list the unreadable ones."""
    order = {sha: i for i, sha in enumerate(dict.fromkeys(given))}
    pages = sorted((p for p in store.pages() if p.file_sha256 in order),
                   key=lambda p: (order[p.file_sha256], p.page_index))
    for page in pages:
        kind = page.reading.kind
        summary.kinds[kind] = summary.kinds.get(kind, 0) + 1
        if kind == "unreadable":
            summary.page_errors.append((page.file_name, page.page_index + 1, page.reading.reason))


def _ingest(store: Store, path: Path, summary: ScanSummary) -> tuple[str, ScanFile, list[int]] | None:
    """Record ``path`` (once), keep a copy by hash, and return the pages still to read."""
    try:
        sha = file_sha256(path)
        size = path.stat().st_size
    except OSError as exc:
        summary.file_errors.append((str(path), f"cannot be read ({exc.strerror or exc})"))
        return None
    known = store.scan_file(sha)
    if known is not None and known.error:
        summary.file_errors.append((str(path), known.error))
        return None
    try:
        scan = open_scan(path)
    except InputFileError as exc:
        _keep(store, path, sha, None)
        store.record_scan_file(sha256=sha, name=path.name, size=size, kind=None, pages=0,
                               error=exc.problem)
        summary.file_errors.append((str(path), exc.problem))
        return None
    kept = _keep(store, path, sha, scan.kind)
    store.record_scan_file(sha256=sha, name=path.name, size=size, kind=scan.kind, pages=scan.pages,
                           error=None)
    pending = sorted(set(range(scan.pages)) - store.pages_read(sha))
    if known is not None and not pending:
        summary.files_known += 1
    return sha, ScanFile(kept, scan.kind, scan.pages), pending


def _keep(store: Store, path: Path, sha: str, kind: str | None) -> Path:
    """Copy ``path`` beside the store as ``scans/<sha256>.<kind>`` (owner-only), once."""
    folder = store.scans_folder()
    folder.mkdir(mode=0o700, exist_ok=True)
    kept = folder / f"{sha}.{kind or 'bin'}"  # Store.kept_file finds it there
    if not kept.exists():
        tmp = folder / f".{sha}.tmp"
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, kept)
    return kept


# ---------------------------------------------------------------------- reading, maybe parallel

_CONTEXT: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _CONTEXT
    _CONTEXT = ctx


def read_one(scan: ScanFile, index: int, ctx: Context) -> tuple[str | None, PageReading]:
    """Decode and read one page; whatever goes wrong becomes an ``unreadable`` reading."""
    try:
        page = load_page(scan, index)
    except InputFileError as exc:
        problem = exc.problem.removeprefix(f"page {index + 1}: ")  # the page is said already
        return None, PageReading("unreadable", reason=f"{NOT_DECODED[0]}: {problem}",
                                 flags=("unreadable",))
    image_sha = hashlib.sha256(page.image.tobytes() + repr(page.image.shape).encode()).hexdigest()
    try:
        return image_sha, read_page(page, ctx)
    except Exception as exc:  # a bug must not lose the page: it is stored and flagged
        return image_sha, PageReading("unreadable", reason=f"{NOT_DECODED[1]}: {type(exc).__name__}: "
                                      f"{exc}", flags=("unreadable",))


Task = tuple[str, ScanFile, int] | tuple[str, ScanFile, int, dict]


def _task(args: Task) -> tuple[str, int, str | None, PageReading]:
    sha, scan, index, *settings = args
    assert _CONTEXT is not None
    ctx = _CONTEXT
    if settings and settings[0]:  # re-read with the settings the page was first read with
        ctx = dataclasses.replace(ctx, settings=ReaderSettings.from_dict(settings[0]))
    image_sha, reading = read_one(scan, index, ctx)
    return sha, index, image_sha, reading


def read_pages(tasks: list[Task], ctx: Context,
               jobs: int) -> Iterator[tuple[str, int, str | None, PageReading]]:
    """Readings of ``tasks`` (sha, file, page index[, reader settings as recorded]) in order; in
    ``jobs`` processes when more than one."""
    if jobs <= 1 or len(tasks) < 2:
        _init_worker(ctx)
        yield from map(_task, tasks)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(ctx,)) as pool:
        yield from pool.map(_task, tasks, chunksize=1)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
