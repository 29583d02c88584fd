"""Withdrawing a scanned file: ``tinnhiem withdraw`` and the review page's *Rút lại tệp*.

A file scanned in by mistake (the same stack scanned twice, a file of another conference, a
test scan) is withdrawn as a whole by one recorded action, instead of deciding each of its
ballots *Không tính*. The file stays recorded, kept beside the store, in the event log and in
the audit archive; only its pages no longer count (``Store.pages`` leaves them out, and an
audit recomputes every tally with the files withdrawn before it). A withdrawal is final: a
file is known by its content, so scanning it in again adds nothing; to count that paper after
all, the committee scans the sheets again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ballotgen.errors import RequestError
from ballotgen.i18n import _
from ballotgen.vocabulary import SetAsideHow
from tally.files import file_sha256
from tally.store import SHORT_HASH, ScanFileRecord, Store

MIN_HASH_PREFIX = 6  # hex digits of a SHA-256 that name a file


@dataclass(frozen=True)
class Withdrawn:
    file: ScanFileRecord
    pages: int  # pages of the file read, which no longer count
    already: bool  # it had been set aside before (the first record stands)


def find_file(store: Store, given: str) -> ScanFileRecord:
    """The ingested file that ``given`` names: the path of the file itself (known by its
    content), the start of its SHA-256 (at least ``MIN_HASH_PREFIX`` digits, as the review page
    shows it), or its name when no other file has it.

    Raises
    ------
    RequestError
        No file, or more than one, answers to ``given`` (the candidates are listed).
    """
    files = store.scan_files()
    path = Path(given)
    if path.is_file():
        try:
            sha = file_sha256(path)
        except OSError:
            sha = ""
        for record in files:
            if record.sha256 == sha:
                return record
    text = given.strip().lstrip("#").lower()
    found = []
    if len(text) >= MIN_HASH_PREFIX and all(c in "0123456789abcdef" for c in text):
        found = [r for r in files if r.sha256.startswith(text)]
    if not found:
        found = [r for r in files if r.name == path.name]
    if len(found) == 1:
        return found[0]
    if not found:
        raise RequestError(_("{given}: no file of that content, name or hash was scanned into "
                             "this conference").format(given=given),
                           remedy=_("Give the file as it was scanned in, or the first {n} "
                                    "digits of its hash (the review page shows them).").format(
                                        n=SHORT_HASH))
    listed = "; ".join(r.label for r in found)
    raise RequestError(_("{given}: {n} files answer to it ({listed})").format(
                           given=given, n=len(found), listed=listed),
                       remedy=_("Give the start of the hash of the one you mean."))


def withdraw_file(folder: Path, given: str, *, reason: str, by: str) -> Withdrawn:
    """Withdraw the file ``given`` names (see :func:`find_file`) from the conference in
    ``folder``: recorded with ``reason`` and who (``by``), in the store and the event log."""
    with Store.open(folder) as store:
        record = find_file(store, given)
        pages = len(store.pages_read(record.sha256))
        recorded = store.record_set_aside(record.sha256, SetAsideHow.WITHDRAWN,
                                          reason=reason, by=by)
        return Withdrawn(record, pages, not recorded)
