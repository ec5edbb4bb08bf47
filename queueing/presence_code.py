"""The lobby's presence code for tickets taken on a phone: 4 digits that change every few
minutes (setting ``PHONE_CODE_MINUTES``, default 5).

An office that lets residents take a ticket from their phone only in the lobby shows the
code on its lobby display; the phone page asks for it. The code is derived, never stored:
an HMAC (SHA-256, keyed with ``SECRET_KEY``) of the office id and the number of the time
window, so every server process computes the same code with no shared state, and one
office's code says nothing about another's. The code of the window before is accepted
too: a resident who read it just before it changed is not refused.
"""

import datetime
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

DIGITS = 4


@dataclass(frozen=True)
class PresenceCode:
    """The code shown now and when the next one replaces it."""

    code: str
    changes_at: datetime.datetime


def _window_seconds() -> int:
    return max(1, settings.PHONE_CODE_MINUTES) * 60


def _window(at: datetime.datetime) -> int:
    return int(at.timestamp()) // _window_seconds()


def _code(office_id: int, window: int) -> str:
    message = f"presence-code:{office_id}:{window}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** DIGITS:0{DIGITS}d}"


def presence_code(*, office_id: int, at: datetime.datetime | None = None) -> PresenceCode:
    """The office's presence code at that moment (now by default) and when it changes."""
    at = at or timezone.now()
    window = _window(at)
    changes_at = datetime.datetime.fromtimestamp((window + 1) * _window_seconds(), datetime.UTC)
    return PresenceCode(code=_code(office_id, window), changes_at=changes_at)


def presence_code_accepted(*, office_id: int, code: str,
                           at: datetime.datetime | None = None) -> bool:
    """Whether a typed code is the office's code of this window or of the one before.

    Full-width digits (a Japanese keyboard's １２３４) and spaces are read as typed digits.
    """
    typed = "".join(unicodedata.normalize("NFKC", code or "").split())
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return False
    window = _window(at or timezone.now())
    return any(hmac.compare_digest(typed, _code(office_id, w)) for w in (window, window - 1))
