"""What the tests share besides fixtures: sample conferences, the command line, stores and the
review client, each made as a user would make them (fixtures are in the conftest.py files)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pypdfium2 as pdfium
from click.testing import CliRunner
from PIL import Image

from ballotgen import payload
from ballotgen.conference import Conference, Person
from ballotgen.layout import Layout, build_layout
from ballotgen.render import Batch, new_batch, render_pdf
from omr.qr import find_code
from tally.ballots import assemble
from tally.cli import main
from tally.prepare import create_conference, print_ballots
from tally.resolve import ballot_id
from tally.store import STORE_FILE, Store

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


ORG = "ỦY BAN NHÂN DÂN TỈNH BÌNH AN\nSỞ KẾ HOẠCH VÀ ĐẦU TƯ"


TITLE = "Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, quản lý năm 2026"


def qr_text(image: np.ndarray) -> str | None:
    """The text of the ballot code the reader finds on ``image`` ((H, W) uint8), or None."""
    hit = find_code(image)
    return hit.text if hit else None


def render_grey(document: pdfium.PdfDocument, index: int, dpi: int) -> np.ndarray:
    """Page ``index`` of ``document`` rendered as a (H, W) uint8 grey image."""
    return np.ascontiguousarray(document[index].render(scale=dpi / 72, grayscale=True).to_numpy())


def make_issued(persons, copies: int, *, serials: bool = False):
    """A conference printed as ``copies`` ballots, as the simulator and the reader need it."""
    from rehearsal.simulate import Issued  # the simulator's: imported by the tests that use it

    conference = make_conference(persons)
    return Issued(conference, build_layout(conference), new_batch(copies, serials=serials),
                  payload.new_key())


def make_conference(persons: tuple[Person, ...] | list[Person]) -> Conference:
    return Conference(org=ORG, title=TITLE, date=dt.date(2026, 12, 15), place="Bình An",
                      persons=tuple(persons), summoned=40)


class Printed:
    """A conference printed to PDF, with what is needed to check it."""

    def __init__(self, conference: Conference, copies: int = 1, serials: bool = False) -> None:
        self.conference = conference
        self.layout: Layout = build_layout(conference)
        self.key = payload.new_key()
        self.batch: Batch = new_batch(copies, serials=serials)
        self.pdf = render_pdf(self.layout, self.batch, self.key)
        self.document = pdfium.PdfDocument(self.pdf)

    def page_image(self, index: int, dpi: int) -> np.ndarray:
        return render_grey(self.document, index, dpi)

    def page_text(self, index: int) -> str:
        page = self.document[index]
        return page.get_textpage().get_text_bounded()


INIT = ["--org", "ỦY BAN NHÂN DÂN TỈNH BÌNH AN", "--org", "SỞ TÀI CHÍNH",
        "--title", "Hội nghị lấy phiếu tín nhiệm năm 2026", "--date", "2026-12-15",
        "--place", "Bình An", "--summoned", "40"]


def run(*args, lang="en"):
    """``tinnhiem --lang LANG ARGS…`` in process. English by default: most tests here check what
    a command says, written in English ids; tests/test_translations.py checks the Vietnamese."""
    return CliRunner().invoke(main, ["--lang", lang, *(str(a) for a in args)])


def new_conference(folder, roster="roster-small.csv", copies=20, serials=False):
    create_conference(folder, roster=SAMPLES / roster, org="SỞ TÀI CHÍNH", title="Hội nghị thử",
                      date=dt.date(2026, 12, 15))
    print_ballots(folder, copies=copies, serials=serials)
    return folder


def fresh_copy(conf, tmp_path):
    """A copy of the printed conference with nothing scanned yet."""
    copy = tmp_path / "conf"
    shutil.copytree(conf, copy)
    return copy


def readings_of(folder):
    with Store.open(folder) as store:
        return {(p.file_name, p.page_index): p.reading for p in store.pages()}


def store_content(folder):
    db = sqlite3.connect(folder / STORE_FILE)
    pages = db.execute("SELECT file_sha256, page_index, image_sha256, kind, flagged, reading "
                       "FROM pages ORDER BY file_sha256, page_index").fetchall()
    files = db.execute("SELECT seq, sha256, name, size, kind, pages, error FROM scan_files "
                       "ORDER BY seq").fetchall()
    events = db.execute("SELECT kind, data FROM events ORDER BY seq").fetchall()
    db.close()
    return pages, files, events


VOTES = """voter,1,2,3,4,5
1,cao,cao,cao,tin_nhiem,thap
2,cao,thap,tin_nhiem,tin_nhiem,thap
3,thap,thap,cao,cao,thap
4,tin_nhiem,thap,cao,cao,cao
5,cao,,cao,thap,thap
6,thap,thap,thap,thap,thap
"""


NO_MISTAKES = {name: 0.0 for name in ("blank_row", "multi_mark", "correction", "crossed_name",
                                      "write_in", "signature", "stray", "blank_ballot", "stamp")}


def ballots_of(folder):
    """Flagged ballot ids by their flags, and the id of every accepted ballot."""
    with Store.open(folder) as store:
        ballots = assemble(store.pages())
    flagged = {b.flags: ballot_id(b) for b in ballots if b.flags}
    return flagged, [ballot_id(b) for b in ballots if not b.flags]


def resolve_as_a_committee_would(folder):
    ballots, _ = ballots_of(folder)
    assert set(ballots) == {("foreign",), ("blank_row",)}
    with Store.open(folder) as store:
        store.record_decisions(ballots[("foreign",)], [(None, "foreign", "foreign")],
                               reviewer="Nguyễn Thị Lan")
        store.record_decisions(ballots[("blank_row",)], [(None, "genuine", "genuine"),
                                                         (2, "invalid", "invalid")],
                               reviewer="Đỗ Văn Minh")


MEMBERS = [("Nguyễn Thị Lan", "Trưởng ban"), ("Đỗ Văn Minh", "Thành viên"),
           ("Hoàng Thu Trang", "Thành viên")]


def csrf_of(client):
    """The session's CSRF token (the first page opened makes the session)."""
    with client.session_transaction() as session:
        if "csrf" in session:
            return session["csrf"]
    client.get("/")
    with client.session_transaction() as session:
        return session["csrf"]


