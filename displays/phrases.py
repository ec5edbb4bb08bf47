"""What a lobby display says and shows in words, per language, from the translation catalogues.

The display speaks every language it is configured for and labels the screen in
all of them: the first large, and beside it in smaller type each other one in
turn (``display.js`` changes it every few seconds; the page is rendered with the
second). The script gets the phrases and the labels with their ``%(name)s``
placeholders (it fills in the number and counter), so no phrase is written in the
script.
"""

from django.utils import translation
from django.utils.translation import npgettext, pgettext

from queueing.languages import html_lang

# Every entry has the context "lobby display" (written out: xgettext reads only literal
# contexts), so the display's words never take another page's translation of the same
# English: app catalogues merge, and the first app listed wins.


def _labels_here() -> dict[str, str]:
    return {
        "title": pgettext("lobby display", "Call display"),
        "now_calling": pgettext("lobby display", "Now calling"),
        "calling_title": pgettext("lobby display", "Numbers being called"),
        "calling_empty": pgettext("lobby display", "No one is being called"),
        "recent": pgettext("lobby display", "Recent calls"),
        "waiting": pgettext("lobby display", "People waiting"),
        "service": pgettext("lobby display", "Service"),
        "people": pgettext("lobby display", "People"),
        "wait": pgettext("lobby display", "Wait"),
        "reconnecting": pgettext("lobby display", "Reconnecting…"),
        "enable_sound": pgettext("lobby display", "Enable sound"),
        "clock": pgettext("lobby display", "Current time"),
        "unknown_title": pgettext("lobby display", "Display not found"),
        "unknown": pgettext("lobby display",
                            "This display is not registered or its key was revoked."),
        "unknown_ask": pgettext("lobby display", "Ask the administrator for the display's key."),
        # The phone ticket box (displays/join_code.py): 「スマートフォンで整理券: コード 1234」
        "phone_ticket": pgettext("lobby display", "Ticket on your phone"),
        "phone_code": pgettext("lobby display", "Code"),
        "phone_qr": pgettext("lobby display", "QR code for taking a ticket on your phone"),
    }


def _phrases_here() -> dict[str, str]:
    return {
        # 「受付番号 A12番の方、3番窓口へお越しください」
        "announce": pgettext("lobby display",
                             "Number %(number)s, please come to counter %(counter)s"),
        "counter": pgettext("lobby display", "Counter %(counter)s"),
        "counter_short": pgettext("lobby display, recent calls", "Counter %(counter)s"),
        "people_one": npgettext("lobby display", "%(count)s person", "%(count)s people", 1),
        "people_other": npgettext("lobby display", "%(count)s person", "%(count)s people", 2),
        "wait_about": pgettext("lobby display", "About %(minutes)s min"),
        "wait_unknown": pgettext("lobby display", "Not known"),
        "page": pgettext("lobby display", "Page %(page)s of %(pages)s"),
    }


def labels(*, languages: list[str]) -> dict[str, dict]:
    """Each screen label as {"key", "text", "second", "second_lang", "turns"}: the first
    language's words, the second language's when they say something else (else None), and
    whether the smaller words turn through more languages (the script's labels)."""
    texts = []
    for code in languages[:2]:
        with translation.override(code):
            texts.append(_labels_here())
    first, second = texts[0], (texts[1] if len(texts) > 1 else {})
    second_lang = html_lang(languages[1]) if len(languages) > 1 else None
    return {
        key: {"key": key, "text": text,
              "second": second.get(key) if second.get(key, text) != text else None,
              "second_lang": second_lang, "turns": len(languages) > 2}
        for key, text in first.items()
    }


def labels_by_language(*, languages: list[str]) -> dict[str, dict[str, str]]:
    """The screen labels in every language, for the script to turn through."""
    found = {}
    for code in languages:
        with translation.override(code):
            found[code] = _labels_here()
    return found


def spoken_and_drawn(*, languages: list[str]) -> dict[str, dict[str, str]]:
    """Per language: the announcement and the drawn phrases, placeholders left in."""
    found = {}
    for code in languages:
        with translation.override(code):
            found[code] = _phrases_here()
    return found
