"""What the review server and the console check of a request before any view sees it: the host
name it was sent to, the site a POST comes from, its form's token, whether it comes from this
computer, where a redirect may go, and ids in addresses; and the error pages both answer with.

The checks are small pure functions or values, so the apps (:mod:`tally.review.app`,
:mod:`tally.console.app`) only apply them.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map, MapAdapter
from werkzeug.wrappers import Response

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")  # listening on every address of the machine
MAX_ID = 2**63 - 1  # the largest SQLite INTEGER: a larger id in an address is not found


class IdConverter(IntegerConverter):
    """A stored row's id in an address: 1 … MAX_ID, anything else is not found (404)."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def host_name(host: str) -> str | None:
    """The lower-case name or address of a ``Host`` header (port and brackets removed), or None
    when it is not a valid one."""
    if not host or any(c.isspace() or c in "/\\@?#" for c in host):
        return None
    try:
        parts = urlsplit("//" + host)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts.hostname or None


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or address; a request's remote address) is this computer."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_token(sent: str, expected: str) -> bool:
    """Constant-time comparison of a form's token; one that is not ASCII is simply wrong."""
    return sent.isascii() and hmac.compare_digest(sent, expected)


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str, bind: str) -> bool:
    """Whether a request sent to ``host`` (the Host header) is for the server listening on
    ``bind``: a loopback name, the address it listens on, or on every address any IP address.

    A page of another site that makes the browser send its requests here (DNS rebinding) sends
    its own host name, which is none of these: an IP address cannot be rebound.
    """
    name = host_name(host)
    if name is None:
        return False
    if name in LOOPBACK_NAMES or (bind in WILDCARD_BINDS and is_ip_address(name)):
        return True
    listened = host_name(f"[{bind}]" if ":" in bind else bind)
    return name == listened


def same_origin(origin: str | None, host_url: str) -> bool:
    """Whether a POST's ``Origin`` header is this server (``host_url``, e.g.
    ``http://127.0.0.1:8080/``). A request without one (not sent by a browser, or an old one)
    passes: its CSRF token still guards it. ``null`` (a sandboxed or opaque page) does not."""
    if origin is None:
        return True
    return origin.rstrip("/").lower() == host_url.rstrip("/").lower()


def safe_next(target: str, adapter: MapAdapter) -> str | None:
    """``target`` if it is a page of this app to go to after logging in, else None.

    Only a plain path that the app routes is followed: no scheme, host, backslash, control
    character or space, which browsers strip or read as another host (``/\\t/evil.example``).
    """
    if not target or any(c.isspace() or c == "\\" or ord(c) < 32 or ord(c) == 127
                         for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or \
            parts.path.startswith("//"):
        return None
    try:
        adapter.match(parts.path, method="GET")
    except HTTPException:  # not found, or a redirect (which could lead anywhere)
        return None
    return target


def secure_headers(response: Response) -> Response:
    """What every answer of the review server and the console says to the browser: never cache,
    never sniff, never frame, and only our own scripts, styles, images and forms."""
    response.headers["Cache-Control"] = "no-store, max-age=0"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # Our own address to our own pages only: with "no-referrer" a browser sends "Origin: null"
    # on our own forms, and the Origin check could not tell them from another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'")
    return response


def error_pages(app: Flask, titles: Mapping[int, str]) -> None:
    """Answer an HTTP error with the app's ``error.html``, titled ``titles[code]`` (English
    message ids), its description shown only when a view wrote it (not werkzeug's own); and any
    other exception with a page that says nothing of it, logged by its type only (its content
    may be secret)."""
    from ballotgen.i18n import N_, _  # here: the checks above need no catalogue

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        detail = exc.description if isinstance(exc.description, str) and \
            not exc.description.startswith(("The ", "You ", "Method ")) else ""
        return render_template("error.html", code=code, title=_(titles.get(code, N_("Error"))),
                               detail=detail), code

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        app.logger.error("internal error: %s", type(exc).__name__)
        return render_template("error.html", code=500, title=_(titles[500]),
                               detail=_("Try again; if it fails again, tell the "
                                        "administrator.")), 500
