"""Exports of the store's content for people and other programs.

Every CSV the product writes (``results.csv``, ``readings.csv``, the audit archive's
``decisions.csv``) goes through :func:`csv_text`, which neutralises spreadsheet formulas: names,
notes and file names come from people, and a cell such as ``=HYPERLINK(…)`` must stay text when
the file is opened in a spreadsheet program.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ballotgen.vocabulary import LEVELS, ROW_FLAG_OF, Flag, PageKind
from tally.files import write_private
from tally.resolve import resolved_ballots
from tally.store import Store

READINGS_FILE = "readings.csv"

# A spreadsheet program reads a cell starting with one of these as a formula (OWASP, "CSV
# injection"); such a text is written with a leading apostrophe, which makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")  # a number is not a formula: left as it is


def safe_cell(value: object) -> object:
    """``value``, or a text that starts like a formula with the leading apostrophe added."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and \
            not PLAIN_NUMBER.fullmatch(value):
        return FORMULA_ESCAPE + value
    return value


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """The CSV text of ``header`` and ``rows``, formulas neutralised; ``None`` is an empty cell.

    Lines end with CRLF (RFC 4180), so that a CR or LF inside a field is always quoted.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in (header, *rows):
        writer.writerow([safe_cell("" if cell is None else cell) for cell in row])
    return out.getvalue()


READINGS_COLUMNS = ["file", "page_index", "ballot", "ballot_page", "person", "reading",
                    "flagged", "reasons", *(f"score_{level}" for level in LEVELS)]
ROW_FLAGS = frozenset({*ROW_FLAG_OF.values(), Flag.NAME_CROSSED})  # a row's own flags


def readings_csv(store: Store) -> str:
    """One row per ballot row: where it was scanned, what was read, why it is flagged, the raw
    scores. Pages without rows (foreign, unreadable, blank) get one row with an empty person."""
    lines = []
    pages = store.pages()  # blank backs too, which belong to no ballot
    ballot_of = {page.id: r.ballot for r in resolved_ballots(store, pages=pages)
                 for page in r.ballot.pages}
    for page in pages:
        r = page.reading
        ballot = ballot_of.get(page.id)
        ballot_flags = set(ballot.flags) if ballot else set()
        where = [page.file_name, page.page_index, ballot.number if ballot else "", r.page or ""]
        if not r.rows:
            reasons: list[str] = sorted(ballot_flags | set(r.flags)) or \
                ([r.kind] if r.kind == PageKind.BLANK else [])
            lines.append([*where, "", r.kind, int(bool(ballot_flags or r.flags)),
                          ";".join(reasons), "", "", ""])
            continue
        for row in r.rows:
            reasons = sorted(set(row.flags) | (ballot_flags - ROW_FLAGS))
            lines.append([*where, row.person, row.reading, int(bool(ballot_flags)),
                          ";".join(reasons), *(f"{s:.4f}" for s in row.scores)])
    return csv_text(READINGS_COLUMNS, lines)


@dataclass(frozen=True)
class ReadingsExport:
    path: Path
    rows: int  # ballot rows and pages without rows, below the header


def export_readings(folder: Path, output: Path | None = None) -> ReadingsExport:
    """Write :func:`readings_csv` of the conference in ``folder`` to ``output`` (by default
    ``DIR/readings.csv``), owner-only, replacing an earlier export. The store is only read."""
    with Store.open(folder, readonly=True) as store:
        text = readings_csv(store)
    path = Path(output) if output else Path(folder) / READINGS_FILE
    write_private(path, text.encode("utf-8"), overwrite=True)
    return ReadingsExport(path, text.count("\n") - 1)
