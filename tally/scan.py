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
import errno
import hashlib
import os
import secrets
import shutil
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ballotgen import i18n
from ballotgen.errors import ConferenceError, InputFileError
from ballotgen.i18n import N_, _
from ballotgen.vocabulary import Flag, PageKind, SetAsideHow
from omr.load import ScanFile, load_page, open_scan
from omr.read import Context, of_another_conference, read_page
from omr.reading import PageReading
from omr.settings import ReaderSettings
from tally.ballots import StampCheck, stamp_check
from tally.files import HASH_CHUNK, Partial, file_sha256, os_failure, sweep_partials
from tally.resolve import holds_for_review, resolved_ballots
from tally.rules import RULE_SETS
from tally.store import Store, StoredPage

NOT_DECODED = "page cannot be decoded"  # the reason of a page the loader could not decode
READER_ERROR = "reader error"  # … of a page the reader failed on (a bug: the page is kept)
# A file is read once its size and modification time have stood still this long: a scanner (or
# a copy over the network) still writing it changes them more often than that.
STABLE_SECONDS = 1.0
STABLE_WAIT_SECONDS = 30.0  # how long a scan waits for a file still being written
STABLE_POLL_SECONDS = 0.2
STILL_WRITTEN = "is still being written; scan it again once the scanner has finished"


@dataclass(frozen=True)
class StackSummary:
    """What the conference's store holds after a scan: every page and ballot, of every run."""

    rules: str  # the rule set that says which flags hold a ballot for review
    pages: dict[PageKind, int]  # pages by kind
    ballots: int
    accepted: int  # ballots with no flag that can change a count
    held: dict[Flag, int]  # flagged ballots by the flags that hold them for review
    recorded: dict[Flag, int]  # flags recorded that cannot change a count under the rules
    unreadable: tuple[tuple[str, int, str], ...]  # (file, page, reason), 1-based pages
    stamp: StampCheck | None = None  # what the stamp check found, when the conference has it

    @property
    def flagged(self) -> int:
        return self.ballots - self.accepted


def stack_summary(store: Store, pages: list[StoredPage]) -> StackSummary:
    """:class:`StackSummary` of ``store``, whose pages (in stack order) are ``pages``."""
    conference = store.conference()
    rules = RULE_SETS[conference.rules]
    ballots = [r.ballot for r in resolved_ballots(store, pages=pages)]
    held: Counter[Flag] = Counter()
    recorded: Counter[Flag] = Counter()
    accepted = 0
    for ballot in ballots:
        holding = [f for f in ballot.flags if holds_for_review(f, rules)]
        accepted += not holding
        held.update(holding)
        recorded.update(f for f in ballot.flags if f not in holding)
    return StackSummary(
        rules.name, dict(Counter(p.reading.kind for p in pages)), len(ballots), accepted,
        dict(held), dict(recorded),
        tuple((p.file_name, p.page_index + 1, p.reading.reason) for p in pages
              if p.reading.kind == PageKind.UNREADABLE),
        stamp_check(ballots) if conference.stamp == "required" else None)


