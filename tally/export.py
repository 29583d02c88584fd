"""Exports of the store's content for people and other programs."""

from __future__ import annotations

import csv
import io

from ballotgen.layout import LEVELS
from tally.ballots import assemble
from tally.store import Store

READINGS_COLUMNS = ["file", "page_index", "ballot", "ballot_page", "person", "reading", "flagged",
                    "reasons", *(f"score_{level}" for level in LEVELS)]


def readings_csv(store: Store) -> str:
    """One row per ballot row: where it was scanned, what was read, why it is flagged, the raw
    scores. Pages without rows (foreign, unreadable, blank) get one row with an empty person."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(READINGS_COLUMNS)
    pages = store.pages()
    ballot_of = {page.id: ballot for ballot in assemble(pages) for page in ballot.pages}
    for page in pages:
        r = page.reading
        ballot = ballot_of.get(page.id)
        ballot_flags = set(ballot.flags) if ballot else set()
        where = [page.file_name, page.page_index, ballot.number if ballot else "", r.page or ""]
        if not r.rows:
            reasons = sorted(ballot_flags | set(r.flags)) or ([r.kind] if r.kind == "blank" else [])
            writer.writerow([*where, "", r.kind, int(bool(ballot_flags or r.flags)),
                             ";".join(reasons), "", "", ""])
            continue
        for row in r.rows:
            reasons = sorted(set(row.flags) | (ballot_flags - {"blank_row", "multi_mark",
                                                               "unclear_mark", "name_crossed"}))
            writer.writerow([*where, row.person, row.reading, int(bool(ballot_flags)),
                             ";".join(reasons), *(f"{s:.4f}" for s in row.scores)])
    return out.getvalue()
