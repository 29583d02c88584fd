"""``tinnhiem status``: what a conference folder holds, read without changing anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ballotgen.conference import Conference
from ballotgen.vocabulary import BallotState
from tally.resolve import resolved_ballots
from tally.store import BatchRecord, Event, EventKind, SetAside, Store


@dataclass(frozen=True)
class Status:
    conference: Conference
    batches: tuple[BatchRecord, ...]
    pages: int  # pages scanned in (files superseded by their complete version left out)
    ballots: int
    flagged: int  # ballots held for review, or flagged by hand
    waiting: int  # of which still wait for a decision
    last_tally: Event | None  # the latest tally in the log (an intact event)
    broken: tuple[str, ...]  # what is wrong with the event log (nothing: intact)
    set_aside: tuple[tuple[str, SetAside], ...] = ()  # (file label, record): files not counted

    @property
    def printed(self) -> int:
        return sum(b.copies for b in self.batches)


def conference_status(folder: Path) -> Status:
    """The state of the conference in ``folder``, read-only (a folder on a read-only medium is
    read as it is)."""
    with Store.open(folder, readonly=True) as store:
        conference = store.conference()
        files = {f.sha256: f for f in store.scan_files()}
        pages = store.pages()
        resolved = resolved_ballots(store, pages=pages)
        tallies = [e for e in store.events()
                   if e.kind == EventKind.TALLY_PRODUCED and not e.damaged]
        return Status(conference, tuple(store.batches()), len(pages), len(resolved),
                      sum(bool(r.reasons) for r in resolved),
                      sum(r.state == BallotState.OPEN for r in resolved),
                      tallies[-1] if tallies else None, tuple(store.verify_chain()),
                      tuple((files[sha].label if sha in files else sha, record)
                            for sha, record in store.set_aside().items()))
