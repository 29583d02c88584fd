"""The stamp check through tinnhiem: 'init --stamp required', a colour stack with unstamped
ballots and a grey photocopy, the scan summary, the review page (the flag in Vietnamese, the
proposal, the header in colour), the committee's decision, the count, the minutes and the
audit; and the same stack under a conference with the check off, the default, unchanged."""

import json
import re
import shutil
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from ballotgen.vocabulary import Flag, VoidReason
from rehearsal.committee import hand_count
from rehearsal.vote import simulate_vote
from tally.ballots import assemble
from tally.committee import add_members
from tally.count import Attendance, tally_store
from tally.fingerprint import results_json
from tally.publish import MINUTES_FILE
from tally.resolve import ballot_id
from tally.review.app import create_app
from tally.rules import RULE_SETS
from tally.store import Store
from tests.helpers import (
    INIT,
    SAMPLES,
    decide,
    fresh_copy,
    latest,
    login,
    pdf_text,
    run,
    text,
)
from tests.tally.conftest import built_once

RATES = {name: 0.0 for name in ("blank_row", "multi_mark", "correction", "crossed_name",
                                "write_in", "signature", "stray", "blank_ballot")}
RATES["stamp"] = 0.6  # four in ten ballots never got the committee's stamp
SEED = 4
VOTERS = 8
MEMBERS = [("Nguyễn Thị Lan", "Trưởng ban"), ("Đỗ Văn Minh", "Thành viên")]


@pytest.fixture(scope="session")
def stacks(tmp_path_factory):
    """Two conferences of the 5-person roster, the check required and off, each with the same
    simulated colour stack scanned in: 8 voters and 4 foreign sheets (a grey photocopy). Built
    once for the run, whatever the workers: tests change only copies."""
    def build(base: Path) -> dict:
        out = {}
        for check in ("required", "off"):
            conf = base / check
            extra = ["--stamp", "required"] if check == "required" else []
            result = run("init", conf, "--roster", SAMPLES / "roster-small.csv", *INIT, *extra)
            assert result.exit_code == 0, result.output
            assert run("print", conf, "--copies", 10).exit_code == 0
            scans = base / f"scans-{check}"
            truth = simulate_vote(conf, scans, voters=VOTERS, profile="office", fmt="jpeg",
                                  dpi=150, seed=SEED, rates=RATES, foreign=4,
                                  mode="colour").truth
            scanned = run("scan", conf, *sorted(f for f in scans.iterdir() if f.suffix == ".jpg"))
            assert scanned.exit_code == 0, scanned.output
            out[check] = (truth, scanned.output)
        return out

    base, built = built_once(tmp_path_factory, "stamp", build)
    return {check: (base / check, truth, output) for check, (truth, output) in built.items()}


@pytest.fixture
def conf(stacks, tmp_path):
    copy = tmp_path / "conf"
    shutil.copytree(stacks["required"][0], copy)
    return copy


def lacking(truth):
    """(file, page index) of every sheet without the stamp: unstamped ballots, the photocopy."""
    unstamped = {b["id"] for b in truth["ballots"] if not b["stamp"]}
    return {(p["file"], p["index"]) for p in truth["pages"]
            if p.get("ballot") in unstamped or p.get("foreign_kind") == "photocopy"}


def flagged_by_stamp(folder):
    with Store.open(folder, readonly=True) as store:
        ballots = assemble(store.pages())
    return {(b.pages[0].file_name, b.pages[0].page_index): b for b in ballots
            if "missing_stamp" in b.flags}


def test_init_records_the_stamp_check_and_status_shows_it(stacks):
    for check in ("required", "off"):
        conf = stacks[check][0]
        assert f"Stamp: {check}" in run("status", conf).output
        with Store.open(conf, readonly=True) as store:  # shared by every worker
            assert store.conference().stamp == check
            assert store.events()[0].data["stamp"] == check


def test_the_scan_flags_every_sheet_without_the_stamp_and_says_how_many_were_checked(stacks):
    conf, truth, output = stacks["required"]
    missing = lacking(truth)
    copies = {(p["file"], p["index"]) for p in truth["pages"]
              if p.get("foreign_kind") == "photocopy"}
    assert len(missing) >= 3 and copies and copies < missing  # never issued, and the copy
    flagged = flagged_by_stamp(conf)
    assert set(flagged) == missing
    ballots = sum(1 for p in truth["pages"] if p["kind"] == "ballot") + 1  # and the photocopy
    assert (f"Stamp check: {ballots} ballots scanned in colour checked for the agency's stamp: "
            f"{len(missing)} without it (missing_stamp), 0 the reader could not tell") in output
    assert f"missing_stamp {len(missing)}" in output  # among the reasons for review
    assert "were not checked" not in output


