"""A rehearsal of the vote on a real conference folder: the library behind ``tinnhiem simulate``.

The conference's latest printed batch is read from its store (read-only), then the simulator fills
and scans its ballots (:func:`rehearsal.simulate.simulate_stack`) into a new folder, with the
truth beside the scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ballotgen.errors import ConferenceError, InputFileError, RequestError
from ballotgen.render import Batch
from rehearsal.simulate import Issued, Rescan, simulate_stack
from rehearsal.voters import Mistakes, read_votes
from tally.store import Store


def issued_ballots(store: Store) -> Issued:
    """The latest printed batch of the conference, with the exact layout it was printed from."""
    batches = store.batches()
    if not batches:
        raise ConferenceError(f"{store.folder}: no ballots have been printed yet",
                              remedy=f"Print them first: tinnhiem print {store.folder} --copies N")
    record = batches[-1]
    layout = store.layout(record.layout_hash)
    assert layout is not None  # recorded with the batch
    serials = tuple(sorted(store.issued_serials(record.code))) or None
    return Issued(store.conference(), layout, Batch(record.code, record.copies, serials),
                  store.secret())


@dataclass(frozen=True)
class SimulationResult:
    folder: Path
    truth: dict  # as written to folder/truth.json


def simulate_vote(folder: Path, output: Path, *, voters: int | None, votes: Path | None = None,
                  profile: str = "office", fmt: str = "pdf", dpi: int | None = None,
                  seed: int = 0, rates: dict[str, float] | None = None,
                  foreign: int = 0, mode: str | None = None,
                  rescan: Rescan | None = None) -> SimulationResult:
    """Simulate ``voters`` filling in the conference's latest printed ballots and the scanner's
    output, written into the new folder ``output`` with ``truth.json`` beside the scans. With
    ``rescan``, the sheets the same arguments fill are scanned once more as it says."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise RequestError(f"{output}: already exists and is not empty",
                           remedy="Choose a new folder for the simulated scans.")
    with Store.open(folder, readonly=True) as store:
        issued = issued_ballots(store)
    choices = read_votes(votes, issued.layout.persons) if votes else None
    if choices is not None and voters is not None and voters != len(choices):
        raise InputFileError(votes, f"has {len(choices)} voters but --voters says {voters}",
                             remedy="Leave out --voters, or make them agree.")
    count = len(choices) if choices is not None else voters
    if not count:
        raise RequestError("how many voters?", remedy="Give --voters N or --votes FILE.")
    if count > issued.batch.copies:
        raise RequestError(f"only {issued.batch.copies} ballots were printed (batch "
                           f"{issued.batch.code}) for {count} voters",
                           remedy="Print more ballots, or simulate fewer voters.")
    try:
        mistakes = Mistakes().with_overrides(rates or {})
    except ValueError as exc:
        raise RequestError(f"--rate: {exc}") from None
    truth = simulate_stack(issued, output, voters=count, profile=profile, fmt=fmt, dpi=dpi,
                           seed=seed, mistakes=mistakes, choices=choices, foreign=foreign,
                           mode=mode, rescan=rescan)
    return SimulationResult(output, truth)
