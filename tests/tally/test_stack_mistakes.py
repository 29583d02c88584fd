"""Mistakes with whole stacks and files that must not go in silently: the same paper stack
scanned twice, a file of another conference, a file withdrawn, two files of the same name."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from ballotgen.errors import ExitCode
from ballotgen.vocabulary import Flag, SetAsideHow
from omr import inkprint
from rehearsal.simulate import Rescan
from rehearsal.vote import simulate_vote
from tally import scan as scan_module
from tally.audit import audit_store
from tally.ballots import assemble
from tally.committee import add_members
from tally.files import file_sha256
from tally.review.app import create_app
from tally.review.model import snapshot
from tally.scan import scan_stack
from tally.store import EventKind, Store
from tests.helpers import (
    MEMBERS,
    NO_MISTAKES,
    fresh_copy,
    login,
    new_conference,
    nonces,
    run,
    text,
)
from tests.tally.conftest import built_once

EVERYONE_CAO = "voter,1,2,3,4,5\n" + "".join(f"{v},cao,cao,cao,cao,cao\n" for v in range(1, 7))


@pytest.fixture(scope="session")
def twice(tmp_path_factory):
    """A printed conference, and one paper stack of six voters who all marked "cao" for
    everyone (the hard case: ink in the same boxes), scanned twice: once as an office PDF,
    once more as 200 dpi JPEGs with another scanner's draws; and six other voters who marked
    the same, scanned once."""
    def build(base: Path) -> dict:
        conf = new_conference(base / "conf", copies=20)
        votes = base / "votes.csv"
        votes.write_text(EVERYONE_CAO, encoding="utf-8")
        common = {"votes": votes, "voters": None, "profile": "office", "dpi": 300,
                  "rates": NO_MISTAKES}
        simulate_vote(conf, base / "pdf", fmt="pdf", seed=5, **common)
        simulate_vote(conf, base / "jpeg", fmt="jpeg", seed=5,
                      rescan=Rescan(41, dpi=200), **common)
        simulate_vote(conf, base / "others", fmt="pdf", seed=6, **common)
        return {}

    base, _ = built_once(tmp_path_factory, "twice", build)
    return base


def _ballots(conf):
    with Store.open(conf) as store:
        return assemble(store.pages()), {f.sha256: f for f in store.scan_files()}


def test_a_stack_scanned_twice_flags_both_copies_of_every_sheet(twice, tmp_path):
    conf = fresh_copy(twice / "conf", tmp_path)
    scan_stack(conf, [twice / "pdf" / "scan.pdf", twice / "jpeg"], jobs=2)
    ballots, files = _ballots(conf)
    assert len(ballots) == 12
    pdf = file_sha256(twice / "pdf" / "scan.pdf")
    first = [b for b in ballots if b.pages[0].file_sha256 == pdf]
    second = [b for b in ballots if b.pages[0].file_sha256 != pdf]
    assert len(first) == len(second) == 6
    for a, b in zip(first, second):  # the JPEGs are the same sheets in the same order
        assert Flag.DUPLICATE in a.flags and Flag.DUPLICATE in b.flags
        assert a.twins == (b.number,) and b.twins == (a.number,)
    # known files: the summary says it again
    result = run("scan", conf, *sorted((twice / "jpeg").glob("*.jpg")), lang="vi")
    assert result.exit_code == 0, result.output
    assert "duplicate 12" in result.output
    assert "Cảnh báo: 12 phiếu trùng với phiếu khác" in result.output


def test_different_voters_who_marked_the_same_are_not_taken_for_one_sheet(twice, tmp_path):
    conf = fresh_copy(twice / "conf", tmp_path)
    scan_stack(conf, [twice / "pdf" / "scan.pdf", twice / "others" / "scan.pdf"], jobs=2)
    ballots, _ = _ballots(conf)
    assert len(ballots) == 12
    assert all(Flag.DUPLICATE not in b.flags and not b.twins for b in ballots)


def test_the_ink_signature_is_compact_and_tells_a_rescan_from_another_voter(twice, tmp_path):
    conf = fresh_copy(twice / "conf", tmp_path)
    scan_stack(conf, [twice / "pdf" / "scan.pdf", twice / "jpeg", twice / "others"], jobs=2)
    with Store.open(conf) as store:
        pages = [p for p in store.pages() if p.reading.kind == "ballot"]
    assert len(pages) == 18 and all(0 < len(p.reading.ink) < 4000 for p in pages)
    prepared = [inkprint.prepare(inkprint.decode(p.reading.ink)) for p in pages]
    for i in range(6):  # pdf i and jpeg i: one sheet; pdf i and others j: two voters
        assert inkprint.similarity(prepared[i], prepared[6 + i]) >= \
            inkprint.DUPLICATE_SIMILARITY
        for j in range(12, 18):
            assert inkprint.similarity(prepared[i], prepared[j]) < \
                inkprint.DUPLICATE_SIMILARITY


# ------------------------------------------------------------------ a file of another conference

@pytest.fixture(scope="session")
def elsewhere(tmp_path_factory):
    """Our conference, and a stack of another conference's ballots (same roster, own key)."""
    def build(base: Path) -> dict:
        ours = new_conference(base / "ours", copies=10)
        other = new_conference(base / "other", copies=10)
        simulate_vote(other, base / "theirs", voters=5, profile="office", fmt="pdf", dpi=150,
                      seed=3, rates=NO_MISTAKES)
        simulate_vote(ours, base / "mine", voters=4, profile="office", fmt="pdf", dpi=150,
                      seed=4, rates=NO_MISTAKES, foreign=1)
        return {}

    base, _ = built_once(tmp_path_factory, "elsewhere", build)
    return base