@dataclass
class ScanSummary:
    files: int = 0  # files given (after expanding folders)
    files_known: int = 0  # of which were scanned before (complete)
    pages_read: int = 0  # pages read in this run
    file_errors: list[tuple[str, str]] = field(default_factory=list)  # (file, problem)
    # Every unreadable page of the files given, whatever the reason: (file, page, reason).
    page_errors: list[tuple[str, int, str]] = field(default_factory=list)
    kinds: dict[PageKind, int] = field(default_factory=dict)  # pages of the files given
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entry, what it is): no file
    # Files refused as a whole, of this run or before: (file, pages of another conference, pages)
    refused: list[tuple[str, int, int]] = field(default_factory=list)
    withdrawn: list[tuple[str, str]] = field(default_factory=list)  # (file, reason): given again
    superseded: list[tuple[str, int]] = field(default_factory=list)  # (file, incomplete pages)
    stack: StackSummary | None = None  # the whole store after the scan

    @property
    def needs_attention(self) -> bool:
        return bool(self.file_errors or self.page_errors or self.skipped or self.refused)

    @property
    def blank_backs(self) -> int:
        """Pages of the files given that were taken as blank duplex backs."""
        return self.kinds.get(PageKind.BLANK, 0)

    @property
    def fronts(self) -> int:
        """Pages of the files given that were not blank (each sheet has at most one back)."""
        return sum(n for kind, n in self.kinds.items() if kind != PageKind.BLANK)

    @property
    def blank_backs_fit(self) -> bool:
        """Whether the blank backs fit the stack: a blank back is the back of a sheet whose
        front was scanned too, so there are never more of them than other pages. More means
        pages with print were taken for blank ones (a pale or dark scan, a face-down sheet)."""
        return self.blank_backs <= self.fronts


def stamp_summary(check: StampCheck) -> list[tuple[str, bool]]:
    """The scan summary's lines on the stamp check (a conference that requires the stamp), each
    with whether it is a warning."""
    lines = [(_("Stamp check: {checked} ballots scanned in colour checked for the agency's "
                "stamp: {missing} without it (missing_stamp), {unclear} the reader could not "
                "tell (stamp_unclear).").format(checked=check.checked, missing=check.missing,
                                                unclear=check.unclear), False)]
    if check.unchecked:
        lines.append((_("warning: {n} ballots were scanned in grey or black and white, where the "
                        "red stamp cannot show: they were not checked for it. Scan them again "
                        "in colour.").format(n=check.unchecked), True))
    return lines


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
    return Context(key, layouts, frozenset(batches), frozenset(serials), code_digests=digests,
                   stamp_required=store.conference().stamp == "required")


def expand(inputs: list[Path]) -> list[Path]:
    """Files to scan: files as given, folders walked in name order (hidden entries skipped)."""
    return collect(inputs)[0]


