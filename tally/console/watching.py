"""Watched folders for Quét phiếu: the folder an office scanner scans into, polled by a
background thread; each file arriving there is kept in the conference and read, as an upload is.

Only files that arrive (or change) after the watch begins are taken, unless the clerk asks for
the files already there too: an office scanner's folder often holds other days' scans, which
would otherwise be read into this conference as foreign sheets. A file is taken only once its
size and modification time have stayed the same for one poll
(the scanner has finished writing it). It is then copied whole into the conference's uploads
(:func:`tally.console.scanning.save_scans`), the copy's content hash compared with the hash
taken before (a file still changing is tried again at the next poll), and read by the
conference's reading job (:class:`tally.console.scanning.Readers`), so the review queue fills
while scanning goes on. Each file is taken once, by content hash: a file whose content is
already in the store or among the conference's uploads is left alone, whatever its name. The
watched folder itself is never changed (the scanner's files stay where they are).

A conference's watches outlive the console: they are written to ``WATCHES_FILE`` in its folder
(owner-only), with the files that were there before each watch began, and taken up again when
the console starts (:meth:`Watchers.restore`). Files that arrived while the console was stopped
are then read; those there before the watch began are still left alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ballotgen.errors import TinnhiemError
from ballotgen.i18n import _
from tally.console.scanning import Readers, save_scans, unread, upload_sha256, uploads
from tally.files import file_sha256, write_private
from tally.store import Store

POLL_SECONDS = 3.0
WATCHES_FILE = ".tinnhiem-thu-muc-quet.json"  # in a conference folder: its watched folders

log = logging.getLogger("tinnhiem.console")


class WatchError(ValueError):
    """A folder that cannot be watched; ``str(error)`` names it and says why."""


def check_watched(path_text: str, *, workspace: Path) -> Path:
    """The folder typed by the clerk, refused when it is not a readable folder, or lies in the
    workspace (its conferences' own files)."""
    if not path_text.strip():
        raise WatchError(_("Give the folder the scanner saves its files into."))
    path = Path(path_text.strip()).expanduser()
    if not path.is_absolute():
        raise WatchError(_("{path}: give the whole path of the folder, from the start (for "
                           "example /home/van-thu/may-quet).").format(path=path_text.strip()))
    if not path.exists():
        raise WatchError(_("{path}: there is no such folder.").format(path=path))
    if not path.is_dir():
        raise WatchError(_("{path}: is a file, not a folder.").format(path=path))
    try:
        next(path.iterdir(), None)
    except OSError:
        raise WatchError(_("{path}: the console may not read this folder.").format(
            path=path)) from None
    resolved, root = path.resolve(), workspace.resolve()
    if resolved == root or root in resolved.parents or resolved in root.parents:
        raise WatchError(_("{path}: is the workspace or holds it; choose the scanner's own "
                           "folder.").format(path=path))
    return resolved


@dataclass
class Watch:
    """One watched folder of a conference, and what its thread has done."""

    path: Path
    existing: bool = False  # whether files there before the watch began are read too
    taken: list[str] = field(default_factory=list)  # names of the files taken, in order
    skipped: int = 0  # files already in the conference (the same content)
    last_poll: str = ""  # the computer's local time, HH:MM:SS
    error: str | None = None  # the last poll's problem (e.g. the folder is gone)
    looked: bool = False  # whether the folder was looked at once
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    sizes: dict[Path, tuple[int, int]] = field(default_factory=dict, repr=False)
    done: set[tuple[Path, int, int]] = field(default_factory=set, repr=False)  # taken whole
    mine: list[Path] = field(default_factory=list, repr=False)  # the uploads it made
    left: set[tuple[str, int, int]] = field(default_factory=set, repr=False)  # there before

    @property
    def before(self) -> int:
        """Files there before the watch began, left alone (not ``existing``)."""
        return len(self.left)


class Watchers:
    """The watched folders of the console's conferences, each polled by a thread of its own."""

    def __init__(self, readers: Readers, *, poll: float = POLL_SECONDS) -> None:
        self.readers, self.poll = readers, poll
        self._watches: dict[Path, list[Watch]] = {}
        self._lock = threading.Lock()

    def of(self, folder: Path) -> list[Watch]:
        with self._lock:
            return list(self._watches.get(folder, ()))

    def start(self, folder: Path, path: Path, *, existing: bool = False) -> Watch | None:
        """Watch ``path`` for the conference in ``folder`` (with ``existing``, the files there
        already are read too); None if it is watched already."""
        with self._lock:
            watches = self._watches.setdefault(folder, [])
            if any(w.path == path for w in watches):
                return None
            watch = Watch(path, existing)
            watches.append(watch)
            self._save(folder)
        self._spawn(folder, watch)
        return watch

    def stop(self, folder: Path, path: str) -> bool:
        with self._lock:
            watches = self._watches.get(folder, [])
            for watch in watches:
                if str(watch.path) == path:
                    watch.stop.set()
                    watches.remove(watch)
                    self._save(folder)
                    return True
        return False

    def restore(self, folder: Path) -> list[Watch]:
        """Watch again the folders the conference in ``folder`` was watching when the console
        stopped (a file that cannot be read is logged and left: the clerk names them again)."""
        try:
            saved = json.loads((folder / WATCHES_FILE).read_text(encoding="utf-8"))
            entries = [(Path(e["path"]), bool(e["existing"]),
                        {(str(n), int(s), int(m)) for n, s, m in e["left"]}) for e in saved]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.error("watched folders not restored: %s", type(exc).__name__)
            return []
        restored = []
        with self._lock:
            watches = self._watches.setdefault(folder, [])
            for path, existing, left in entries:
                if any(w.path == path for w in watches):
                    continue
                watch = Watch(path, existing, looked=True, left=left)
                watch.done.update((path / name, size, mtime) for name, size, mtime in left)
                watches.append(watch)
                restored.append(watch)
        for watch in restored:
            self._spawn(folder, watch)
        return restored

    def _spawn(self, folder: Path, watch: Watch) -> None:
        threading.Thread(target=self._run, args=(folder, watch), daemon=True,
                         name="tinnhiem-watch").start()

    def _save(self, folder: Path) -> None:
        """Write the conference's watches to ``WATCHES_FILE`` (under the lock)."""
        saved = [{"path": str(w.path), "existing": w.existing,
                  "left": sorted([n, s, m] for n, s, m in w.left)}
                 for w in self._watches.get(folder, [])]
        try:
            write_private(folder / WATCHES_FILE, json.dumps(saved, ensure_ascii=False).encode(),
                          overwrite=True)
        except (TinnhiemError, OSError) as exc:  # the watch goes on; only a restart forgets it
            log.error("watched folders not saved: %s", type(exc).__name__)

    def stop_all(self) -> None:
        with self._lock:
            for watches in self._watches.values():
                for watch in watches:
                    watch.stop.set()
            self._watches.clear()

    def _run(self, folder: Path, watch: Watch) -> None:
        while not watch.stop.is_set():
            try:
                self.poll_once(folder, watch)
                watch.error = None
            except TinnhiemError as exc:
                watch.error = exc.message
            except OSError as exc:
                watch.error = _("{path}: cannot be read ({problem}).").format(
                    path=watch.path, problem=exc.strerror or type(exc).__name__)
            except Exception as exc:  # a bug: the page says so, the thread goes on
                log.error("watched folder poll failed: %s", type(exc).__name__)  # no content
                watch.error = _("A fault of the software ({error}). Try again, and if it "
                                "fails again, tell the administrator.").format(
                                    error=type(exc).__name__)
            watch.last_poll = dt.datetime.now().strftime("%H:%M:%S")
            watch.stop.wait(self.poll)

    def poll_once(self, folder: Path, watch: Watch) -> None:
        """Take the files of the watched folder that stayed the same since the last poll, and
        have the uploads it made read."""
        now: dict[Path, tuple[int, int]] = {}
        for path in sorted(watch.path.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue  # hidden (a scanner's partial) or not a regular file
            info = path.stat()
            now[path] = (info.st_size, info.st_mtime_ns)
        if not watch.looked and not watch.existing:  # the first look: what was there before
            watch.done.update((p, *key) for p, key in now.items())
            watch.left = {(p.name, *key) for p, key in now.items()}
            with self._lock:
                if watch in self._watches.get(folder, []):
                    self._save(folder)
        watch.looked = True
        stable = [p for p, key in now.items()
                  if key[0] > 0 and watch.sizes.get(p) == key and (p, *key) not in watch.done]
        watch.sizes = now
        for path in stable:
            if watch.stop.is_set():
                return
            self._take(folder, watch, path, now[path])
        pending = [u for u in unread(folder) if u in watch.mine]
        if pending and not self.readers.running(folder):
            self.readers.start(folder, pending)

    def _take(self, folder: Path, watch: Watch, path: Path, key: tuple[int, int]) -> None:
        sha = file_sha256(path)
        if sha in _known_hashes(folder):
            watch.done.add((path, *key))
            watch.skipped += 1
            return
        with open(path, "rb") as data:
            upload = save_scans(folder, [(path.name, data)])
        copies = [p for p in upload.iterdir() if not p.name.startswith(".")]
        if [file_sha256(p) for p in copies] != [sha]:  # changed while copied: next poll
            for copy in copies:
                copy.unlink()
            upload.rmdir()
            return
        watch.done.add((path, *key))
        watch.taken.append(path.name)
        watch.mine.append(upload)
        # With a job reading already, that job reads this upload next, or the next poll
        # starts one (see poll_once).
        self.readers.start(folder, [upload])


def _known_hashes(folder: Path) -> set[str]:
    """The content hashes of the files the conference has: in its store and its uploads."""
    with Store.open(folder, readonly=True) as store:
        known = {f.sha256 for f in store.scan_files()}
    for upload in uploads(folder):
        for path in upload.iterdir():
            if not path.name.startswith(".") and path.is_file():
                known.add(upload_sha256(path))
    return known
