"""Every kiosk and status page string is translated in the 7 non-English languages, and
the committed .mo files match the .po files (a fresh machine needs no gettext)."""

import gettext
import re
from pathlib import Path

import pytest

from demo.city_hall import KIOSK_KEY

LOCALE = Path(__file__).resolve().parents[2] / "kiosk" / "locale"
LANGUAGES = {"ja": "ja", "ja-easy": "ja_Easy", "zh-hans": "zh_Hans", "ko": "ko", "vi": "vi",
             "pt-br": "pt_BR", "es": "es"}


def po_entries(folder: str) -> dict[str, list[str]]:
    """msgid -> msgstr forms, read from the .po file (a msgctxt's entry as "context\x04msgid",
    as gettext keys it)."""
    text = (LOCALE / folder / "LC_MESSAGES" / "django.po").read_text()
    entries = {}
    pattern = (r'(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?'
               r'((?:msgstr(?:\[\d\])? (?:".*"\n)+)+)')
    for ctx, mid, strs in re.findall(pattern, text):
        msgid = _unescape("".join(re.findall(r'"(.*)"', mid)))
        if ctx:
            msgid = _unescape("".join(re.findall(r'"(.*)"', ctx))) + "\x04" + msgid
        forms = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n)+)', strs)
        entries[msgid] = [_unescape("".join(re.findall(r'"(.*)"', f))) for f in forms]
    entries.pop("", None)
    return entries


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


@pytest.mark.parametrize("folder", LANGUAGES.values())
def test_catalog_translates_every_string_and_mo_matches_po(folder):
    entries = po_entries(folder)
    english = po_entries("ja").keys()
    assert set(entries) == set(english)  # same strings in every language
    with open(LOCALE / folder / "LC_MESSAGES" / "django.mo", "rb") as f:
        mo = gettext.GNUTranslations(f)
    for msgid, forms in entries.items():
        assert all(forms), f"{folder}: untranslated {msgid!r}"
        if len(forms) == 1:
            context, _, plain = msgid.rpartition("\x04")
            found = mo.pgettext(context, plain) if context else mo.gettext(msgid)
            assert found == forms[0], f"{folder}: .mo is stale for {msgid!r}"
        for placeholder in re.findall(r"%\(\w+\)s", msgid):
            assert all(placeholder in form for form in forms), (folder, msgid)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_show_no_english_interface_text(lang, client, issue):
    english = [m for m in po_entries("ja") if len(m.split()) >= 2 and "%" not in m]
    ticket = issue(language=lang)
    pages = [
        f"/kiosk/{KIOSK_KEY}/?lang={lang}",
        f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang={lang}",
        f"/kiosk/{KIOSK_KEY}/maintenance/?lang={lang}",
        f"/t/{ticket.token}/",
        f"/t/unknown-token/?lang={lang}",
        f"/kiosk/unknown-key/?lang={lang}",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        text = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
        leftovers = [m for m in english if m in text]
        assert not leftovers, f"{url}: {leftovers}"
        # The strings the scripts show are translated too.
        scripts = re.findall(
            r'<script id="[a-z-]+-messages" type="application/json">(.*?)</script>', html, re.S)
        for blob in scripts:
            assert not [m for m in english if m in blob], url
