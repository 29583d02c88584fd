"""What the review server checks of a request before any view sees it: the host name it was
sent to, the site a POST comes from, where a redirect may go, and ids in addresses.

Each is a small pure function or value, so the app (:mod:`tally.review.app`) only applies them.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

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
