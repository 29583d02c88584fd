"""The audit of a count's documents: no minutes, and no spreadsheet, that the log does not know.

Each tally in the event log records the SHA-256 of every document it wrote (the minutes PDF,
``results.xlsx``, ``results.csv``). A document in the results folder must be one of those; when a
tally of an earlier version recorded no hashes, the minutes and the workbook are known by the
fingerprint printed in them, and the CSV by being exactly the CSV of the recomputed results.

Since tallies are versions of their own, each in its folder (``ket-qua/lan-NN-…``), every
version folder is checked alone: its documents must come from the same tally, and that tally
must be the one the log records with that folder. Documents directly in ``ket-qua/`` (written by
earlier versions of tinnhiem) are checked as before. ``BAN-CHINH-THUC.txt`` must name an official
tally's folder.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ballotgen.i18n import N_, _
from tally.count import Results
from tally.publish import (
    CSV_FILE,
    MINUTES_FILE,
    OFFICIAL_FILE,
    OUTPUT_DIR,
    OUTPUT_FILES,
    XLSX_FILE,
    versions,
)
from tally.report import results_csv
from tally.store import Event, EventKind

if TYPE_CHECKING:
    from tally.audit import AuditReport

FINGERPRINT = re.compile(r"Mã kiểm tra:?\s*([0-9A-F]{4}(?:-[0-9A-F]{4}){3})")
HEADING_ROWS = 10  # the workbook's heading, where its fingerprint is printed
MAX_DOCUMENT_BYTES = 200 << 20  # a document larger than this is not one of ours
WHAT = {MINUTES_FILE: N_("minutes"), XLSX_FILE: N_("a workbook"),
        CSV_FILE: N_("a results file")}


def check_documents(report: AuditReport, folder: Path, events: list[Event],
                    recomputed: dict[int, Results]) -> None:
    """Add to ``report`` every document in ``folder`` (the results folder) that no tally of
    ``events`` wrote, and documents that come from different tallies, folder by folder.
    ``recomputed``: each tally's results, by seq."""
    from tally.audit import Difference

    checked = _of_folder(report, folder, OUTPUT_DIR, events, recomputed)[1]
    by_folder = {e.data.get("folder"): e for e in events
                 if e.kind == EventKind.TALLY_PRODUCED and e.data.get("folder")}
    for version in versions(folder):
        where = f"{OUTPUT_DIR}/{version.name}"
        seqs, known = _of_folder(report, version, where, events, recomputed)
        checked += known
        recorded = by_folder.get(version.name)
        if seqs and (recorded is None or recorded.seq not in seqs):
            report.differences.append(Difference(
                where, _("its documents are not those of the tally the log records in "
                         "this folder"),
                recorded.data.get("fingerprint", "") if recorded else "", ""))
    official = folder / OFFICIAL_FILE
    if official.is_file():
        named = _read(official).decode("utf-8", "replace").splitlines()[:1]
        name = named[0].rsplit(" ", 1)[-1] if named else ""
        tally = by_folder.get(name)
        if tally is None or not tally.data.get("final"):
            report.differences.append(Difference(
                f"{OUTPUT_DIR}/{OFFICIAL_FILE}",
                _("names a folder that is not an official tally's"), name, ""))
    report.checked[N_("documents")] = checked


def _of_folder(report: AuditReport, folder: Path, where: str, events: list[Event],
               recomputed: dict[int, Results]) -> tuple[set[int], int]:
    """Check the documents directly in ``folder``: the seqs of the tallies that may have
    written them all (empty when there are none, or they do not agree), and how many
    documents a tally of the log wrote."""
    from tally.audit import Difference

    tallies = [e for e in events if e.kind == EventKind.TALLY_PRODUCED]
    written: dict[tuple[str, str], list[Event]] = {}  # one document may be of several tallies
    for tally in tallies:
        for name, sha in tally.data.get("outputs", {}).items():
            written.setdefault((name, sha), []).append(tally)
    legacy = [e for e in tallies if not e.data.get("outputs")]  # recorded no document hashes
    of_document: dict[str, list[Event]] = {}
    for name in OUTPUT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        data = _read(path)
        candidates = written.get((name, hashlib.sha256(data).hexdigest()), [])
        printed = printed_fingerprint(name, data) if not candidates or legacy else None
        candidates = candidates + _earlier_version_tallies(name, data, printed, legacy,
                                                          recomputed)
        if not candidates:
            what = _("{document} whose fingerprint no tally in the log has") if printed \
                else _("{document} that no tally in the log wrote")
            report.differences.append(Difference(f"{where}/{name}",
                                                 what.format(document=_(WHAT[name])),
                                                 printed or "", ""))
            continue
        of_document[name] = candidates
    shared = set.intersection(*({e.seq for e in c} for c in of_document.values())) \
        if of_document else set()
    if of_document and not shared:
        report.differences.append(Difference(
            where, _("its documents come from different tallies"),
            "; ".join(f"{name}: {c[-1].data.get('fingerprint')}"
                      for name, c in of_document.items())))
    return shared, len(of_document)


def printed_fingerprint(name: str, data: bytes) -> str | None:
    """The fingerprint printed in the minutes or the workbook ``data``, or None."""
    try:
        if name == MINUTES_FILE:
            return _pdf_fingerprint(data)
        if name == XLSX_FILE:
            return _xlsx_fingerprint(data)
    except Exception:  # noqa: BLE001 - a damaged document carries no fingerprint we can read
        return None
    return None


def _earlier_version_tallies(name: str, data: bytes, printed: str | None, tallies: list[Event],
                             recomputed: dict[int, Results]) -> list[Event]:
    """The tallies of ``tallies`` (recorded without their documents' hashes) that may have
    written this document."""
    found = []
    for tally in tallies:
        by_fingerprint = printed is not None and tally.data.get("fingerprint") == printed
        by_content = name == CSV_FILE and tally.seq in recomputed and \
            results_csv(recomputed[tally.seq]) == data
        if by_fingerprint or by_content:
            found.append(tally)
    return found


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(MAX_DOCUMENT_BYTES)


def _pdf_fingerprint(data: bytes) -> str | None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        if len(document) == 0:
            return None
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    match = FINGERPRINT.search(text)
    return match.group(1) if match else None


def _xlsx_fingerprint(data: bytes) -> str | None:
    import zipfile

    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # a bomb is not opened: not ours
        if sum(info.file_size for info in archive.infolist()) > MAX_DOCUMENT_BYTES:
            return None
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(max_row=HEADING_ROWS, max_col=1, values_only=True):
            match = FINGERPRINT.search(str(row[0] or ""))
            if match:
                return match.group(1)
    finally:
        workbook.close()
    return None
