"""The console's web app (``tinnhiem serve``): the conferences of a workspace, creating one from
an uploaded roster, printing its ballots; each conference's review pages mounted below it.

Server-rendered pages (Flask, Jinja), each view a thin shell over one library function: a
conference is created by :func:`tally.prepare.create_conference` and its committee given by
:func:`tally.committee.add_members`, as ``tinnhiem init`` and ``tinnhiem committee`` do; ballots
are printed by :func:`tally.prepare.print_ballots`, as ``tinnhiem print`` does.

Who may do what (docs/architecture.md, "The console"): the workspace's pages (the list,
creating, printing, the PDFs) are the clerk's and answer only requests from this computer (the
loopback), whatever address the server listens on; a conference's review pages,
``/hoi-nghi/<folder>/kiem-tra/``, are that conference's review app (:mod:`tally.review.app`)
with its own members, codes and rules, as ``tinnhiem review`` serves it. The same guards as the
review server's apply to every page: the host name, the Origin of a POST, the session's CSRF
token, and a one-time nonce on every form that creates or prints something.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)

from ballotgen import i18n
from ballotgen.conference import STAMP_CHECKS
from ballotgen.errors import ConferenceError, InputFileError, TinnhiemError
from ballotgen.i18n import N_, _, ngettext
from ballotgen.layout import build_layout
from ballotgen.roster import MAX_ROSTER_BYTES, read_roster_file, roster_rows
from tally.committee import ROLES, add_members
from tally.console import preview
from tally.console.closing import add_closing_pages
from tally.console.scanning import MAX_SCAN_BYTES, Readers, save_scans, unread
from tally.console.watching import POLL_SECONDS, WatchError, Watchers, check_watched
from tally.console.workspace import (
    check_name,
    conference_folder,
    conference_names,
    conferences,
    discard_upload,
    save_upload,
    suggest_name,
    upload,
)
from tally.facts import FactError, check_required, check_text, parse_date
from tally.prepare import create_conference, print_ballots
from tally.review.guard import (
    error_pages,
    host_allowed,
    is_loopback,
    same_origin,
    same_token,
    secure_headers,
)
from tally.review.sessions import CSRF_BYTES, SESSION_ID_BYTES, Sessions
from tally.rules import DEFAULT_RULES, RULE_SETS
from tally.status import conference_status
from tally.store import Store

ERRORS = {400: N_("Bad request"), 403: N_("Not allowed"), 404: N_("Not found"),
          405: N_("Not allowed"), 413: N_("The file is too large"),
          500: N_("A fault of the software")}  # English ids
REVIEW_PATH = re.compile(r"^/hoi-nghi/([^/]+)/kiem-tra(/.*)$")
MEMBER_ROWS = 7  # rows for the committee's members on the form (committees have 3 to 7)
MAX_COPIES = 100_000  # as 'tinnhiem print --copies'
MAX_FORM_BYTES = MAX_ROSTER_BYTES + 64 * 1024  # a roster and its form


def create_console(workspace: Path | str, *, host: str = "127.0.0.1",
                   poll: float = POLL_SECONDS) -> Flask:
    """The console of the workspace folder ``workspace``, served on the address ``host``;
    watched scanner folders are polled every ``poll`` seconds."""
    workspace = Path(workspace)
    if not workspace.is_dir():
        raise ConferenceError(_("{folder}: not a folder").format(folder=workspace),
                              remedy=_("Give the workspace folder, where the conferences' "
                                       "folders are (it is made when missing)."))
    sessions = Sessions()
    readers = Readers()
    watchers = Watchers(readers, poll=poll)
    for name in conference_names(workspace):  # the scanner folders watched when it last stopped
        watchers.restore(workspace / name)
    specimens: dict[tuple[str, str], bytes] = {}  # (folder, conference JSON) → specimen PDF
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_bytes(32), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_NAME="tinnhiem-console",
                      MAX_CONTENT_LENGTH=MAX_FORM_BYTES, WORKSPACE=workspace)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    app.jinja_env.globals.update(
        LANGUAGE=i18n.language, RULE_SETS=RULE_SETS, ROLES=ROLES, STAMP_CHECKS=STAMP_CHECKS,
        MEMBER_ROWS=MEMBER_ROWS, form_nonce=lambda: sessions.new_nonce(session.get("sid", "")))

    @app.before_request
    def guard():
        if not host_allowed(request.host, host):  # DNS rebinding: another site's name for us
            abort(400, _("The console opens only at the address printed when it started."))
        if request.method == "POST" and not same_origin(request.headers.get("Origin"),
                                                        request.host_url):
            abort(403, _("The form does not come from the console."))
        if not is_loopback(request.remote_addr) and request.endpoint != "review_home":
            abort(403, _("The conference pages open only on the computer running the console. "
                         "Committee members open their conference's review page (Kiểm tra "
                         "phiếu), whose address the clerk gives them."))
        if request.endpoint == "static":
            return None
        if request.endpoint == "scanning":  # before the form is read: a stack may be large
            request.max_content_length = MAX_SCAN_BYTES
        session.setdefault("sid", secrets.token_urlsafe(SESSION_ID_BYTES))
        session.setdefault("csrf", secrets.token_urlsafe(CSRF_BYTES))
        sessions.start(session["sid"])
        if request.method == "POST" and not same_token(request.form.get("csrf", ""),
                                                        session["csrf"]):
            abort(400, _("The form has expired or does not come from this page. Reload the "
                         "page and do it again."))
        return None

    app.after_request(secure_headers)
    error_pages(app, ERRORS)

    @app.errorhandler(TinnhiemError)
    def refused(exc: TinnhiemError):  # a library refusal: its message names what and why
        return render_template("error.html", code=409, title=_("Not done"),
                               detail=exc.message, remedy=exc.remedy), 409

    def first_submit() -> bool:
        """Whether this POST's form is sent for the first time (its nonce is used up now)."""
        return sessions.use_nonce(session["sid"], request.form.get("nonce", ""))

    def folder_of(name: str) -> Path:
        folder = conference_folder(workspace, name)
        if folder is None:
            abort(404, _("The workspace has no conference {name}.").format(name=repr(name)))
        return folder

    # ------------------------------------------------------------------ the conferences

    @app.route("/")
    def home():
        return render_template("home.html", entries=conferences(workspace),
                               workspace=workspace.resolve())

    @app.route("/hoi-nghi/moi", methods=["GET", "POST"])
    def new():
        if request.method == "GET":
            return render_template("new.html", error=None)
        sent = request.files.get("roster")
        if sent is None or not sent.filename:
            return render_template("new.html", error=_("Choose the roster file (xlsx or "
                                                       "csv).")), 400
        token = save_upload(workspace, sent.filename, sent.read(MAX_ROSTER_BYTES + 1))
        return redirect(url_for("facts", token=token), code=303)

    @app.route("/hoi-nghi/moi/<token>", methods=["GET", "POST"])
    def facts(token: str):
        roster = upload(workspace, token)
        if roster is None:
            abort(404, _("This roster upload is no longer here (the conference was created, or "
                         "the upload was discarded). Upload the roster again."))
        shown = _roster_shown(roster)
        if request.method == "GET" or shown["error"]:
            return render_template("facts.html", token=token, form=_blank_form(),
                                   problems={}, **shown)
        form, problems, options, members = _read_facts(workspace, request.form)
        if problems:
            return render_template("facts.html", token=token, form=form, problems=problems,
                                   **shown), 400
        if not first_submit():
            flash(_("This form was sent already; the conference is created once only."))
            return redirect(url_for("home"), code=303)
        folder = workspace / form["folder"]
        conference = create_conference(folder, roster=roster, **options)
        codes = add_members(folder, members) if members else []
        discard_upload(workspace, token)
        return render_template("created.html", name=form["folder"], conference=conference,
                               codes=codes)

    # ------------------------------------------------------------------ one conference

    @app.route("/hoi-nghi/<name>/")
    def conference(name: str):
        folder = folder_of(name)
        state = conference_status(folder)
        return render_template("conference.html", name=name, state=state,
                               conference=state.conference,
                               review=_review_url(name))

    @app.route("/hoi-nghi/<name>/in-phieu", methods=["GET", "POST"])
    def printing(name: str):
        folder = folder_of(name)
        state = conference_status(folder)
        pages = len(build_layout(state.conference).pages)
        problem, copies = None, request.form.get("copies", "").strip()
        if request.method == "POST":
            problem = _copies_problem(copies)
            if problem is None and state.batches and not request.form.get("again"):
                problem = _("This would be print run {runs} of this conference: tick the box "
                            "to confirm that more ballots are needed.").format(
                                runs=len(state.batches) + 1)
            if problem is None:
                if not first_submit():
                    flash(_("This form was sent already; the ballots were printed once "
                            "only."))
                    return redirect(url_for("printing", name=name), code=303)
                result = print_ballots(folder, copies=int(copies))
                flash((_("Completed the print of batch {batch} that was interrupted; nothing "
                         "else was printed.") if result.completed else
                       _("Printed {copies} ballots, batch {batch}.")).format(
                           batch=result.batch, copies=result.copies))
                return redirect(url_for("printing", name=name, _anchor=f"lo-{result.batch}"),
                                code=303)
        return render_template("print.html", name=name, state=state,
                               conference=state.conference, pages=pages, problem=problem,
                               copies=copies), 400 if problem else 200

    @app.route("/hoi-nghi/<name>/quet-phieu", methods=["GET", "POST"])
    def scanning(name: str):
        folder = folder_of(name)
        if request.method == "POST":
            sent = [f for f in request.files.getlist("scans") if f.filename]
            if not sent:
                flash(_("Choose the scan files (PDF, TIFF, JPEG or PNG)."))
                return redirect(url_for("scanning", name=name), code=303)
            if not first_submit():
                flash(_("This form was sent already; the files were kept once only."))
                return redirect(url_for("scanning", name=name), code=303)
            upload = save_scans(folder, [(f.filename or "", f.stream) for f in sent])
            started = readers.start(folder, [upload])
            flash(ngettext("Kept {n} file; reading it.", "Kept {n} files; reading them.",
                           len(sent)).format(n=len(sent)) if started else
                  ngettext("Kept {n} file; it is read after the files being read now.",
                           "Kept {n} files; they are read after the files being read now.",
                           len(sent)).format(n=len(sent)))
            return redirect(url_for("scanning", name=name), code=303)
        return scan_page(name, folder)

    def scan_page(name: str, folder: Path, *, watch_problem: str | None = None,
                  watch_path: str = ""):
        job = readers.latest(folder)
        running = readers.running(folder)
        left = [] if running else unread(folder)
        state = conference_status(folder)
        with Store.open(folder, readonly=True) as store:
            files = [(f, len(store.pages_read(f.sha256))) for f in store.scan_files()]
        return render_template("scan.html", name=name, state=state, conference=state.conference,
                               job=job, running=running, left=left, files=files,
                               review=_review_url(name), watches=watchers.of(folder),
                               watch_problem=watch_problem, watch_path=watch_path), \
            400 if watch_problem else 200

    @app.route("/hoi-nghi/<name>/quet-phieu/thu-muc", methods=["POST"])
    def watch(name: str):
        folder = folder_of(name)
        typed = request.form.get("folder", "")
        try:
            path = check_watched(typed, workspace=workspace)
        except WatchError as exc:
            return scan_page(name, folder, watch_problem=str(exc), watch_path=typed)
        if first_submit():
            flash(_("Watching {path}: files the scanner saves there are read as they come.")
                  .format(path=path) if watchers.start(
                      folder, path, existing=bool(request.form.get("existing"))) else
                  _("{path} is watched already.").format(path=path))
        return redirect(url_for("scanning", name=name), code=303)

    @app.route("/hoi-nghi/<name>/quet-phieu/thu-muc/dung", methods=["POST"])
    def unwatch(name: str):
        folder = folder_of(name)
        if first_submit() and watchers.stop(folder, request.form.get("folder", "")):
            flash(_("No longer watching {path}.").format(path=request.form.get("folder")))
        return redirect(url_for("scanning", name=name), code=303)

    @app.route("/hoi-nghi/<name>/quet-phieu/doc-tiep", methods=["POST"])
    def read_again(name: str):
        folder = folder_of(name)
        if first_submit():
            left = unread(folder)
            if left and readers.start(folder, left) is None:
                flash(_("The files are being read already."))
        return redirect(url_for("scanning", name=name), code=303)

    def batch_pdf(name: str, batch: str) -> tuple[Path, Any]:
        folder = folder_of(name)
        with Store.open(folder, readonly=True) as store:
            record = next((b for b in store.batches() if b.code == batch), None)
        if record is None:
            abort(404, _("This conference has no batch {batch}.").format(batch=repr(batch)))
        path = folder / record.pdf_name
        if not path.is_file():
            abort(404, _("The PDF of batch {batch} is not in the conference folder (it was "
                         "printed elsewhere with -o, or moved).").format(batch=batch))
        return path, record

    @app.route("/hoi-nghi/<name>/in-phieu/<batch>.pdf")
    def download(name: str, batch: str):
        path, record = batch_pdf(name, batch)
        return send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=record.pdf_name)

    @app.route("/hoi-nghi/<name>/in-phieu/<batch>/trang-<int:page>.png")
    def batch_page(name: str, batch: str, page: int):
        path, record = batch_pdf(name, batch)
        if not 1 <= page <= record.pages:
            abort(404)
        return app.response_class(preview.page_png(path, page - 1), mimetype="image/png")

    @app.route("/hoi-nghi/<name>/in-phieu/mau/trang-<int:page>.png")
    def specimen_page(name: str, page: int):
        folder = folder_of(name)
        with Store.open(folder, readonly=True) as store:
            conference = store.conference()
        key = (name, conference.to_json())
        if key not in specimens:
            specimens[key] = preview.specimen_pdf(conference)
        png = preview.page_png(specimens[key], page - 1) if page >= 1 else None
        if png is None:
            abort(404)
        return app.response_class(png, mimetype="image/png")

    @app.route("/hoi-nghi/<name>/kiem-tra")
    def review_home(name: str):
        """The review pages' address as typed without its last slash (also from another
        computer: whether the conference exists is left to the next address to say)."""
        return redirect(_review_url(name))

    @app.route("/hoi-nghi/<name>/kiem-tra/", defaults={"rest": ""})
    @app.route("/hoi-nghi/<name>/kiem-tra/<path:rest>")
    def review_unavailable(name: str, rest: str):
        """Reached only when the conference's review app could not start (see
        :class:`_Mounts`): say why."""
        folder = folder_of(name)
        Store.open(folder, readonly=True).close()  # raises the store's own error
        abort(404)

    add_closing_pages(app, folder_of=folder_of, first_submit=first_submit,
                      review_url=_review_url)
    app.extensions["tinnhiem_readers"] = readers
    app.extensions["tinnhiem_watchers"] = watchers
    app.wsgi_app = _Mounts(app.wsgi_app, workspace, host)  # type: ignore[method-assign]
    return app