def test_the_review_page_shows_the_flag_in_vietnamese_and_proposes_a_sheet_not_issued(conf):
    app = create_app(conf)
    app.config["TESTING"] = True
    app.config["CODES"] = {m.name: code for m, code in add_members(conf, MEMBERS)}
    client = login(app)
    assert f"{Flag.MISSING_STAMP.label}" in text(client.get("/"))
    ballot = ballot_id(next(iter(flagged_by_stamp(conf).values())))
    page = client.get(f"/phieu/{ballot}").get_data(as_text=True)
    assert Flag.MISSING_STAMP.label in page
    assert "máy đề xuất: Phiếu lạ (không do Ban Kiểm phiếu phát hành)" in page
    assert 'class="stamp-area"' in page and 'id="stamp"' in page
    image = client.get(re.search(r'src="(/dau/\d+\.jpg)"', page).group(1))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    header = cv2.imdecode(np.frombuffer(image.data, np.uint8), cv2.IMREAD_COLOR)
    assert header.ndim == 3 and header.shape[1] > header.shape[0]  # the header, in colour
    # The committee confirms the proposal: a sheet it did not issue, void for every person.
    response = decide(client, ballot, ballot="foreign")
    assert response.status_code == 302
    with Store.open(conf) as store:
        (decision,) = store.decisions()
    assert decision.value == "foreign" and decision.before == "machine:foreign"
    assert client.get("/dau/99999.jpg").status_code == 404  # no such page


@pytest.mark.slow
def test_the_count_voids_them_and_the_minutes_say_what_the_check_found(conf, stacks):
    truth = stacks["required"][1]
    missing = len(lacking(truth))
    truth_file = conf.parent / "truth.json"
    truth_file.write_text(json.dumps(truth), encoding="utf-8")
    assert run("simulate-review", conf, "--truth", truth_file).exit_code == 0
    result = run("tally", conf, "--present", 9, "--summoned", 12, "--counted", VOTERS + 4,
                 "--committee", "Nguyễn Thị Lan:Trưởng ban")
    assert result.exit_code == 0, result.output
    checked = sum(1 for p in truth["pages"] if p["kind"] == "ballot") + 1
    line = (f"Kiểm tra dấu treo trên bản quét màu: {checked} phiếu; không có dấu treo: "
            f"{missing} phiếu.")
    assert line in result.output
    assert f"{VoidReason.MISSING_STAMP.label}: {missing}" in result.output
    minutes = re.sub(r"\s+", " ", pdf_text(latest(conf) / MINUTES_FILE))
    assert line in minutes and f"{VoidReason.MISSING_STAMP.label}: {missing}" in minutes
    with Store.open(conf) as store:
        _, results = tally_store(store, Attendance(present=9, counted=VOTERS + 4))
    assert results.stamp.checked == checked and results.stamp.missing == missing
    assert results.void["missing_stamp"] == missing
    by_hand = hand_count(truth, [p.number for p in results.persons], RULE_SETS["qd96-2023"])
    for person in results.persons:
        counts = by_hand[person.number]
        assert (person.levels, person.invalid) == (
            {k: counts[k] for k in ("cao", "tin_nhiem", "thap")}, counts["invalid"])
    assert "VERIFIED" in run("audit", conf).output
    # An archive with the signatures masked keeps its pages in grey: the stamps as recorded.
    archive = conf.parent / "kiem-tra.zip"
    assert run("export", conf, "--audit", "--mask-signatures", "-o", archive).exit_code == 0
    audited = run("audit", archive).output
    assert "VERIFIED" in audited and "stamps taken as recorded (pages kept in grey)" in audited


def test_with_the_check_off_nothing_is_flagged_said_or_recorded_in_the_results(stacks,
                                                                              tmp_path):
    conf, truth, output = stacks["off"]
    conf = fresh_copy(conf, tmp_path)  # it is tallied below
    assert len(lacking(truth)) >= 3  # the same stack: sheets without the stamp are in it
    assert flagged_by_stamp(conf) == {} and "Stamp check" not in output
    assert "missing_stamp" not in output
    with Store.open(conf) as store:
        pages = store.pages()
        _, results = tally_store(store, Attendance(present=9, counted=VOTERS + 4))
    # The stamp was read (and recorded) all the same; it changes nothing.
    assert {p.reading.stamp.status for p in pages if p.reading.kind == "ballot"} == \
        {"stamped", "not_stamped"}
    assert results.stamp is None and '"stamp"' not in results_json(results)
    result = run("tally", conf, "--present", 9, "--summoned", 12, "--counted", VOTERS + 4)
    assert result.exit_code == 0 and "dấu treo" not in result.output
    assert "dấu treo" not in pdf_text(latest(conf) / MINUTES_FILE)


def test_a_conference_stored_before_the_check_existed_opens_with_it_off(stacks, tmp_path):
    conf = tmp_path / "old"
    shutil.copytree(stacks["off"][0], conf)
    db = sqlite3.connect(conf / "conference.sqlite")
    (data,) = db.execute("SELECT data FROM conference").fetchone()
    old = json.loads(data)
    del old["stamp"]
    db.execute("UPDATE conference SET data = ?", (json.dumps(old, ensure_ascii=False),))
    db.commit()
    db.close()
    with Store.open(conf) as store:
        assert store.conference().stamp == "off"
    assert "VERIFIED" in run("audit", conf).output
