"""The two references of a booking: the notice's number the resident types, and the booking code.

Notice reference (交付通知書の番号): 3 letters or digits, a hyphen, 6 digits.
Booking code: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
shown as XXXX-XXXX and encoded alone in the confirmation's QR code, so a
kiosk scanner that types like a keyboard gives back exactly the code.
"""

import re
import secrets

from queueing.privacy import normalized

NOTICE_RE = re.compile(r"^([A-Z0-9]{3})-?([0-9]{6})$")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_TAIL = re.compile(r"([A-Z2-9]{4})[-\s]?([A-Z2-9]{4})$")


def notice_reference_parse(text: str) -> str | None:
    """The canonical notice reference (ABC-123456), or None when the text is not one."""
    text = re.sub(r"[‐‑‒–—―ー−]", "-", normalized(text).upper())
    m = NOTICE_RE.match(re.sub(r"\s", "", text))
    if not m:
        return None
    return f"{m.group(1)}-{m.group(2)}"


def booking_code_new() -> str:
    """A fresh random booking code, XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def booking_code_parse(text: str) -> str | None:
    """The booking code in what a scanner or a person typed (code, or text ending with it)."""
    m = _CODE_TAIL.search(normalized(text).upper().rstrip("/"))
    if not m:
        return None
    return f"{m.group(1)}-{m.group(2)}"