def _review_url(name: str, page: str = "") -> str:
    return f"{request.script_root}/hoi-nghi/{quote(name)}/kiem-tra/{page}"


class _Mounts:
    """The WSGI app in front of the console: ``/hoi-nghi/<folder>/kiem-tra/…`` goes to that
    conference's review app (made on first use, and again after a print run, whose layout it
    must know to show pages), the rest to the console. A review app that cannot start (a
    damaged store) leaves the address to the console, which says why."""

    def __init__(self, console: Callable, workspace: Path, host: str) -> None:
        self.console, self.workspace, self.host = console, workspace, host
        self.apps: dict[str, tuple[tuple[str, ...], Flask]] = {}  # name → (batches, app)
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = REVIEW_PATH.match(environ.get("PATH_INFO", ""))
        review = self.review(match.group(1), environ.get("SCRIPT_NAME", "")) if match else None
        if review is None or match is None:
            return self.console(environ, start_response)
        inner = dict(environ)
        inner["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + match.group(0)[
            :match.start(2)]
        inner["PATH_INFO"] = match.group(2)
        return review(inner, start_response)

    def review(self, raw: str, script_root: str) -> Flask | None:
        from tally.review.app import create_app

        try:  # WSGI gives the path's UTF-8 bytes as latin-1 characters
            name = raw.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return None
        folder = conference_folder(self.workspace, name)
        if folder is None:
            return None
        try:  # the review app reads pages with the layouts printed when it was made
            with Store.open(folder, readonly=True, check_log=False) as store:
                printed = tuple(b.code for b in store.batches())
        except TinnhiemError:
            return None
        with self.lock:
            made = self.apps.get(name)
            if made is not None and made[0] == printed:
                return made[1]
            try:  # made anew after a print run (its members log in again)
                app = create_app(folder, host=self.host)
            except TinnhiemError:
                return None
            digest = hashlib.sha256(name.encode()).hexdigest()[:12]
            app.config.update(SESSION_COOKIE_NAME=f"tinnhiem-kiem-tra-{digest}",
                              CONSOLE_HOME=f"{script_root}/hoi-nghi/{quote(name)}/")
            self.apps[name] = (printed, app)
            return app


