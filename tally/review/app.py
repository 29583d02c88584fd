"""The review web app: the counting committee resolves flagged ballots (``tinnhiem review``).

Server-rendered pages (Flask, Jinja) with a little JavaScript for the keyboard. Each view reads a
:func:`~tally.review.model.snapshot` of the store, calls one function of the model, and renders.

Safety: pages and images are never cached by the browser; every POST carries the session's CSRF
token; on an address other than the loopback an access code (printed at start) is required; a
bad ballot id or form gives a clear page in Vietnamese, never a traceback.
"""

from __future__ import annotations

import hmac
import math
import ipaddress
import secrets
import threading
import time
from pathlib import Path

from flask import (Flask, Response, abort, flash, g, redirect, render_template, request, session,
                   url_for)
from werkzeug.exceptions import HTTPException

from ballotgen.layout import LEVEL_LABELS, LEVELS
from omr.settings import DEFAULT as SETTINGS
from tally.count import Attendance, tally_store
from tally.report import BAND_LABELS, quorum_line, status_line
from tally.resolve import REASON_LABELS
from tally.review.images import ImageCache
from tally.review.model import (HISTOGRAM_TOP, MACHINE, FormError, ballot_view,
                                decisions_from_form, gallery_boxes, histogram, snapshot)
from tally.rules import RULE_SETS
from tally.scan import reading_context
from tally.store import Store

ROW_LABELS = {**LEVEL_LABELS, "invalid": "Không hợp lệ"}
BALLOT_LABELS = {"genuine": "Phiếu hợp lệ", "invalid": "Cả phiếu không hợp lệ",
                 "foreign": "Phiếu lạ (không do Ban Kiểm phiếu phát hành)",
                 "excluded": "Không tính (quét trùng, không phải phiếu)",
                 "flagged": "Đánh dấu để xem lại"}
READING_LABELS = {**LEVEL_LABELS, "blank": "Không đánh dấu", "multi": "Nhiều ô",
                  "unclear": "Không rõ", None: "Máy không đọc được"}
STATE_LABELS = {"accepted": "Máy đã đọc, không cần xem", "open": "Chờ xử lý",
                "resolved": "Đã xử lý"}