def test_a_file_of_another_conference_is_refused_whole_with_one_message(elsewhere, tmp_path):
    conf = fresh_copy(elsewhere / "ours", tmp_path)
    theirs = elsewhere / "theirs" / "scan.pdf"
    result = run("scan", conf, theirs, elsewhere / "mine" / "scan.pdf", lang="vi")
    assert result.exit_code == ExitCode.ATTENTION, result.output
    message = [line for line in result.output.splitlines() if "tệp bị từ chối" in line]
    assert message == [f"{theirs}: tệp bị từ chối: 5/5 trang là phiếu của hội nghị khác (mã "
                       "phiếu không thuộc hội nghị này). Không trang nào của tệp được tính. "
                       "Kiểm tra lại tệp; nếu trong đó có phiếu của hội nghị này, quét riêng "
                       "các phiếu đó."]
    sha = file_sha256(theirs)
    with Store.open(conf) as store:
        refused = store.set_aside()
        assert list(refused) == [sha] and refused[sha].how == SetAsideHow.REFUSED
        assert [e.data["file"] for e in store.events()
                if e.kind == EventKind.FILE_SET_ASIDE] == [sha]
        kept = [p for p in store.pages(superseded=True) if p.file_sha256 == sha]
        assert len(kept) == 10  # its 5 sheets and their backs stay recorded …
        snap = snapshot(store)
    # … but none is in the queue: only our four ballots and the foreign sheet among them
    assert len(snap.resolved) == 5
    assert sum(Flag.FOREIGN in r.reasons for r in snap.open()) == 1
    again = run("scan", conf, theirs, lang="vi")  # said again, recorded once
    assert "tệp bị từ chối: 5/5" in again.output and again.exit_code == ExitCode.ATTENTION
    with Store.open(conf) as store:
        assert sum(e.kind == EventKind.FILE_SET_ASIDE for e in store.events()) == 1
    assert audit_store(conf).ok


def test_a_refusal_is_decided_again_after_a_crash(elsewhere, tmp_path, monkeypatch):
    conf = fresh_copy(elsewhere / "ours", tmp_path)
    theirs = elsewhere / "theirs" / "scan.pdf"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed after the pages were stored, before the refusal

    monkeypatch.setattr(scan_module, "_refuse_other_conference", crash)
    with pytest.raises(KeyboardInterrupt):
        scan_stack(conf, [theirs])
    monkeypatch.undo()
    summary = scan_stack(conf, [theirs])
    assert summary.pages_read == 0 and summary.refused == [(str(theirs), 5, 5)]
    with Store.open(conf) as store:
        assert store.pages() == []