# ---------------------------------------------------------------------- the forms' contents

FACT_FIELDS = ("org", "title", "date", "place", "venue", "summoned", "rules", "stamp",
               "folder")


def _blank_form() -> dict[str, Any]:
    form: dict[str, Any] = dict.fromkeys(FACT_FIELDS, "")
    form.update(rules=DEFAULT_RULES, stamp="off", members=[("", ROLES[0])] + [
        ("", ROLES[1])] * (MEMBER_ROWS - 1))
    return form


def _roster_shown(roster: Path) -> dict[str, Any]:
    """What the facts page shows of the uploaded roster: its persons and notes, or the error
    (naming the file as uploaded and the row) with the file's rows, that row marked."""
    shown: dict[str, Any] = dict(file=roster.name, persons=(), notes=(), error=None,
                                 problem="", remedy="", rows=(), error_row=None)
    try:
        read = read_roster_file(roster)
    except InputFileError as exc:
        shown.update(error=f"{roster.name}: {exc.problem}", problem=exc.problem,
                     remedy=exc.remedy,
                     rows=roster_rows(roster), error_row=getattr(exc, "row", None))
        return shown
    shown.update(persons=read.persons, notes=read.notes)
    return shown


def _read_facts(workspace: Path, sent) -> tuple[dict, dict[str, str], dict, list]:
    """The facts form as sent: the values to show again, the problem of each field, the
    options of :func:`~tally.prepare.create_conference`, and the members ``(name, role)``."""
    form = {name: sent.get(name, "").strip() for name in FACT_FIELDS}
    problems: dict[str, str] = {}

    def checked(field: str, check: Callable[[str], Any], value: str | None = None) -> Any:
        try:
            return check(form[field] if value is None else value)
        except FactError as exc:
            problems.setdefault(field, str(exc))
            return None

    org = [line.strip() for line in form["org"].splitlines() if line.strip()]
    if not org:
        problems["org"] = _("Give the organisation, one line per body, the parent body first.")
    for line in org:
        checked("org", check_required, line)
    checked("title", check_required)
    date = checked("date", parse_date)
    checked("place", check_text)
    checked("venue", check_text)
    summoned = None
    if form["summoned"]:
        if form["summoned"].isascii() and form["summoned"].isdigit() and \
                int(form["summoned"]) >= 1:
            summoned = int(form["summoned"])
        else:
            problems["summoned"] = _("Give the number of voters summoned as a whole number "
                                     "(1 or more), or leave it empty.")
    if form["rules"] not in RULE_SETS:
        problems["rules"] = _("Choose one of the rule sets.")
    if form["stamp"] not in STAMP_CHECKS:
        problems["stamp"] = _("Choose one of the stamp checks.")
    members = _read_members(sent, form, problems)
    if not form["folder"] and date is not None and "title" not in problems:
        form["folder"] = suggest_name(workspace, form["title"], date)
    if form["folder"]:
        checked("folder", lambda name: check_name(workspace, name))
    elif "folder" not in problems and date is not None:
        problems["folder"] = _("Give the folder's name.")
    options = dict(org="\n".join(org), title=form["title"], date=date, place=form["place"],
                   venue=form["venue"], summoned=summoned, rules=form["rules"],
                   stamp=form["stamp"])
    return form, problems, options, members


