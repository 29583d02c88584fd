"""The review web app: the counting committee resolves flagged ballots (``tinnhiem review``).

Server-rendered pages (Flask, Jinja) with a little JavaScript for the keyboard. Each view reads a
:func:`~tally.review.model.snapshot` of the store, calls one function of the model, and renders.

Safety: only requests sent to the host names the server was started for are answered (no DNS
rebinding), and a POST from another site is refused; pages and images are never cached by the
browser; every POST carries the session's CSRF token, and every form that records something a
one-time nonce, so a form sent twice records once. Committee members log in with their personal
code (:mod:`tally.committee`), which is what records their decisions; wrong codes are throttled
without sleeping. Off the loopback every page needs a member. A bad id, token or form gives a
clear page in Vietnamese, never a traceback.
"""

from __future__ import annotations

import functools
import math
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import (
    Flask,
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ballotgen import i18n
from ballotgen.i18n import N_, _
from ballotgen.vocabulary import (
    LEVELS,
    MACHINE,
    NOT_READ_LABEL,
    RESOLUTIONS,
    BallotChoice,
    BallotState,
    BallotStatus,
    Flag,
    Level,
    PageKind,
    RowChoice,
    RowValue,
    SetAsideHow,
    labels,
)
from omr.read import reason_text
from omr.settings import DEFAULT as SETTINGS
from tally.committee import member_for_code, normalise_code
from tally.count import vn_decimal
from tally.report import (
    BAND_COLUMN,
    anomaly_lines,
    band_label,
    problem_lines,
    quorum_line,
    status_line,
)
from tally.review.guard import (
    IdConverter,
    error_pages,
    host_allowed,
    is_loopback,
    safe_next,
    same_origin,
    same_token,
    secure_headers,
)
from tally.review.images import ImageCache
from tally.review.model import (
    HISTOGRAM_TOP,
    FormError,
    ballot_view,
    box_rect,
    conference_results,
    decisions_from_form,
    flag_decision,
    gallery_boxes,
    histogram,
    snapshot,
)
from tally.review.sessions import CSRF_BYTES, SESSION_ID_BYTES, LoginThrottle, Sessions
from tally.scan import reading_context
from tally.sentences import problem_text
from tally.store import SHORT_HASH, Member, Store

LEVEL_LABELS = labels(Level)
ROW_LABELS = labels(RowChoice)
BALLOT_LABELS = labels(BallotChoice)
READING_LABELS: dict[str | None, str] = {value: value.label for value in RowValue}
READING_LABELS[None] = NOT_READ_LABEL
STATE_LABELS = labels(BallotState)
REASON_LABELS = labels(Flag)
BALLOT_KEYS = {BallotChoice.GENUINE: "H", BallotChoice.INVALID: "K", BallotChoice.FOREIGN: "L",
               BallotChoice.EXCLUDED: "T"}  # the keyboard shortcut of each resolution
ERRORS = {400: N_("Bad request"), 403: N_("Not allowed"), 404: N_("Not found"),
          405: N_("Not allowed"), 409: N_("Another member is working on this ballot"),
          429: N_("Try again later"), 500: N_("A fault of the software")}  # English ids
MAX_NOTE_CHARS = 500
SERVER_THREADS = 8


def create_app(folder: Path | str, *, host: str = "127.0.0.1",
               clock: Callable[[], float] = time.monotonic) -> Flask:
    """The review app for the conference in ``folder``, served on the address ``host``.

    Off the loopback every page needs a member's code; on it, pages may be read without one,
    but recording anything still needs it. ``clock`` times the login throttle (tests).
    """
    folder = Path(folder)
    with Store.open(folder) as store:  # fails early with a clear error if it is not a conference
        images = ImageCache(folder, reading_context(store))
        store.release_all_locks()  # no session from before this start is alive
    members_only = not is_loopback(host)
    sessions, throttle = Sessions(), LoginThrottle(clock)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_bytes(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=256 * 1024)
    app.url_map.converters["id"] = IdConverter
    app.jinja_env.globals.update(
        LEVELS=LEVELS, LEVEL_LABELS=LEVEL_LABELS, ROW_LABELS=ROW_LABELS,
        BALLOT_LABELS=BALLOT_LABELS, READING_LABELS=READING_LABELS, REASON_LABELS=REASON_LABELS,
        STATE_LABELS=STATE_LABELS, BAND_COLUMN=BAND_COLUMN, band_label=band_label,
        vn_decimal=vn_decimal, problem_lines=problem_lines,
        anomaly_lines=anomaly_lines, SETTINGS=SETTINGS,
        RESOLUTIONS=RESOLUTIONS, BALLOT_KEYS=BALLOT_KEYS, ROW_CHOICES=tuple(RowChoice),
        BallotChoice=BallotChoice, BallotStatus=BallotStatus, Flag=Flag,
        MACHINE=MACHINE, form_nonce=lambda: sessions.new_nonce(session.get("sid", "")))
    # The templates' words come from the same catalogue, in the language of the moment.
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    app.jinja_env.globals["LANGUAGE"] = i18n.language
    app.jinja_env.filters["log1p"] = math.log1p
    app.jinja_env.filters["reasons"] = lambda reasons: "; ".join(r.label for r in reasons)
    app.jinja_env.filters["problem_text"] = problem_text
    app.jinja_env.filters["reason_text"] = reason_text

    @app.before_request
    def guard():
        if not host_allowed(request.host, host):  # DNS rebinding: another site's name for us
            abort(400, _("The review page opens only at the address printed when it started."))
        if request.method == "POST" and not same_origin(request.headers.get("Origin"),
                                                        request.host_url):
            abort(403, _("The form does not come from the review page."))
        # The log was checked whole at start; each append checks the event it follows.
        g.store = Store.open(folder, check_log=False)
        if request.endpoint == "static":
            return None
        session.setdefault("sid", secrets.token_urlsafe(SESSION_ID_BYTES))
        session.setdefault("csrf", secrets.token_urlsafe(CSRF_BYTES))
        if request.method == "POST" and not same_token(request.form.get("csrf", ""),
                                                        session["csrf"]):
            abort(400, _("The form has expired or does not come from this page. Reload the "
                         "page and do it again."))
        member = sessions.member(session["sid"])
        g.member = g.store.member(member) if member is not None else None
        if members_only and g.member is None and request.endpoint != "login":
            return redirect(url_for("login", next=request.path))
        return None

    @app.teardown_request
    def close(exc):
        store = g.pop("store", None)
        if store is not None:
            store.close()

    app.after_request(secure_headers)
    error_pages(app, ERRORS)

    def member_required(view):
        """Only a logged-in member may use ``view``: the code records who decided."""
        @functools.wraps(view)
        def checked(**kwargs):
            if g.member is None:
                if request.method == "POST":
                    abort(403, _("Enter your member's code before recording anything."))
                return redirect(url_for("login", next=request.path))
            return view(**kwargs)
        return checked

    def first_submit() -> bool:
        """Whether this POST's form is sent for the first time (its nonce is used up now)."""
        return sessions.use_nonce(session["sid"], request.form.get("nonce", ""))

    # ------------------------------------------------------------------ who is reviewing

    @app.route("/dang-nhap", methods=["GET", "POST"])
    def login():
        after = safe_next(request.args.get("next", ""), app.create_url_adapter(request))
        # ``next`` is a path of this app; under the console the app lives below a prefix.
        target = request.script_root + after if after else url_for("queue")
        if request.method == "GET":
            return render_template("login.html", error=None)
        client = request.remote_addr or ""
        wait = throttle.attempt(client)
        if wait:  # refused at once: guessing never holds a server thread
            response = make_response(render_template(
                "login.html",
                error=_("Too many wrong codes. Try again in {seconds} seconds.").format(
                    seconds=wait)),
                429)
            response.headers["Retry-After"] = str(wait)
            return response
        text = request.form.get("code", "")
        member = member_for_code(g.store, text)
        if member is None:  # counted as a wrong code already
            return render_template("login.html", error=_("Wrong member's code.")), \
                400 if normalise_code(text) is None else 403
        throttle.succeeded(client)
        sessions.end(session["sid"])
        session.clear()  # a new session id and token once logged in
        session["sid"] = secrets.token_urlsafe(SESSION_ID_BYTES)
        session["csrf"] = secrets.token_urlsafe(CSRF_BYTES)
        sessions.log_in(session["sid"], member.id)
        return redirect(target)

    @app.route("/dang-xuat", methods=["POST"])
    def logout():
        if g.member is not None:
            g.store.release(lock_owner(g.member))
        sessions.end(session["sid"])
        session.clear()
        return redirect(url_for("login" if members_only else "queue"))

    # ------------------------------------------------------------------ the queue

    @app.route("/")
    def queue():
        if g.member is not None:
            g.store.release(lock_owner(g.member))
        snap = snapshot(g.store)
        now = time.time()
        holders = {r.id: g.store.lock_holder(r.id, now=now) for r in snap.open()}
        flagged = snap.flagged()
        return render_template("queue.html", snap=snap, open=snap.open(), holders=holders,
                               me=lock_owner(g.member) if g.member else None,
                               counts=snap.reason_counts(), flagged=flagged,
                               done=sum(r.state == BallotState.RESOLVED for r in flagged))

    @app.route("/tiep")
    @member_required
    def next_ballot():
        snap = snapshot(g.store)
        candidates = [r.id for r in snap.open()]
        after = request.args.get("after", type=int)
        if after in candidates:  # skipping a ballot: the ones after it first, then from the top
            i = candidates.index(after) + 1
            candidates = candidates[i:] + candidates[:i - 1]
        claimed = g.store.claim(candidates, session=lock_owner(g.member),
                                reviewer=g.member.name, now=time.time())
        if claimed is None:
            flash(_("Every ballot to review has been resolved.") if not candidates else
                  _("The ballots left are being resolved by other members."))
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
            abort(400, _("Give the page as a whole number."))
        snap = snapshot(g.store)
        found = snap.find(file, page)
        if not found:
            abort(404, _("There is no page {page} of the file “{file}” in this conference.").format(
                page=page, file=file))
        if len(found) > 1:  # two files of that name: the member chooses by folder, time, hash
            return render_template("choose.html", snap=snap, found=found, file=file, page=page)
        return redirect(url_for("ballot", ballot=found[0].id))

    # ------------------------------------------------------------------ one ballot

    def _view(ballot: int):
        snap = snapshot(g.store)
        view = ballot_view(snap, g.store, ballot)
        if view is None:
            abort(404, _("This conference has no ballot at this address ({path}). Open the ballots "
                         "from the queue or the list of all ballots.").format(path=request.path))
        return snap, view

    def _holder(ballot: int) -> str | None:
        """Claim ``ballot`` for this member; the other member's name if one holds it. A reader
        who is not logged in claims nothing."""
        if g.member is None or g.store.claim([ballot], session=lock_owner(g.member),
                                             reviewer=g.member.name, now=time.time()) is None:
            holder = g.store.lock_holder(ballot, now=time.time())
            return holder[1] if holder else None
        return None

    def _again(ballot: int):
        """The answer to a form sent a second time: nothing is recorded again."""
        flash(_("This form was sent already; a decision is recorded once only."))
        return redirect(url_for("ballot", ballot=ballot), code=303)

    @app.route("/phieu/<id:ballot>")
    def ballot(ballot: int):
        snap, view = _view(ballot)
        return render_template("ballot.html", snap=snap, view=view, held_by=_holder(ballot),
                               error=None)

    @app.route("/phieu/<id:ballot>", methods=["POST"])
    @member_required
    def decide(ballot: int):
        snap, view = _view(ballot)
        held_by = _holder(ballot)
        if held_by:
            abort(409, _("{member} is working on this ballot; your decision was not recorded.")
                  .format(member=held_by))
        if not first_submit():
            return _again(ballot)
        try:
            items = decisions_from_form(view, request.form)
        except FormError as exc:
            return render_template("ballot.html", snap=snap, view=view, held_by=None,
                                   error=str(exc)), 400
        if items:
            g.store.record_decisions(ballot, items, reviewer=g.member.name)
        if request.form.get("then") == "stay":
            flash(_("Recorded.") if items else _("Nothing changed."))
            return redirect(url_for("ballot", ballot=ballot))
        return redirect(url_for("next_ballot"))

    @app.route("/phieu/<id:ballot>/danh-dau", methods=["POST"])
    @member_required
    def flag(ballot: int):
        __, view = _view(ballot)
        held_by = _holder(ballot)
        if held_by:
            abort(409, _("{member} is working on this ballot; it was not flagged.").format(
                member=held_by))
        if not first_submit():
            return _again(ballot)
        note = " ".join(request.form.get("note", "").split())[:MAX_NOTE_CHARS]
        g.store.record_decisions(ballot, [flag_decision(view)], reviewer=g.member.name,
                                 note=note)
        flash(_("The ballot is flagged to be looked at again."))
        return redirect(url_for("ballot", ballot=ballot))

    @app.route("/phieu/<id:ballot>/rut-tep", methods=["POST"])
    @member_required
    def withdraw(ballot: int):
        """Withdraw a file of this ballot as a whole (``tally.withdraw``): recorded with the
        reason and the member, its pages no longer count."""
        __, view = _view(ballot)
        file = request.form.get("file", "")
        if file not in {p.file_sha256 for p in view.ballot.pages}:
            abort(400, _("This file does not hold the ballot shown."))
        reason = " ".join(request.form.get("reason", "").split())[:MAX_NOTE_CHARS]
        if not reason:
            abort(400, _("Give the reason for withdrawing the file."))
        if not first_submit():
            return _again(ballot)
        pages = len(g.store.pages_read(file))
        if g.store.record_set_aside(file, SetAsideHow.WITHDRAWN, reason=reason,
                                    by=g.member.name):
            flash(_("Withdrew the file {file}: its {n} pages no longer count.").format(
                file=f"#{file[:SHORT_HASH]}", n=pages))
        else:
            flash(_("This file was withdrawn or refused before."))
        return redirect(url_for("queue"), code=303)

    @app.route("/anh/<id:page>.jpg")
    def page_image(page: int):
        stored = _page(page)
        return Response(images.page_jpeg(g.store, stored), mimetype="image/jpeg")

    @app.route("/dau/<id:page>.jpg")
    def stamp_image(page: int):
        data = images.stamp_jpeg(g.store, _page(page))
        if data is None:
            abort(404, _("This page was not scanned in colour."))
        return Response(data, mimetype="image/jpeg")

    @app.route("/o/<id:page>/<id:person>/<level>.png")
    def box_image(page: int, person: int, level: str):
        stored = _page(page)
        box = box_rect(g.store, stored, person, level)
        if box is None:
            abort(404)
        return Response(images.crop_png(g.store, stored, box), mimetype="image/png")

    def _page(page_id: int):
        page = g.store.page(page_id)
        if page is None:
            abort(404, _("This conference has no page at this address ({path}).").format(
                path=request.path))
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
        shown = conference_results(g.store)
        return render_template("results.html", shown=shown, conference=shown.conference,
                               results=shown.results, status=status_line(shown.results),
                               quorum=quorum_line(shown.results))

    app.extensions["tinnhiem_images"] = images
    return app


def warm(folder: Path, images: ImageCache, stop: threading.Event) -> None:
    """Make the review images of every page (until ``stop``), so the gallery opens quickly."""
    try:
        with Store.open(folder, readonly=True) as store:
            for page in store.pages():
                if stop.is_set():
                    return
                if page.reading.kind == PageKind.BALLOT:
                    images.page(store, page)
    except Exception:  # the pages are made on demand anyway
        pass


def lock_owner(member: Member) -> str:
    """Locks are held per member: whichever browser they use, a member holds one ballot."""
    return f"member:{member.id}"


def serve(folder: Path, *, host: str, port: int, announce) -> None:
    """Run the app with waitress until interrupted; ``announce`` receives the lines to print."""
    from waitress import create_server

    app = create_app(folder, host=host)
    server = create_server(app, host=host, port=port, threads=SERVER_THREADS, ident="tinnhiem")
    shown = f"[{host}]" if ":" in host else host
    announce(_("Review page: {url}  (Ctrl+C to stop)").format(
        url=f"http://{shown}:{server.effective_port}/"))
    with Store.open(folder, readonly=True) as store:
        members = store.members()
    if not members:
        announce(_("No committee members yet: nobody can record decisions. Give them with "
                   "'{command}'.").format(
            command=f"tinnhiem committee {folder} --member \"NAME:Trưởng ban\" ..."))
    announce(_("Each member logs in with their personal code (every page needs it on this "
               "address).") if not is_loopback(host) else
             _("Each member logs in with their personal code to record decisions; the queue "
               "can be read without it."))
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