def login(app, name="Nguyễn Thị Lan", *, client=None):
    """A client logged in as the member ``name``, with its CSRF token as ``client.csrf``."""
    client = client or app.test_client()
    client.get("/dang-nhap")
    response = client.post("/dang-nhap", data={"code": app.config["CODES"][name],
                                               "csrf": csrf_of(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.csrf = csrf_of(client)
    return client


def nonces(client, ballot):
    """The one-time nonces of the ballot page's forms: deciding, then flagging."""
    page = client.get(f"/phieu/{ballot}").get_data(as_text=True)
    return re.findall(r'name="nonce" value="([^"]+)"', page)


def decide(client, ballot, /, **form):
    """Open the ballot and send its decision form, as a browser does."""
    nonce = (nonces(client, ballot) or [""])[0]
    return client.post(f"/phieu/{ballot}", data={"csrf": client.csrf, "nonce": nonce, **form})


def flag(client, ballot, note=""):
    nonce = (nonces(client, ballot) or ["", ""])[-1]
    return client.post(f"/phieu/{ballot}/danh-dau", data={"csrf": client.csrf, "nonce": nonce,
                                                            "note": note})


def decisions(conf):
    with Store.open(conf) as store:
        return [(d.ballot, d.person, d.value, d.before, d.reviewer) for d in store.decisions()]


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


WORKTREE = str(Path(__file__).resolve().parent.parent)  # the project, where child processes run


def child(args, *, kill_at: str | None = None, env: dict | None = None, wait: bool = True,
          lang: str = "en"):
    """``tinnhiem --lang LANG ARGS`` in a child process running this worktree's code; with
    ``kill_at`` ("module:Class.method"), the child kills itself (SIGKILL: no clean-up of any
    kind) when it gets there."""
    code = ["import os, signal, sys, importlib"]
    if kill_at:
        module, name = kill_at.split(":")
        *owner, attribute = name.split(".")
        code += [f"owner = importlib.import_module({module!r})",
                 *(f"owner = getattr(owner, {part!r})" for part in owner),
                 (f"setattr(owner, {attribute!r}, "
                  "lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))")]
    code += ["from tally.cli import main", "main(sys.argv[1:])"]
    command = [sys.executable, "-c", "\n".join(code), "--lang", lang, *map(str, args)]
    environment = {**os.environ, "PYTHONHASHSEED": "0", **(env or {})}
    if not wait:
        return subprocess.Popen(command, cwd=WORKTREE, env=environment,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run(command, cwd=WORKTREE, env=environment, capture_output=True, text=True,
                          check=False)


def open_pages(folder, truth):
    """Yield (page truth, grey image, dpi) for every page, opened as a reader would."""
    documents, tiffs = {}, {}
    for page in truth["pages"]:
        path = folder / page["file"]
        if path.suffix == ".pdf":
            doc = documents.setdefault(path, pdfium.PdfDocument(path))
            pdf_page = doc[page["index"]]
            (image_obj,) = list(pdf_page.get_objects())
            px_w, _ = image_obj.get_px_size()
            dpi = px_w / (pdf_page.get_width() / 72)
            grey = np.asarray(image_obj.get_bitmap().to_pil().convert("L"))
        else:
            image = tiffs.setdefault(path, Image.open(path))
            image.seek(page["index"])
            dpi = image.info["dpi"][0]
            grey = np.asarray(image.convert("L"))
        yield page, grey, dpi


def pdf_text(path):
    document = pdfium.PdfDocument(path)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


LONG_NAME = "Tôn Nữ Hoàng Thị Phương Thảo Quỳnh Như Ngọc Diễm Kiều Trang Bảo Châu"


LONG_POSITION = ("Phó Chủ nhiệm Ủy ban Kiểm tra, phụ trách công tác tổ chức cán bộ, thi đua, khen "
                 "thưởng, cải cách hành chính và chuyển đổi số của cơ quan, kiêm Chánh Văn phòng")


HEADER = "STT,Họ và tên,Chức vụ\n"


def write(tmp_path, text, name="roster.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path, rows, name="roster.xlsx"):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def latest(conf, out=None):
    """The folder of the latest tally's documents (``ket-qua/lan-NN-…``) of ``conf``, or of the
    results folder ``out``."""
    from tally.publish import OUTPUT_DIR, latest_version

    folder = latest_version(Path(out) if out else Path(conf) / OUTPUT_DIR)
    assert folder is not None, "no tally has written its documents"
    return folder
