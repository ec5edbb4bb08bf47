"""Every string of the congestion pages is translated in the 7 non-English languages, with
no fuzzy entry, and the committed .mo files match the .po files."""

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parents[2] / "congestion" / "locale"
LANGUAGES = {"ja": "ja", "ja-easy": "ja_Easy", "zh-hans": "zh_Hans", "ko": "ko", "vi": "vi",
             "pt-br": "pt_BR", "es": "es"}


def po_entries(folder: str) -> dict[str, list[str]]:
    """msgid -> msgstr forms of the congestion catalog."""
    return _parse((LOCALE / folder / "LC_MESSAGES" / "django.po").read_text())


def _parse(text: str) -> dict[str, list[str]]:
    entries = {}
    pattern = (r'msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?'
               r'((?:msgstr(?:\[\d\])? (?:".*"\n)+)+)')
    for mid, strs in re.findall(pattern, text):
        msgid = "".join(re.findall(r'"(.*)"', mid)).replace('\\"', '"')
        forms = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n)+)', strs)
        entries[msgid] = ["".join(re.findall(r'"(.*)"', f)).replace('\\"', '"') for f in forms]
    entries.pop("", None)
    return entries


@pytest.mark.parametrize("folder", LANGUAGES.values())
def test_catalog_translates_every_string_and_mo_matches_po(folder):
    path = LOCALE / folder / "LC_MESSAGES" / "django.po"
    assert "#, fuzzy" not in path.read_text()
    entries = po_entries(folder)
    assert set(entries) == set(po_entries("ja"))
    with open(path.with_suffix(".mo"), "rb") as f:
        mo = gettext.GNUTranslations(f)
    for msgid, forms in entries.items():
        assert all(forms), f"{folder}: untranslated {msgid!r}"
        assert mo.gettext(msgid) == forms[0], f"{folder}: .mo is stale for {msgid!r}"
        for placeholder in re.findall(r"%\(\w+\)s", msgid):
            assert all(placeholder in form for form in forms), (folder, msgid)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_show_no_english_interface_text(lang, office, history):
    english = [m for m in po_entries("ja") if len(m.split()) >= 2 and "%" not in m]
    for url in (f"/congestion/demo/?lang={lang}", f"/congestion/demo/?lang={lang}&date=x",
                f"/congestion/nowhere/?lang={lang}"):
        html = Client().get(url).content.decode()
        text = re.sub(r"<[^>]+>", " ", html)
        leftovers = [m for m in english if m in text]
        assert not leftovers, f"{url}: {leftovers}"
