"""The languages residents can choose (kiosk, status page, booking): one list, from settings."""

import datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)
DEFAULT = settings.LANGUAGE_CODE  # Japanese: kiosks return to it after inactivity


def language_or(value: str | None, default: str = DEFAULT) -> str:
    """The value when it is one of our language codes, else the default."""
    return value if value in LANGUAGE_CODES else default


def html_lang(code: str) -> str:
    """The BCP 47 tag for a page in that language (やさしい日本語 is Japanese to browsers)."""
    return "ja" if code == "ja-easy" else code


def render_in_language(request: HttpRequest, template: str, lang: str, context: dict,
                       status: int = 200) -> HttpResponse:
    """A resident's page rendered in that language, with the language switcher's context and
    its ``Content-Language``: the one way the kiosk, booking and congestion pages render."""
    with translation.override(lang):
        response = render(request, template, {
            **context, "lang": lang, "html_lang": html_lang(lang),
            "languages": settings.LANGUAGES}, status=status)
    response["Content-Language"] = html_lang(lang)
    return response


def day_with_weekday(day: datetime.date | datetime.datetime) -> str:
    """A date as residents read it, with its weekday, in the active language: 12月2日(水),
    Wed, Dec 2, ... (a moment is read in Asia/Tokyo). The one home of this format: the
    printed ticket and the booking pages use it (template filter ``with_weekday``)."""
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date()
    # Translators: a date format of Django's date filter for a day with its weekday: ja
    # n月j日(D) is 12月2日(水). Backslash a letter to print it as is.
    return date_format(day, gettext("D, M j"))