ERRORS = {400: "Yêu cầu không hợp lệ", 403: "Không được phép", 404: "Không tìm thấy",
          405: "Không được phép", 409: "Phiếu đang được người khác xử lý",
          500: "Lỗi của phần mềm"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def create_app(folder: Path | str, *, access_code: str | None = None) -> Flask:
    """The review app for the conference in ``folder``; ``access_code`` guards every page."""
    folder = Path(folder)
    with Store.open(folder) as store:  # fails early with a clear error if it is not a conference
        images = ImageCache(folder, reading_context(store))
        store.release_all_locks()  # no session from before this start is alive
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_bytes(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=256 * 1024)
    app.jinja_env.globals.update(
        LEVELS=LEVELS, LEVEL_LABELS=LEVEL_LABELS, ROW_LABELS=ROW_LABELS,
        BALLOT_LABELS=BALLOT_LABELS, READING_LABELS=READING_LABELS, REASON_LABELS=REASON_LABELS,
        STATE_LABELS=STATE_LABELS, BAND_LABELS=BAND_LABELS, SETTINGS=SETTINGS,
        MACHINE=MACHINE)
    app.jinja_env.filters["log1p"] = math.log1p
    app.jinja_env.filters["reasons"] = lambda reasons: "; ".join(REASON_LABELS[r] for r in reasons)

    @app.before_request
    def guard():
        # The log was checked whole at start; each append checks the event it follows.
        g.store = Store.open(folder, check_log=False)
        if request.endpoint == "static":
            return None
        if access_code and not session.get("authorised") and request.endpoint != "login":
            return redirect(url_for("login"))
        session.setdefault("sid", secrets.token_urlsafe(16))
        session.setdefault("csrf", secrets.token_urlsafe(24))
        if request.method == "POST":
            token = request.form.get("csrf", "")
            if not hmac.compare_digest(token, session["csrf"]):
                abort(400, "Biểu mẫu đã hết hạn hoặc không đến từ trang này. Tải lại trang rồi "
                           "làm lại.")
        if request.endpoint not in ("login", "name") and not session.get("name"):
            return redirect(url_for("name", next=request.path))
        return None

    @app.teardown_request
    def close(exc):
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store, max-age=0"
        response.headers["Pragma"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'")
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        detail = exc.description if isinstance(exc.description, str) and \
            not exc.description.startswith(("The ", "You ", "Method ")) else ""
        return render_template("error.html", code=code, title=ERRORS.get(code, "Lỗi"),
                               detail=detail), code

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        app.logger.error("internal error: %s", type(exc).__name__)  # no content: it may be secret
        return render_template("error.html", code=500, title=ERRORS[500],
                               detail="Hãy thử lại; nếu vẫn lỗi, báo cho người quản trị."), 500

    # ------------------------------------------------------------------ who is reviewing

    @app.route("/dang-nhap", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            if hmac.compare_digest(request.form.get("code", "").strip().upper(),
                                   (access_code or "").upper()):
                session["authorised"] = True
                return redirect(url_for("queue"))
            time.sleep(0.5)  # slows down guessing
            error = "Mã truy cập không đúng."
        return render_template("login.html", error=error)

    @app.route("/ten", methods=["GET", "POST"])
    def name():
        if request.method == "POST":
            text = " ".join(request.form.get("name", "").split())
            if not 2 <= len(text) <= 80:
                return render_template("name.html", error="Nhập họ và tên (2 đến 80 ký tự)."), 400
            session["name"] = text
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("queue"))
        return render_template("name.html", error=None)

    # ------------------------------------------------------------------ the queue

    @app.route("/")
    def queue():
        g.store.release(session["sid"])
        snap = snapshot(g.store)
        now = time.time()
        holders = {r.id: g.store.lock_holder(r.id, now=now) for r in snap.open()}
        flagged = snap.flagged()
        return render_template("queue.html", snap=snap, open=snap.open(), holders=holders,
                               counts=snap.reason_counts(), flagged=flagged,
                               done=sum(r.state == "resolved" for r in flagged))

    @app.route("/tiep")
    def next_ballot():
        snap = snapshot(g.store)
        candidates = [r.id for r in snap.open()]
        after = request.args.get("after", type=int)
        if after in candidates:  # skipping a ballot: the ones after it first, then from the top
            i = candidates.index(after) + 1
            candidates = candidates[i:] + candidates[:i - 1]
        claimed = g.store.claim(candidates, session=session["sid"], reviewer=session["name"],
                                now=time.time())
        if claimed is None:
            flash("Đã xử lý hết các phiếu cần xem." if not candidates else
                  "Các phiếu còn lại đang được thành viên khác xử lý.")
            return redirect(url_for("queue"))
        return redirect(url_for("ballot", ballot=claimed))

    @app.route("/phieu")
    def ballots():
        snap = snapshot(g.store)
        return render_template("ballots.html", snap=snap)

    @app.route("/tim")
    def find():
        file = request.args.get("file", "").strip()
        try:
            page = int(request.args.get("page", ""))
        except ValueError:
            abort(400, "Nhập số trang là một số nguyên.")
        found = snapshot(g.store).find(file, page)
        if found is None:
            abort(404, f"Không có trang {page} của tệp “{file}” trong hội nghị này.")
        return redirect(url_for("ballot", ballot=found.id))

    # ------------------------------------------------------------------ one ballot

    def _view(ballot: int):
        snap = snapshot(g.store)
        view = ballot_view(snap, g.store, ballot)
        if view is None:
            abort(404, f"Không có phiếu số hiệu {ballot} trong hội nghị này.")
        return snap, view

    def _holder(ballot: int) -> str | None:
        """Claim ``ballot`` for this session; the other reviewer's name if someone holds it."""
        if g.store.claim([ballot], session=session["sid"], reviewer=session["name"],
                         now=time.time()) is None:
            holder = g.store.lock_holder(ballot, now=time.time())
            return holder[1] if holder else "một thành viên khác"
        return None

    @app.route("/phieu/<int:ballot>")
    def ballot(ballot: int):
        snap, view = _view(ballot)
        return render_template("ballot.html", snap=snap, view=view, held_by=_holder(ballot),
                               error=None)

    @app.route("/phieu/<int:ballot>", methods=["POST"])
    def decide(ballot: int):
        snap, view = _view(ballot)
        held_by = _holder(ballot)
        if held_by:
            abort(409, f"{held_by} đang xử lý phiếu này; quyết định của bạn chưa được ghi.")
        try:
            items = decisions_from_form(view, request.form)
        except FormError as exc:
            return render_template("ballot.html", snap=snap, view=view, held_by=None,
                                   error=str(exc)), 400
        if items:
            g.store.record_decisions(ballot, items, reviewer=session["name"])
        if request.form.get("then") == "stay":
            flash("Đã ghi." if items else "Không có gì thay đổi.")
            return redirect(url_for("ballot", ballot=ballot))
        return redirect(url_for("next_ballot"))

    @app.route("/phieu/<int:ballot>/danh-dau", methods=["POST"])
    def flag(ballot: int):
        _, view = _view(ballot)
        note = " ".join(request.form.get("note", "").split())[:500]
        before = view.decided or MACHINE + (view.proposal or "none")
        g.store.record_decisions(ballot, [(None, "flagged", before)], reviewer=session["name"],
                                 note=note)
        flash("Đã đánh dấu phiếu để xem lại.")
        return redirect(url_for("ballot", ballot=ballot))

    @app.route("/anh/<int:page>.jpg")
    def page_image(page: int):
        stored = _page(page)
        return Response(images.page_jpeg(g.store, stored), mimetype="image/jpeg")

    @app.route("/o/<int:page>/<int:person>/<level>.png")
    def box_image(page: int, person: int, level: str):
        stored = _page(page)
        if level not in LEVELS or stored.reading.kind != "ballot":
            abort(404)
        layout = g.store.layout(stored.reading.layout_hash or "")
        rows = [r for r in layout.pages[stored.reading.page - 1].rows if r.person == person] \
            if layout and stored.reading.page else []
        if not rows:
            abort(404)
        box = rows[0].boxes[LEVELS.index(level)]
        return Response(images.crop_png(g.store, stored, box), mimetype="image/png")

    def _page(page_id: int):
        page = g.store.page(page_id)
        if page is None:
            abort(404, f"Không có trang số hiệu {page_id} trong hội nghị này.")
        return page

    # ------------------------------------------------------------------ gallery and results

    @app.route("/thu-vien-o")
    def gallery():
        boxes = gallery_boxes(snapshot(g.store))
        counts = histogram(boxes)
        return render_template("gallery.html", boxes=boxes, counts=counts, top=HISTOGRAM_TOP,
                               most=max(counts, default=0))

    @app.route("/ket-qua")
    def results():
        attendance = g.store.last_attendance()
        conference, results = tally_store(g.store, Attendance(**attendance))
        return render_template("results.html", conference=conference, results=results,
                               deputies=RULE_SETS[results.rules].percent_denominator == "deputies",
                               status=status_line(results), quorum=quorum_line(results))

    app.extensions["tinnhiem_images"] = images
    return app


def warm(folder: Path, images: ImageCache, stop: threading.Event) -> None:
    """Make the review images of every page (until ``stop``), so the gallery opens quickly."""
    try:
        with Store.open(folder, readonly=True) as store:
            for page in store.pages():
                if stop.is_set():
                    return
                if page.reading.kind == "ballot":
                    images.page(store, page)
    except Exception:  # the pages are made on demand anyway
        pass


def new_access_code() -> str:
    """Eight characters, easy to read aloud and type (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def is_loopback(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(folder: Path, *, host: str, port: int, announce) -> None:
    """Run the app with waitress until interrupted; ``announce`` receives the lines to print."""
    from waitress import create_server

    code = None if is_loopback(host) else new_access_code()
    app = create_app(folder, access_code=code)
    server = create_server(app, host=host, port=port, threads=8, ident="tinnhiem")
    shown = f"[{host}]" if ":" in host else host
    announce(f"Review page: http://{shown}:{server.effective_port}/  (Ctrl+C to stop)")
    if code:
        announce(f"Access code for the committee: {code}")
    stop = threading.Event()
    warmer = threading.Thread(target=warm, args=(folder, app.extensions["tinnhiem_images"], stop),
                              daemon=True)
    warmer.start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.close()
        warmer.join(timeout=10)
