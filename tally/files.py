"""Writing files the conference owns: atomically, owner-only (rule 11), and never by half.

Every file is first written whole under a hidden *partial* name beside its final name
(``.NAME.TAG.partial``), synced, and only then renamed into place, so a reader finds the whole
file or none. Its writer holds a lock (``flock``) on the partial for as long as it lives: the next
run tells a partial left by a killed process (unlocked) from one being written at this moment
(locked), and removes only the first. Nothing a kill leaves behind outlives the next run.

Failures of the operating system are told apart by :func:`os_failure`: a full disk, a read-only
medium and a refused permission each have their own error, exit code and remedy, because the
right thing to do differs (and restoring a backup is right for none of them).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ballotgen.errors import (
    DiskFullError,
    NoPermissionError,
    OutputError,
    ReadOnlyError,
    TinnhiemError,
)
from ballotgen.i18n import N_, _

PARTIAL_SUFFIX = ".partial"
LEGACY_TEMP_CHARS = 8  # earlier versions wrote ``.NAME-XXXXXXXX`` (tempfile.mkstemp's names)
TEMP_DIR_PREFIX = "tinnhiem-"  # our folders in the system temp folder (only ever scan images)

HASH_CHUNK = 1 << 20  # files are read and hashed a megabyte at a time
# Remedies: English ids, translated where they are given (``remedy=_(REMEDY_NO_SPACE)``).
REMEDY_NO_SPACE = N_("Free space on that disk (or move the folder to a larger one) and run the "
                     "command again. Everything stored before is intact: do not restore a "
                     "backup.")
REMEDY_READ_ONLY = N_("Copy the conference folder to a writable disk and run the command there. "
                      "'tinnhiem status', 'audit' and 'export' work on the read-only folder as "
                      "it is.")
REMEDY_PERMISSION = N_("Run tinnhiem as the owner of the folder, or give the permission back "
                       "(chmod u+rw; for a file marked immutable, chattr -i). The store is "
                       "intact.")
REMEDY_OUTPUT = N_("Check the folder exists, is writable and has free space.")
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
DENIED_ERRNOS = frozenset({errno.EACCES, errno.EPERM})


def file_sha256(path: Path, *, limit: int | None = None) -> str:
    """SHA-256 (hex) of the file (of its first ``limit`` bytes): the one way every file is
    hashed. Opened without blocking, and refused unless regular: a FIFO put in its place never
    hangs the scan."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        digest = hashlib.sha256()
        left = limit
        while chunk := f.read(HASH_CHUNK if left is None else min(HASH_CHUNK, left)):
            digest.update(chunk)
            if left is not None:
                left -= len(chunk)
    return digest.hexdigest()


def copy_hashed(source: IO[bytes], target: IO[bytes]) -> str:
    """Copy ``source`` to ``target`` by chunks; return the SHA-256 (hex) of what was copied."""
    digest = hashlib.sha256()
    while chunk := source.read(HASH_CHUNK):
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest()


def refuse_existing(path: Path) -> None:
    """Raise OutputError if ``path`` exists: we never overwrite an output silently."""
    if path.exists():
        raise OutputError(_("{path}: already exists").format(path=path),
                          remedy=_("Choose another output file, or move the old one "
                                   "away."))