def _read_members(sent, form: dict, problems: dict[str, str]) -> list[tuple[str, str]]:
    rows = [(" ".join(sent.get(f"member_name_{i}", "").split()),
             sent.get(f"member_role_{i}", ROLES[1])) for i in range(MEMBER_ROWS)]
    form["members"] = rows
    members = [(name, role) for name, role in rows if name]
    for name, role in members:
        try:
            check_text(name)
        except FactError as exc:
            problems.setdefault("members", str(exc))
        if role not in ROLES:
            problems.setdefault("members", _("{name}: choose the role.").format(name=name))
    if sum(role == ROLES[0] for _name, role in members) > 1:
        problems.setdefault("members", _("Give one member the role Trưởng ban, the others "
                                         "Thành viên."))
    names = [name.casefold() for name, _role in members]
    if len(set(names)) < len(names):
        problems.setdefault("members", _("A member is listed twice."))
    return members


def _copies_problem(copies: str) -> str | None:
    if copies.isascii() and copies.isdigit() and 1 <= int(copies) <= MAX_COPIES:
        return None
    return _("Give the number of ballots to print as a whole number from 1 to {most}.").format(
        most=MAX_COPIES)


def serve(workspace: Path, *, host: str, port: int, announce) -> None:
    """Run the console with waitress until interrupted; ``announce`` receives the lines to
    print."""
    from waitress import create_server

    from tally.review.app import SERVER_THREADS

    app = create_console(workspace, host=host)
    server = create_server(app, host=host, port=port, threads=SERVER_THREADS, ident="tinnhiem")
    shown = f"[{host}]" if ":" in host else host
    announce(_("Console: {url}  (Ctrl+C to stop)").format(
        url=f"http://{shown}:{server.effective_port}/"))
    if not is_loopback(host):
        announce(_("Creating and printing open only on this computer; committee members "
                   "open their conference's review page at this address, with their code."))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
