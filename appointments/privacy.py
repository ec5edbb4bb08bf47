"""Refusing the Individual Number (個人番号, 12 digits) in anything a resident types.

The booking never asks for, accepts or stores it (特定個人情報). Residents
sometimes type it where the notice's reference number is asked, or paste it
into a contact field; every field is checked, and the refusal explains why.
"""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―ー−]")
_TWELVE_OR_MORE = re.compile(r"[0-9]{12,}")


def normalized(text: str) -> str:
    """Full-width to half-width (NFKC) and trimmed: how every typed value is read."""
    return unicodedata.normalize("NFKC", text or "").strip()


def holds_individual_number(text: str) -> bool:
    """True when the text holds 12 digits in a row, ignoring spaces and hyphens between them.

    A phone number in international form (+81 90 1234 5678) also has 12 digits;
    it is read in its domestic form (090...) before this check.
    """
    compact = _SEPARATORS.sub("", normalized(text))
    return bool(_TWELVE_OR_MORE.search(compact))
