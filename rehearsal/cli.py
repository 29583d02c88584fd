"""The rehearsal commands of ``tinnhiem``: ``simulate`` and ``simulate-review``.

They are registered as plugins of the command line (the entry point group ``tinnhiem.commands``
in ``pyproject.toml``), which ``tally.cli`` looks up by name when it is asked for a command it
does not hold itself. So the production packages never import :mod:`rehearsal`, and a
distribution without it has a ``tinnhiem`` command without these two.
"""

from __future__ import annotations

from pathlib import Path

import click

from ballotgen.i18n import N_, _
from tally.cli.options import conference_dir


def _rates(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, float]:
    rates = {}
    for item in value:
        name, __, number = item.partition("=")
        try:
            rates[name.strip()] = float(number)
        except ValueError:
            raise click.BadParameter(_("{item} is not NAME=RATE, e.g. multi_mark=0.05").format(
                item=repr(item))) from None
    return rates


@click.command(help=N_("Simulate a vote: ballots filled by hand and scanned, with the truth "
                       "beside them."))
@conference_dir
@click.option("--voters", type=click.IntRange(min=1), metavar="N",
              help=N_("Number of voters (default: one per row of --votes)."))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
              help=N_("New folder for the scans and truth.json."))
@click.option("--votes", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help=N_("CSV of intended choices: header 'voter,<STT>,…', one row per voter, cells "
                   "cao / tin_nhiem / thap or empty. Default: a realistic random spread."))
@click.option("--profile", type=click.Choice(["clean", "office", "rough"]), default="office",
              show_default=True, help=N_("How good the scanner and the handling are."))
@click.option("--format", "fmt", type=click.Choice(["pdf", "tiff", "jpeg", "png"]), default="pdf",
              show_default=True, help=N_("One multi-page PDF or TIFF, or one image per page."))
@click.option("--dpi", type=click.IntRange(150, 600),
              help=N_("Scan resolution [default: the profile's]."))
@click.option("--seed", type=int, help=N_("Seed for a reproducible stack [default: random]."))
@click.option("--foreign", type=click.IntRange(min=0), default=0, metavar="N",
              help=N_("Add N foreign sheets: another conference's ballot, a damaged or missing "
                   "code, a photocopy."))
@click.option("--rate", "rates", multiple=True, callback=_rates, metavar=N_("NAME=RATE"),
              help=N_("Change how often voters do something, e.g. --rate multi_mark=0.05. Names: "
                   "blank_row, multi_mark, correction, crossed_name, write_in, signature, stray, "
                   "blank_ballot, smudge, stamp, spill."))
@click.option("--rescan", type=int, metavar=N_("SEED"),
              help=N_("Scan the same sheets once more: those the other options fill (the same "
                   "--seed, --voters, --votes, --rate, --foreign, --profile and --dpi), fed "
                   "through the scanner again with its own draws (SEED), at a resolution of "
                   "its own, written as --format says. Rehearses a stack scanned twice."))
def simulate(folder: Path, voters: int | None, output: Path, votes: Path | None, profile: str,
             fmt: str, dpi: int | None, seed: int | None, foreign: int,
             rates: dict[str, float], rescan: int | None) -> None:
    import secrets

    from rehearsal.simulate import Rescan
    from rehearsal.vote import simulate_vote

    seed = seed if seed is not None else secrets.randbelow(10**6)
    result = simulate_vote(folder, output, voters=voters, votes=votes, profile=profile, fmt=fmt,
                           dpi=dpi, seed=seed, rates=rates, foreign=foreign,
                           rescan=Rescan(rescan) if rescan is not None else None)
    truth = result.truth
    files = sorted({p["file"] for p in truth["pages"]})
    shown = files[0] if len(files) == 1 else f"{files[0]} … {files[-1]}"
    click.echo(_("Simulated {voters} voters: {pages} pages ({profile} scanner, {dpi} dpi {mode}, "
                 "seed {seed}) → {path}").format(
        voters=truth["voters"], pages=len(truth["pages"]), profile=truth["profile"],
        dpi=truth["dpi"], mode=truth["mode"], seed=seed, path=f"{result.folder}/{shown}"))
    counts: dict[str, int] = {}
    for page in truth["pages"]:
        for flag in page["flags"]:
            counts[flag] = counts.get(flag, 0) + 1
    if counts:
        click.echo(_("Pages a reader must flag: {counts}").format(
            counts=", ".join(f"{k} {v}" for k, v in sorted(counts.items()))))
    click.echo(_("Truth: {path}").format(path=f"{result.folder}/truth.json"))


@click.command("simulate-review", help=N_(
    "For demos: a simulated committee resolves the flagged ballots of a simulated vote.\n\n"
    "Its decisions are recorded like any other, under the reviewer name \"Ban Kiểm phiếu mô "
    "phỏng (demo)\". Never use it on a real conference."))
@conference_dir
@click.option("--truth", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help=N_("truth.json written by 'tinnhiem simulate'."))
def simulate_review(folder: Path, truth: Path) -> None:
    from rehearsal.committee import resolve_from_truth

    decided = resolve_from_truth(folder, truth)
    click.echo(_("The simulated committee decided {n} flagged ballots.").format(n=decided))
