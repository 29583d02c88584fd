"""The review server's memory of who is logged in, which forms were sent, and wrong codes.

Nothing here is stored: restarting the server ends every session. The browser's cookie holds only
a random session id and the CSRF token; which member a session belongs to is known here alone, so
a logout ends the session even for a copy of its cookie.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

SESSION_ID_BYTES = 16  # the cookie's random session id (review server and console alike)
CSRF_BYTES = 24  # … and its CSRF token
NONCES_PER_SESSION = 64  # forms a session may have open at once; older ones are forgotten
NONCE_BYTES = 16

FREE_TRIES = 3  # wrong codes a client may enter before it has to wait
FIRST_WAIT_SECONDS = 2.0  # the wait after the first wrong code past FREE_TRIES; doubles each time
MAX_WAIT_SECONDS = 60.0
LOCKOUT_FAILURES = 10  # wrong codes from one client before it is locked out
LOCKOUT_SECONDS = 15 * 60
GLOBAL_WINDOW_SECONDS = 60.0  # wrong codes from all clients are counted over this window
GLOBAL_FAILURES = 30  # more in the window, and every login waits GLOBAL_PAUSE_SECONDS
GLOBAL_PAUSE_SECONDS = 60.0
MAX_CLIENTS = 10_000  # clients remembered; the oldest are forgotten first

log = logging.getLogger("tinnhiem.review")


@dataclass
class _Session:
    member: int | None = None
    nonces: OrderedDict[str, None] = field(default_factory=OrderedDict)


class Sessions:
    """Sessions by id: the member logged in, and the one-time nonces of the forms shown."""

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def member(self, sid: str) -> int | None:
        with self._lock:
            found = self._sessions.get(sid)
            return found.member if found else None

    def log_in(self, sid: str, member: int) -> None:
        with self._lock:
            self._sessions[sid] = _Session(member)

    def start(self, sid: str) -> None:
        """Remember ``sid`` without a member (the console's clerk), so that its forms get
        nonces; a session known already is left as it is."""
        with self._lock:
            self._sessions.setdefault(sid, _Session())

    def end(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def new_nonce(self, sid: str) -> str:
        """A one-time value for a form this logged-in session is shown."""
        nonce = secrets.token_urlsafe(NONCE_BYTES)
        with self._lock:
            found = self._sessions.get(sid)
            if found is None:  # only a member's forms record anything
                return ""
            found.nonces[nonce] = None
            while len(found.nonces) > NONCES_PER_SESSION:
                found.nonces.popitem(last=False)
        return nonce

    def use_nonce(self, sid: str, nonce: str) -> bool:
        """True once for a nonce given to this session; False when it was used already (a form
        sent twice), forgotten, or never given."""
        with self._lock:
            found = self._sessions.get(sid)
            if found is None or nonce not in found.nonces:
                return False
            del found.nonces[nonce]
            return True


@dataclass
class _Client:
    failures: int = 0
    until: float = 0.0  # no attempt is looked at before this time


class LoginThrottle:
    """Counts wrong codes per client and overall, and refuses early attempts without waiting.

    A client may try FREE_TRIES codes; then it must wait, twice as long after each wrong code,
    and after LOCKOUT_FAILURES it is locked out for LOCKOUT_SECONDS. Many wrong codes from all
    clients together make every login wait. A refused attempt is answered at once (with the
    wait), so guessing never ties up a server thread.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._recent: deque[float] = deque()  # times of the latest wrong codes, all clients
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def attempt(self, client: str) -> int:
        """Seconds ``client`` must wait before a code of theirs is looked at; 0: go ahead.

        An attempt allowed counts as a wrong code until :meth:`succeeded` says otherwise, so
        that many attempts sent at once cannot all pass before the first is counted.
        """
        now = self._clock()
        with self._lock:
            found = self._clients.get(client)
            until = max(self._paused_until, found.until if found else 0.0)
            if until > now:
                return math.ceil(until - now)
            self._failed(client, now)
            return 0

    def _failed(self, client: str, now: float) -> None:
        """Record a wrong code from ``client`` (the lock is held)."""
        found = self._clients.pop(client, None) or _Client()
        self._clients[client] = found  # the most recent last
        while len(self._clients) > MAX_CLIENTS:
            self._clients.popitem(last=False)
        found.failures += 1
        if found.failures >= LOCKOUT_FAILURES:
            found.until = now + LOCKOUT_SECONDS
            if found.failures == LOCKOUT_FAILURES:
                log.warning("login: a client entered %d wrong codes and is locked out for %d s",
                            found.failures, LOCKOUT_SECONDS)
        elif found.failures >= FREE_TRIES:
            wait = FIRST_WAIT_SECONDS * 2 ** (found.failures - FREE_TRIES)
            found.until = now + min(wait, MAX_WAIT_SECONDS)
        self._recent.append(now)
        while self._recent and self._recent[0] < now - GLOBAL_WINDOW_SECONDS:
            self._recent.popleft()
        if len(self._recent) > GLOBAL_FAILURES and self._paused_until <= now:
            self._paused_until = now + GLOBAL_PAUSE_SECONDS
            log.warning("login: %d wrong codes in %d s from all clients; every login waits %d s",
                        len(self._recent), GLOBAL_WINDOW_SECONDS, GLOBAL_PAUSE_SECONDS)

    def succeeded(self, client: str) -> None:
        """The attempt just allowed had the right code: ``client`` starts afresh."""
        with self._lock:
            self._clients.pop(client, None)
            if self._recent:
                self._recent.pop()