def test_a_few_foreign_sheets_in_a_file_do_not_refuse_it(elsewhere, tmp_path):
    conf = fresh_copy(elsewhere / "ours", tmp_path)
    summary = scan_stack(conf, [elsewhere / "mine" / "scan.pdf"])  # 4 ballots, 1 foreign
    assert summary.refused == []
    with Store.open(conf) as store:
        assert store.set_aside() == {} and len(assemble(store.pages())) == 5


# ------------------------------------------------------------------ withdrawing a file

@pytest.mark.slow
def test_a_withdrawn_file_stays_recorded_and_its_pages_no_longer_count(twice, tmp_path):
    conf = fresh_copy(twice / "conf", tmp_path)
    scan_stack(conf, [twice / "pdf" / "scan.pdf", twice / "others" / "scan.pdf"], jobs=2)
    others = file_sha256(twice / "others" / "scan.pdf")
    result = run("withdraw", conf, "scan.pdf", "--reason", "quét nhầm", "--by", "Nguyễn Thị Lan")
    assert result.exit_code == ExitCode.USAGE  # two files of that name: it says which they are
    assert "2 files answer to it" in result.output and others[:8] in result.output
    result = run("withdraw", conf, others[:8], "--reason", "quét nhầm", "--by", "Nguyễn Thị Lan",
                 lang="vi")
    assert result.exit_code == 0, result.output
    assert "Đã rút lại tệp" in result.output  # 6 sheets, each with its blank back:
    assert "12 trang của tệp không còn được tính" in result.output
    with Store.open(conf) as store:
        assert {p.file_sha256 for p in store.pages()} == {file_sha256(twice / "pdf" /
                                                                      "scan.pdf")}
        assert len(store.pages(superseded=True)) == 24  # kept, with their readings
        record = store.set_aside()[others]
        assert (record.how, record.reason, record.by) == ("withdrawn", "quét nhầm",
                                                           "Nguyễn Thị Lan")
        event = store.events()[-1]
        assert event.kind == EventKind.FILE_SET_ASIDE and event.data["file"] == others
    again = run("withdraw", conf, twice / "others" / "scan.pdf", "--reason", "x", "--by", "y",
                lang="vi")
    assert again.exit_code == 0 and "không có gì thay đổi" in again.output
    rescanned = run("scan", conf, twice / "others" / "scan.pdf", lang="vi")  # said, not read
    assert rescanned.exit_code == 0 and "Đã đọc 0 trang" in rescanned.output
    assert "scan.pdf: tệp đã được rút lại (quét nhầm); các trang của tệp không được tính." in \
        rescanned.output
    assert run("tally", conf, "--present", 6, "--summoned", 8, "--counted", 6).exit_code == 0
    status = run("status", conf).output
    assert "Scanned: 12 pages, 6 ballots" in status  # the withdrawn file's 6 pages left out
    assert f"Not counted: {twice / 'others'}/scan.pdf" in status and \
        "Đã rút lại, không tính (quét nhầm; Nguyễn Thị Lan" in status
    report = audit_store(conf)
    assert report.ok, report.differences
    assert report.checked["files set aside"] == 1


def test_a_withdrawal_the_log_does_not_know_is_a_difference(twice, tmp_path, english):
    conf = fresh_copy(twice / "conf", tmp_path)
    scan_stack(conf, [twice / "pdf" / "scan.pdf"])
    sha = file_sha256(twice / "pdf" / "scan.pdf")
    db = sqlite3.connect(conf / "conference.sqlite")
    db.execute("INSERT INTO set_aside VALUES (?, 'withdrawn', 'lén', 'ai đó', '2026')", (sha,))
    db.commit()
    db.close()
    report = audit_store(conf)
    assert any("set aside in the store but not so in the log" in d.what
               for d in report.differences)


# ------------------------------------------------------------------ two files named scan.pdf

