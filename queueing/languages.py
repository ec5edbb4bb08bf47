"""The languages residents can choose (kiosk, status page, booking): one list, from settings."""

from django.conf import settings

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)
DEFAULT = settings.LANGUAGE_CODE  # Japanese: kiosks return to it after inactivity


def language_or(value: str | None, default: str = DEFAULT) -> str:
    """The value when it is one of our language codes, else the default."""
    return value if value in LANGUAGE_CODES else default


def html_lang(code: str) -> str:
    """The BCP 47 tag for a page in that language (やさしい日本語 is Japanese to browsers)."""
    return "ja" if code == "ja-easy" else code