def write_private(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically: the file is complete or absent.

    Partials of ``path`` that a killed run left behind are removed first.

    Raises
    ------
    OutputError, DiskFullError, ReadOnlyError, NoPermissionError
        ``path`` exists (and ``overwrite`` is false), or cannot be written.
    """
    path = Path(path)
    if not overwrite:
        refuse_existing(path)
    sweep_partials(path.parent, [path.name])
    with Partial(path) as partial:
        partial.write(data)
        partial.commit()


# ---------------------------------------------------------------------- failures, told apart

def os_failure(path: Path | str, exc: OSError) -> TinnhiemError:
    """The error to report for ``exc``, raised while writing ``path``: its cause, its remedy."""
    reason = exc.strerror or str(exc)
    if exc.errno in NO_SPACE_ERRNOS:
        return DiskFullError(_("{path}: cannot be written: the disk is full "
                               "({free} free)").format(path=path, free=free_space(Path(path))),
                             remedy=_(REMEDY_NO_SPACE))
    if exc.errno == errno.EROFS:
        return ReadOnlyError(_("{path}: cannot be written: it is on a read-only medium "
                               "or mount").format(path=path),
                             remedy=_(REMEDY_READ_ONLY))
    if exc.errno in DENIED_ERRNOS:
        return NoPermissionError(_("{path}: cannot be written: permission denied "
                                   "({reason})").format(path=path, reason=reason),
                                 remedy=_(REMEDY_PERMISSION))
    return OutputError(_("{path}: cannot be written ({reason})").format(path=path, reason=reason),
                       remedy=_(REMEDY_OUTPUT))


def free_space(path: Path) -> str:
    """The free space of the disk holding ``path`` (or its nearest existing folder), for people."""
    for folder in (path, *path.parents):
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            continue
        for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
            if free >= size:
                return f"{free / size:.1f} {unit}"
        return f"{free} bytes"
    return "free space unknown"


# ---------------------------------------------------------------------- partial files

def partial_path(path: Path, tag: str) -> Path:
    """Where ``path`` is written before it is renamed into place."""
    return path.with_name(f".{path.name}.{tag}{PARTIAL_SUFFIX}")


def partial_target(partial: Path) -> tuple[str, str] | None:
    """``(final name, tag)`` of a partial's name, or None if it is not a partial."""
    name = partial.name
    if not (name.startswith(".") and name.endswith(PARTIAL_SUFFIX)):
        return None
    target, dot, tag = name[1:-len(PARTIAL_SUFFIX)].rpartition(".")
    return (target, tag) if dot and target else None


class Partial:
    """``path`` being written under a hidden locked name beside it; :meth:`commit` puts it in place.

    Leaving the ``with`` block without committing removes the partial. ``tag`` names it (random
    by default), so that the next run can tell what a partial left by a kill was for.
    """

    def __init__(self, path: Path, *, tag: str | None = None) -> None:
        self.path = Path(path)
        self.temp = partial_path(self.path, tag or secrets.token_hex(4))
        self._fd: int | None = None
        self._committed = False

    def __enter__(self) -> Partial:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = _create_locked(self.temp)
        except OSError as exc:
            raise os_failure(self.path, exc) from exc
        return self

    def write(self, data: bytes) -> None:
        """Write all of ``data`` and sync it to the disk."""
        assert self._fd is not None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            os.fsync(self._fd)
        except OSError as exc:
            raise os_failure(self.path, exc) from exc

    def fileobj(self):
        """A binary file object writing into the partial (the caller syncs with :meth:`sync`)."""
        assert self._fd is not None
        return open(self._fd, "wb", closefd=False)

    def sync(self) -> None:
        assert self._fd is not None
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise os_failure(self.path, exc) from exc

    def commit(self) -> None:
        """Rename the partial into place (atomically) and sync the folder."""
        try:
            os.replace(self.temp, self.path)
            sync_folder(self.path.parent)
        except OSError as exc:
            raise os_failure(self.path, exc) from exc
        self._committed = True

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            with contextlib.suppress(OSError):
                self.temp.unlink()
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_locked(path: Path) -> int:
    """Create ``path`` (0600, new) and lock it; made again if a sweeper removed it meanwhile."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(fd, path):
            return fd
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def take_abandoned(path: Path) -> int | None:
    """A locked descriptor of ``path`` if no living process holds it (its writer was killed),
    else None. The caller removes or renames ``path``, then closes the descriptor."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _same_file(fd, path):
            return fd
    except BlockingIOError:
        pass  # its writer is alive
    os.close(fd)
    return None


def sweep_partials(folder: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Remove the partials in ``folder`` (of the files ``names`` only, if given) whose writer
    is gone, and those an earlier version left (``.NAME-XXXXXXXX``). Returns those removed."""
    wanted = set(names) if names is not None else None
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        target = partial_target(entry)
        name = target[0] if target else _legacy_target(entry.name, wanted)
        if name is None or (wanted is not None and name not in wanted):
            continue
        fd = take_abandoned(entry)
        if fd is None:
            continue
        try:
            entry.unlink()
            removed.append(entry)
        except OSError:
            pass  # a read-only folder: nothing to clean there
        finally:
            os.close(fd)
    return removed


def _legacy_target(name: str, wanted: set[str] | None) -> str | None:
    if wanted is None or not name.startswith("."):
        return None
    for target in wanted:
        suffix = name[1 + len(target):]  # "-XXXXXXXX" after ".NAME"
        if name[1:].startswith(target) and suffix[:1] == "-" and \
                len(suffix) == 1 + LEGACY_TEMP_CHARS:
            return target
    return None


# ---------------------------------------------------------------------- locked folders

@contextlib.contextmanager
def locked_folder(folder: Path) -> Iterator[None]:
    """Hold ``folder`` (created if needed) for ourselves: one writer of a set of files at a time."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise os_failure(folder, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def new_locked_folder(prefix: str, *, parent: Path | None = None,
                      holds_only: frozenset[str] | None = None) -> Iterator[Path]:
    """A new owner-only folder ``prefix`` + 8 random characters in ``parent`` (by default the
    system temp folder), locked while the block runs; the caller removes or renames it.

    Such folders left in ``parent`` by a killed run (unlocked, and holding only files named in
    ``holds_only``, if given) are removed first.
    """
    sweep_folders(prefix, parent=parent, holds_only=holds_only)
    while True:
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))  # mode 0700
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(fd, path):
            break
        os.close(fd)
    try:
        yield path
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def private_temp_folder(purpose: str) -> Iterator[Path]:
    """A new owner-only folder in the system temp folder, locked while in use and removed after.

    Folders of the same ``purpose`` left by a killed run are removed first. Never put a copy of
    a store in it: only files that are no secret beyond the conference's scans.
    """
    with new_locked_folder(f"{TEMP_DIR_PREFIX}{purpose}-") as path:
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


TEMP_NAME_CHARS = 8  # tempfile.mkdtemp's random part: [a-z0-9_]


def sweep_folders(prefix: str, *, parent: Path | None = None,
                  holds_only: frozenset[str] | None = None) -> list[Path]:
    """Remove our folders ``prefix`` + 8 random characters in ``parent`` (by default the system
    temp folder) whose user is gone, and that hold only files named in ``holds_only`` if given
    (so that nobody's own folder of a like name is ever touched). Returns those removed."""
    removed: list[Path] = []
    base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    try:
        entries = [p for p in base.iterdir() if p.name.startswith(prefix) and
                   len(p.name) == len(prefix) + TEMP_NAME_CHARS]
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_symlink() or not entry.is_dir() or entry.stat().st_uid != os.getuid():
                continue
            if holds_only is not None and not {p.name for p in entry.iterdir()} <= holds_only:
                continue
            fd = os.open(entry, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(fd, entry):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        except BlockingIOError:
            pass
        finally:
            os.close(fd)
    return removed