def test_two_files_of_the_same_name_are_told_apart_in_the_queue_and_the_search(twice, tmp_path):
    conf = fresh_copy(twice / "conf", tmp_path)
    copies = {}
    for folder in ("may-1", "may-2"):
        (tmp_path / folder).mkdir()
        source = twice / ("pdf" if folder == "may-1" else "others") / "scan.pdf"
        copies[folder] = shutil.copy(source, tmp_path / folder / "scan.pdf")
    scan_stack(conf, [tmp_path / "may-1", tmp_path / "may-2"], jobs=2)
    app = create_app(conf)
    app.config["TESTING"] = True
    app.config["CODES"] = {m.name: code for m, code in add_members(conf, MEMBERS)}
    client = login(app)
    with Store.open(conf) as store:
        ballots = assemble(store.pages())
        page_id = ballots[0].pages[0].id
        store.record_decisions(page_id, [(None, "flagged", "machine:")],
                               reviewer="Nguyễn Thị Lan")
    hashes = {folder: file_sha256(Path(path)) for folder, path in copies.items()}
    listing = text(client.get("/phieu"))
    for folder, sha in hashes.items():
        assert f"{tmp_path / folder}/scan.pdf" in listing and f"#{sha[:8]}" in listing
    queue = text(client.get("/"))
    assert f"{tmp_path / 'may-1'}/scan.pdf" in queue and f"#{hashes['may-1'][:8]}" in queue
    chooser = client.get("/tim?file=scan.pdf&page=1")
    assert chooser.status_code == 200
    assert "Có 2 tệp “scan.pdf” có trang 1" in text(chooser)
    assert all(f"#{sha[:8]}" in text(chooser) for sha in hashes.values())
    found = client.get(f"/tim?file=%23{hashes['may-2'][:8]}&page=1")
    assert found.status_code == 302 and found.headers["Location"].endswith(
        f"/phieu/{ballots[6].pages[0].id}")
    found = client.get(f"/tim?file={tmp_path / 'may-1'}/scan.pdf&page=1")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/phieu/{page_id}")


def test_a_member_withdraws_a_file_from_the_review_page(twice, tmp_path):
    conf = fresh_copy(twice / "conf", tmp_path)
    scan_stack(conf, [twice / "pdf" / "scan.pdf", twice / "others" / "scan.pdf"], jobs=2)
    others = file_sha256(twice / "others" / "scan.pdf")
    app = create_app(conf)
    app.config["TESTING"] = True
    app.config["CODES"] = {m.name: code for m, code in add_members(conf, MEMBERS)}
    with Store.open(conf) as store:
        ballot = next(b for b in assemble(store.pages()) if b.pages[0].file_sha256 == others)
    page = ballot.pages[0].id
    anonymous = app.test_client().post(f"/phieu/{page}/rut-tep",
                                       data={"file": others, "reason": "x"})
    assert anonymous.status_code >= 300  # refused (no session, no CSRF token)
    with Store.open(conf) as store:
        assert store.set_aside() == {}
    client = login(app, "Đỗ Văn Minh")
    shown = text(client.get(f"/phieu/{page}"))
    assert f"Rút lại cả tệp {twice / 'others'}/scan.pdf" in shown
    nonce = nonces(client, page)[-1]
    wrong = client.post(f"/phieu/{page}/rut-tep", data={
        "csrf": client.csrf, "nonce": nonce, "file": "0" * 64, "reason": "quét trùng"})
    assert wrong.status_code == 400  # only a file of the ballot shown
    nonce = nonces(client, page)[-1]
    done = client.post(f"/phieu/{page}/rut-tep", data={
        "csrf": client.csrf, "nonce": nonce, "file": others, "reason": "quét trùng"})
    assert done.status_code == 303
    with Store.open(conf) as store:
        record = store.set_aside()[others]
        assert (record.how, record.reason, record.by) == ("withdrawn", "quét trùng",
                                                           "Đỗ Văn Minh")
        assert len(assemble(store.pages())) == 6
    again = client.post(f"/phieu/{page}/rut-tep", data={
        "csrf": client.csrf, "nonce": nonce, "file": others, "reason": "quét trùng"})
    assert again.status_code in (303, 404)  # the same form again records nothing more
    with Store.open(conf) as store:
        assert sum(e.kind == EventKind.FILE_SET_ASIDE for e in store.events()) == 1