def collect(inputs: list[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Regular files to scan, and what was skipped in the folders (FIFOs, devices, sockets,
    broken links, link loops, links to folders) with what it is.

    Raises
    ------
    InputFileError
        An input does not exist, or is not a regular file or a folder (a FIFO or a device would
        be read for ever).
    """
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in map(Path, inputs):
        if path.is_dir():
            found, passed = _walk(path)
            files += found
            skipped += passed
            continue
        what = _not_a_file(path)
        if what == "missing":
            raise InputFileError(path, _("does not exist"),
                                 remedy=_("Check the file or folder name."))
        if what:
            raise InputFileError(path, _("is {what}, not a file").format(what=_(what)),
                                 remedy=_("Give the scanned files, or the folder holding them."))
        files.append(path)
    return files, skipped


def _walk(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    files, skipped = [], []
    for root, dirs, names in os.walk(folder):  # links to folders are not followed
        hidden = {d for d in dirs if d.startswith(".")}
        for d in sorted(set(dirs) - hidden):
            if (Path(root) / d).is_symlink():
                skipped.append((str(Path(root) / d), N_("a link to a folder (not followed)")))
        dirs[:] = sorted(set(dirs) - hidden)
        for name in names:
            if name.startswith("."):
                continue
            path = Path(root) / name
            what = _not_a_file(path)
            if what:
                skipped.append((str(path), N_("a broken link") if what == "missing" else what))
            else:
                files.append(path)
    return sorted(files), sorted(skipped)


def _not_a_file(path: Path) -> str | None:
    """None for a regular file (or a link to one), else what ``path`` is ("missing" if nothing),
    in English (an id of the catalogue)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return N_("a link that loops") if exc.errno == errno.ELOOP else \
            f"unreadable ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    for test, what in ((stat.S_ISFIFO, N_("a FIFO (named pipe)")),
                       (stat.S_ISSOCK, N_("a socket")),
                       (stat.S_ISCHR, N_("a character device")),
                       (stat.S_ISBLK, N_("a block device")), (stat.S_ISDIR, N_("a folder"))):
        if test(mode):
            return what
    return N_("not a regular file")


def settled(path: Path) -> os.stat_result | None:
    """The status of ``path`` once its size and modification time have stood still for
    STABLE_SECONDS (waiting up to STABLE_WAIT_SECONDS), or None if it is still being written."""
    deadline = time.monotonic() + STABLE_WAIT_SECONDS
    last = os.stat(path)
    still_since = time.monotonic() - max(0.0, time.time() - last.st_mtime)
    while time.monotonic() - still_since < STABLE_SECONDS:
        if time.monotonic() >= deadline:
            return None
        time.sleep(STABLE_POLL_SECONDS)
        now = os.stat(path)
        if (now.st_size, now.st_mtime_ns) != (last.st_size, last.st_mtime_ns):
            last, still_since = now, time.monotonic()
    return last


def scan_stack(folder: Path, inputs: list[Path], *, jobs: int = 1,
               progress: Callable[[int], None] | None = None,
               started: Callable[[int], None] | None = None) -> ScanSummary:
    """Ingest and read every page of ``inputs`` into the conference in ``folder``.

    The files of this call are one scan *run*: their pages are assembled into ballots among
    themselves, so another station scanning into the same conference at the same time does not
    interleave with them. ``started`` is told how many pages will be read, once the files are
    ingested; ``progress`` is told of each page read.
    """
    summary = ScanSummary()
    run = secrets.token_hex(RUN_ID_BYTES)
    files, summary.skipped = collect(list(inputs))
    with Store.open(folder) as store:
        ctx = reading_context(store)
        if not ctx.layouts:
            raise ConferenceError(
                _("{folder}: no ballots have been printed, so none can be read").format(
                    folder=folder),
                remedy=_("Print them first: {command}").format(
                    command=f"tinnhiem print {folder} --copies N"))
        sweep_partials(store.scans_folder())  # copies a killed scan left
        tasks: list[Task] = []
        given: list[str] = []  # the files' hashes, in the order given
        paths: dict[str, Path] = {}
        for path in files:
            summary.files += 1
            task = ingest_file(store, path, summary, run)
            if task is not None:
                sha, scan, pending = task
                given.append(sha)
                paths.setdefault(sha, path)
                tasks += [(sha, scan, i) for i in pending]
        if started:
            started(len(tasks))
        for result in read_pages(tasks, ctx, jobs):
            store.record_page(result.file_sha256, result.index, result.image_sha256,
                              result.reading)
            summary.pages_read += 1
            if progress:
                progress(1)
        _refuse_other_conference(store, paths, summary)
        pages = store.pages()
        _account(pages, given, summary)
        summary.stack = stack_summary(store, pages)
    return summary


RUN_ID_BYTES = 8


OTHER_CONFERENCE_SHARE = 0.5
OTHER_CONFERENCE_MIN_PAGES = 3
"""A file is refused as a whole when more than OTHER_CONFERENCE_SHARE of its pages (blank backs
aside), and at least OTHER_CONFERENCE_MIN_PAGES, are ballots of another conference: a wrong
stack. A file of one or two such sheets (an image per page, a stray sheet scanned alone) is
sheets found in the box: each is received and invalid (rule 10), for the committee to see."""
REFUSED_BY = "tinnhiem scan"  # who refuses a file (the set-aside record's ``by``)


def refusal_message(name: str, foreign: int, pages: int) -> str:
    """The one message a refused file gets."""
    return _("{file}: file refused: {foreign}/{pages} pages are ballots of another conference "
             "(their code is not this conference's). No page of the file counts. Check the "
             "file; if it holds ballots of this conference, scan those on their own.").format(
        file=name, foreign=foreign, pages=pages)


def _refuse_other_conference(store: Store, paths: dict[str, Path], summary: ScanSummary) -> None:
    """Set aside (refused) each file given whose pages are mostly another conference's ballots,
    and list every such file given, refused now or by an earlier run. Decided from the stored
    readings, so a scan killed before it and run again refuses the same files."""
    set_aside = store.set_aside()
    counts: dict[str, list[int]] = {sha: [0, 0] for sha in paths}
    for page in store.pages(superseded=True):
        if page.file_sha256 in counts and page.reading.kind != PageKind.BLANK:
            counts[page.file_sha256][0] += of_another_conference(page.reading)
            counts[page.file_sha256][1] += 1
    for sha, (foreign, pages) in counts.items():
        known = set_aside.get(sha)
        if known is not None and known.how == SetAsideHow.WITHDRAWN:
            summary.withdrawn.append((str(paths[sha]), known.reason))
            continue  # withdrawn by the committee before: it does not count either way
        if foreign < OTHER_CONFERENCE_MIN_PAGES or foreign <= OTHER_CONFERENCE_SHARE * pages:
            continue
        if known is None:
            store.record_set_aside(sha, SetAsideHow.REFUSED, by=REFUSED_BY, reason=(
                f"{foreign} of its {pages} pages are ballots of another conference"))
        summary.refused.append((str(paths[sha]), foreign, pages))


def _account(stored: list[StoredPage], given: list[str], summary: ScanSummary) -> None:
    """Count the pages of the files ``given`` by kind, and list the unreadable ones (pages of a
    file superseded by its complete version no longer count): ``stored`` are the store's."""
    order = {sha: i for i, sha in enumerate(dict.fromkeys(given))}
    pages = sorted((p for p in stored if p.file_sha256 in order),
                   key=lambda p: (order[p.file_sha256], p.page_index))
    for page in pages:
        kind = page.reading.kind
        summary.kinds[kind] = summary.kinds.get(kind, 0) + 1
        if kind == PageKind.UNREADABLE:
            summary.page_errors.append((page.file_name, page.page_index + 1, page.reading.reason))


def ingest_file(store: Store, path: Path, summary: ScanSummary,
                run: str) -> tuple[str, ScanFile, list[int]] | None:
    """Record ``path`` (once), keep a copy of a scan by hash, and return the pages still to
    read. A file still being written is left for a later scan, unrecorded."""
    try:
        before = settled(path)
        if before is None:
            summary.file_errors.append((str(path), STILL_WRITTEN))
            return None
        sha = file_sha256(path)
        after = os.stat(path)
    except OSError as exc:
        summary.file_errors.append((str(path), f"cannot be read ({exc.strerror or exc})"))
        return None
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        summary.file_errors.append((str(path), STILL_WRITTEN))
        return None
    size = after.st_size
    known = store.scan_file(sha)
    if known is not None and known.error:
        summary.file_errors.append((str(path), known.error))
        return None
    try:
        scan = open_scan(path)
    except InputFileError as exc:  # not a scan: recorded, but no copy is kept
        store.record_scan_file(sha256=sha, name=path.name, size=size, kind=None, pages=0,
                               error=exc.problem, run=run, folder=_folder(path))
        summary.file_errors.append((str(path), exc.problem))
        return None
    kept = _keep(store, path, sha, scan.kind)
    store.record_scan_file(sha256=sha, name=path.name, size=size, kind=scan.kind, pages=scan.pages,
                           error=None, run=run, folder=_folder(path))
    _supersede_incomplete(store, path, sha, size, summary)
    pending = sorted(set(range(scan.pages)) - store.pages_read(sha))
    if known is not None and not pending:
        summary.files_known += 1
    return sha, ScanFile(kept, scan.kind, scan.pages), pending


def _folder(path: Path) -> str:
    """The folder ``path`` was found in, as an absolute path (told with its file's name)."""
    return str(path.absolute().parent)


def _supersede_incomplete(store: Store, path: Path, sha: str, size: int,
                          summary: ScanSummary) -> None:
    """An earlier file of the same name whose content is the start of this one was read while
    the scanner was still writing it: this complete version replaces it (counts once)."""
    superseded = store.superseded()
    for record in store.scan_files_named(path.name):
        if record.sha256 == sha or record.sha256 in superseded or record.size >= size:
            continue
        try:
            is_start = file_sha256(path, limit=record.size) == record.sha256
        except OSError:
            continue
        if is_start and store.record_superseded(record.sha256, sha):
            summary.superseded.append((path.name, len(store.pages_read(record.sha256))))


def _keep(store: Store, path: Path, sha: str, kind: str | None) -> Path:
    """Copy ``path`` beside the store as ``images/<sha256>.<kind>`` (owner-only), once."""
    folder = store.scans_folder()
    kept = folder / f"{sha}.{kind or 'bin'}"  # Store.kept_file finds it there
    if kept.exists():
        return kept
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        with Partial(kept) as partial, open(path, "rb") as source:
            with partial.fileobj() as target:
                shutil.copyfileobj(source, target, HASH_CHUNK)
            partial.sync()
            partial.commit()
    except OSError as exc:
        raise os_failure(kept, exc) from exc
    return kept


# ---------------------------------------------------------------------- reading, maybe parallel

_CONTEXT: Context | None = None


def _init_worker(ctx: Context, language: str | None = None) -> None:
    global _CONTEXT
    _CONTEXT = ctx
    if language is not None:  # a worker started afresh speaks the parent's language
        i18n.set_language(language)


@dataclass(frozen=True)
class PageResult:
    """What reading one page gave: the reading, and the hash of the page's decoded pixels."""

    file_sha256: str
    index: int  # 0-based page of the file
    image_sha256: str | None  # None: the page could not be decoded
    reading: PageReading

    @property
    def decoded(self) -> bool:
        return self.image_sha256 is not None


def read_one(scan: ScanFile, index: int, ctx: Context) -> tuple[str | None, PageReading]:
    """Decode and read one page; whatever goes wrong becomes an ``unreadable`` reading. Returns
    the SHA-256 of the decoded pixels (None when the page could not be decoded) and the
    reading."""
    try:
        page = load_page(scan, index)
    except InputFileError as exc:
        problem = exc.problem.removeprefix(f"page {index + 1}: ")  # the page is said already
        return None, PageReading(PageKind.UNREADABLE, reason=f"{NOT_DECODED}: {problem}",
                                 flags=(Flag.UNREADABLE,))
    image_sha = hashlib.sha256(page.image.tobytes() + repr(page.image.shape).encode()).hexdigest()
    try:
        return image_sha, read_page(page, ctx)
    except Exception as exc:  # a bug must not lose the page: it is stored and flagged
        return image_sha, PageReading(PageKind.UNREADABLE,
                                      reason=f"{READER_ERROR}: {type(exc).__name__}: {exc}",
                                      flags=(Flag.UNREADABLE,))


Task = tuple[str, ScanFile, int] | tuple[str, ScanFile, int, dict]


def _task(args: Task) -> PageResult:
    sha, scan, index, *settings = args
    assert _CONTEXT is not None
    ctx = _CONTEXT
    if settings and settings[0]:  # re-read with the settings the page was first read with
        ctx = dataclasses.replace(ctx, settings=ReaderSettings.from_dict(settings[0]))
    image_sha, reading = read_one(scan, index, ctx)
    return PageResult(sha, index, image_sha, reading)


def read_pages(tasks: list[Task], ctx: Context, jobs: int) -> Iterator[PageResult]:
    """Readings of ``tasks`` (sha, file, page index[, reader settings as recorded]) in order; in
    ``jobs`` processes when more than one."""
    if jobs <= 1 or len(tasks) < 2:
        _init_worker(ctx)
        yield from map(_task, tasks)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(ctx, i18n.language())) as pool:
        yield from pool.map(_task, tasks, chunksize=1)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
