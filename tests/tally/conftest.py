"""The conferences the count's tests share, each printed, filled, scanned (and some reviewed and
tallied) once for the whole run, even with several workers: tests copy them and change only
their copies."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rehearsal.vote import simulate_vote
from tally.committee import add_members
from tally.console.app import create_console
from tally.review.app import create_app
from tally.scan import scan_stack
from tests.helpers import (
    MEMBERS,
    NO_MISTAKES,
    VOTES,
    new_conference,
    resolve_as_a_committee_would,
    run,
)

FORMATS = ("pdf", "tiff", "jpeg", "png")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], object]) -> tuple[Path, object]:
    """The folder ``name``, made by ``build(folder)`` once in this run: with pytest-xdist the
    first worker that needs it builds it under a lock, and the others use it. Returns the folder
    and what ``build`` returned (kept as JSON)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's own temporary folder, shared by its workers
    folder, made = root / f"shared-{name}", root / f"shared-{name}.json"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            made.write_text(json.dumps(build(folder)), encoding="utf-8")
    return folder, json.loads(made.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def stacks(tmp_path_factory):
    """One conference and a simulated stack in every format (office, 150 dpi, 4 voters and a
    foreign sheet each): the conference, and per format the scans' folder and their truth."""
    def build(base: Path) -> dict:
        conf = new_conference(base / "conf")
        return {fmt: simulate_vote(conf, base / fmt, voters=4, profile="office", fmt=fmt, dpi=150,
                                   seed=20 + i, foreign=1, rates={"multi_mark": 0.2}).truth
                for i, fmt in enumerate(FORMATS)}

    base, truths = built_once(tmp_path_factory, "stacks", build)
    return base / "conf", {fmt: (base / fmt, truths[fmt]) for fmt in FORMATS}


@pytest.fixture(scope="session")
def scanned(tmp_path_factory):
    """A conference whose 6 voters voted as VOTES says, and one ballot of another conference,
    scanned (office, 150 dpi, no mistakes): two ballots wait for review."""
    def build(base: Path) -> None:
        conf = new_conference(base / "conf", copies=8)
        votes = base / "votes.csv"
        votes.write_text(VOTES, encoding="utf-8")
        simulate_vote(conf, base / "scans", voters=None, votes=votes, profile="office",
                      fmt="pdf", dpi=150, seed=7, foreign=1, rates=NO_MISTAKES)
        scan_stack(conf, [base / "scans" / "scan.pdf"], jobs=1)

    base, _ = built_once(tmp_path_factory, "scanned", build)
    return base / "conf"


@pytest.fixture(scope="session")
def tallied(scanned, tmp_path_factory):
    """:func:`scanned`, reviewed as a committee would and tallied: the conference and the
    fingerprint of its minutes."""
    def build(base: Path) -> str:
        conf = base / "conf"
        shutil.copytree(scanned, conf)
        resolve_as_a_committee_would(conf)
        result = run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7, lang="vi")
        assert result.exit_code == 0, result.output
        return result.output.split("Mã kiểm tra: ")[1].split()[0]

    base, fingerprint = built_once(tmp_path_factory, "tallied", build)
    return base / "conf", fingerprint


@pytest.fixture(scope="session")
def counted(tmp_path_factory):
    """A conference of 5 voters, scanned (clean, 150 dpi, no mistakes) and tallied; the scans;
    and the same conference printed, before anything was scanned."""
    def build(base: Path) -> None:
        conf = new_conference(base / "conf", copies=8)
        simulate_vote(conf, base / "scans", voters=5, profile="clean", fmt="pdf", dpi=150,
                      seed=16, rates=NO_MISTAKES)
        shutil.copytree(conf, base / "printed")
        scan_stack(conf, [base / "scans" / "scan.pdf"])
        result = run("tally", conf, "--present", 5, "--counted", 5, "--summoned", 6)
        assert result.exit_code == 0, result.output

    base, _ = built_once(tmp_path_factory, "counted", build)
    return base / "conf", base / "scans", base / "printed"


PAGED_VOTERS = 4  # of a 4-page ballot, one JPEG per page


@pytest.fixture(scope="session")
def paged(tmp_path_factory):
    """A conference of 55 persons (4-page ballots), and a stack scanned as one JPEG per page
    with its truth: {voter: [files of her ballot, in page order]}."""
    def build(base: Path) -> dict:
        conf = new_conference(base / "conf", roster="roster-large.xlsx", copies=PAGED_VOTERS)
        truth = simulate_vote(conf, base / "scans", voters=PAGED_VOTERS, profile="clean",
                              fmt="jpeg", dpi=150, seed=6, rates=NO_MISTAKES).truth
        ballots: dict[str, list] = {}
        for page in truth["pages"]:
            ballots.setdefault(page["ballot"], []).append(page["file"])
        return ballots

    base, ballots = built_once(tmp_path_factory, "paged", build)
    return base / "conf", {voter: [base / "scans" / name for name in files]
                           for voter, files in ballots.items()}


TEN = 10  # ballots of ten_ballots


@pytest.fixture(scope="session")
def ten_ballots(tmp_path_factory):
    """A conference and ten ballots filled and scanned duplex (a blank back after each), one
    PNG per page."""
    def build(base: Path) -> None:
        conf = new_conference(base / "conf", copies=TEN)
        simulate_vote(conf, base / "png", voters=TEN, profile="office", fmt="png", dpi=150,
                      seed=9)

    base, _ = built_once(tmp_path_factory, "ten", build)
    pages = sorted((base / "png").glob("scan-*.png"))
    assert len(pages) == 2 * TEN
    return base / "conf", pages


@pytest.fixture
def conf(scanned, tmp_path):
    """A copy of :func:`scanned` of this test's own."""
    copy = tmp_path / "conf"
    shutil.copytree(scanned, copy)
    return copy


@pytest.fixture
def app(conf):
    """The review app of :func:`conf`, whose committee has the MEMBERS; their codes are in
    ``app.config["CODES"]``."""
    app = create_app(conf)
    app.config["TESTING"] = True
    app.config["CODES"] = {m.name: code for m, code in add_members(conf, MEMBERS)}
    return app


@pytest.fixture
def workspace(tmp_path):
    """An empty workspace folder for the console (``tinnhiem serve``)."""
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


@pytest.fixture
def client(workspace):
    """The console's test client over :func:`workspace`."""
    app = create_console(workspace)
    app.config["TESTING"] = True
    return app.test_client()
