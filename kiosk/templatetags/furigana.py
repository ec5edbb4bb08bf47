"""Furigana for やさしい日本語: a ja-easy catalogue entry writes a kanji word with its reading
as ``{漢字|かんじ}``. On the page ``|furigana`` shows it as ``<ruby>漢字<rt>かんじ</rt></ruby>``;
where only plain text fits (the title) ``|furigana_reading`` writes the reading alone.

Everything else in the string is HTML-escaped, so a catalogue entry cannot add markup
beyond the ruby itself; the other languages' entries contain no notation and are only escaped.
"""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

NOTATION = re.compile(r"\{([^{}|]+)\|([^{}|]+)\}")


@register.filter
def furigana(text: str) -> SafeString:
    """The text HTML-escaped, each ``{漢字|かんじ}`` as ``<ruby>漢字<rt>かんじ</rt></ruby>``."""
    text = str(text)
    parts, last = [], 0
    for match in NOTATION.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(f"<ruby>{escape(match[1])}<rt>{escape(match[2])}</rt></ruby>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


@register.filter
def furigana_reading(text: str) -> str:
    """The text with each ``{漢字|かんじ}`` written as its reading only (autoescaped as usual)."""
    return NOTATION.sub(lambda match: match[2], str(text))
