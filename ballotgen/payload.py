"""The QR payload: which issued batch, page and layout a ballot page belongs to, signed.

Format (QR alphanumeric mode, so the code stays small and reads at 150 dpi)::

    TN1-<batch>-<page>-<pages>-<layout hash>[-<serial>]-<mac>
    TN1-K7Q2M4XPAB-01-03-3F7A2C2D4E-5RZK2QW7HM          (42 characters: QR version 3-Q)

``batch``, ``serial`` and ``mac`` are 10 base32 characters (50 bits). The batch code is random per
print run; the optional serial is random per ballot (``--serials``). ``mac`` is HMAC-SHA256 over
everything before it, keyed with the conference's secret (kept in its store), so nobody without
the store can make a code that verifies. Without serials the code is identical on every copy, so it
identifies no voter (rule 11 of domain.md).

Each code printed also has a public **verification value**, :func:`code_digest`: a slow salted
hash of its whole text. An audit archive carries these instead of the key, so it can tell a
printed code from any other without being able to make one: a forger would have to find the
50-bit MAC by trying 2⁵⁰ values through the slow hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

FORMAT_VERSION = "TN1"
TOKEN_CHARS = 10  # base32 characters of batch codes, serials, layout hashes and MACs
KEY_BYTES = 32
MAX_PAGES = 99
DIGEST_SALT = b"tinnhiem ballot code verification"
DIGEST_ITERATIONS = 5_000  # PBKDF2-HMAC-SHA256 rounds: about 3 ms per code

_B32 = f"[A-Z2-7]{{{TOKEN_CHARS}}}"
_PATTERN = re.compile(
    rf"^{FORMAT_VERSION}-(?P<batch>{_B32})-(?P<page>\d\d)-(?P<pages>\d\d)-(?P<layout>{_B32})"
    rf"(?:-(?P<serial>{_B32}))?-(?P<mac>{_B32})$"
)


class PayloadFormatError(ValueError):
    """The text is not a ballot code of this format (another QR code, or a damaged one)."""


@dataclass(frozen=True)
class BallotCode:
    """What the QR code of one ballot page says."""

    batch: str
    page: int  # 1-based
    pages: int
    layout_hash: str
    serial: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.page <= self.pages <= MAX_PAGES:
            raise ValueError(f"page {self.page} of {self.pages} is out of range")
        for name in ("batch", "layout_hash") + (("serial",) if self.serial else ()):
            if not re.fullmatch(_B32, getattr(self, name)):
                raise ValueError(f"{name} must be {TOKEN_CHARS} base32 characters")

    def unsigned_text(self) -> str:
        fields = [FORMAT_VERSION, self.batch, f"{self.page:02d}", f"{self.pages:02d}",
                  self.layout_hash]
        if self.serial:
            fields.append(self.serial)
        return "-".join(fields)


def random_token() -> str:
    """A fresh random batch code or serial: 10 base32 characters, 50 bits from ``secrets``."""
    return base64.b32encode(secrets.token_bytes(8)).decode("ascii")[:TOKEN_CHARS]


def new_key() -> bytes:
    """A fresh secret key for a conference's codes."""
    return secrets.token_bytes(KEY_BYTES)


def _mac(unsigned: str, key: bytes) -> str:
    digest = hmac.new(key, unsigned.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:TOKEN_CHARS]


def encode(code: BallotCode, key: bytes) -> str:
    """The signed text to put in the QR code."""
    return signed_text(code, _mac(code.unsigned_text(), key))


def signed_text(code: BallotCode, mac: str) -> str:
    """The text of ``code`` signed with ``mac``, as :func:`encode` writes it."""
    return f"{code.unsigned_text()}-{mac}"


def code_digest(text: str) -> str:
    """The public verification value of a signed code's text (hex): it verifies the code
    without the key, and does not let anyone make another."""
    return hashlib.pbkdf2_hmac("sha256", text.encode("ascii"), DIGEST_SALT,
                               DIGEST_ITERATIONS).hex()


def decode(text: str) -> tuple[BallotCode, str]:
    """Parse a QR text into its code and MAC, without checking the MAC.

    Raises
    ------
    PayloadFormatError
        The text is not a ballot code of this format.
    """
    match = _PATTERN.fullmatch(text.strip())
    if not match:
        raise PayloadFormatError(f"not a ballot code: {text[:60]!r}")
    try:
        code = BallotCode(batch=match["batch"], page=int(match["page"]),
                          pages=int(match["pages"]), layout_hash=match["layout"],
                          serial=match["serial"])
    except ValueError as exc:
        raise PayloadFormatError(f"not a ballot code: {exc}") from exc
    return code, match["mac"]


def is_authentic(code: BallotCode, mac: str, key: bytes) -> bool:
    """True when ``mac`` was made with ``key`` for exactly this code (constant-time compare)."""
    return hmac.compare_digest(_mac(code.unsigned_text(), key), mac)
