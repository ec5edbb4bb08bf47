"""Every gettext catalogue of the project (locale/ and each app's locale/) translates every
string in each language of settings.LANGUAGES: no empty msgstr (plural forms included), no
fuzzy entry, as many plural forms as the header's nplurals, and the committed .mo file says
what the .po file says (a fresh machine needs no gettext)."""

import gettext
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import to_locale

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(
    p for pattern in ("locale/*/LC_MESSAGES/*.po", "*/locale/*/LC_MESSAGES/*.po")
    for p in ROOT.glob(pattern) if ".venv" not in p.parts
)
# English is the source language: an empty msgstr there means "the msgid as written".
SOURCE = "en"
TRANSLATED = [to_locale(code) for code, _ in settings.LANGUAGES if code != SOURCE]


@dataclass
class Entry:
    """One active (not obsolete) entry of a .po file."""

    line: int
    context: str | None
    msgid: str
    plural: bool
    forms: list[str]
    fuzzy: bool


def _unquote(chunks: list[str]) -> str:
    text = "".join(re.match(r'"(.*)"\s*$', c.strip()).group(1) for c in chunks)
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def parse_po(path: Path) -> list[Entry]:
    """The active entries of a .po file, the header (msgid "") included."""
    entries = []
    lines = path.read_text(encoding="utf-8").split("\n")
    block: list[tuple[int, str]] = []
    for number, text in enumerate(lines + [""], start=1):
        if text.strip():
            block.append((number, text))
            continue
        if block:
            entry = _entry(block)
            if entry:
                entries.append(entry)
        block = []
    return entries


def _entry(block: list[tuple[int, str]]) -> Entry | None:
    fuzzy = any(t.startswith("#,") and "fuzzy" in t for _, t in block)
    fields: dict[str, list[str]] = {}
    key = None
    first = None
    for number, text in block:
        if text.startswith("#"):
            continue  # comments, flags, and obsolete (#~) entries
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', text)
        if match:
            key = match[1]
            first = first or number
            fields[key] = [match[2]]
        elif key:
            fields[key].append(text)
    if "msgid" not in fields:
        return None
    forms = [_unquote(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
    context = _unquote(fields["msgctxt"]) if "msgctxt" in fields else None
    return Entry(first, context, _unquote(fields["msgid"]), "msgid_plural" in fields, forms, fuzzy)


def nplurals(entries: list[Entry]) -> int | None:
    """The number of plural forms the catalogue's header declares (None: no Plural-Forms)."""
    header = next(e for e in entries if e.msgid == "")
    match = re.search(r"nplurals\s*=\s*(\d+)", header.forms[0])
    return int(match[1]) if match else None


def problems(path: Path) -> list[str]:
    """What is untranslated, fuzzy, malformed or stale in one catalogue, one line each."""
    language = path.parts[-3]
    entries = parse_po(path)
    wanted = nplurals(entries)
    with open(path.with_suffix(".mo"), "rb") as f:
        mo = gettext.GNUTranslations(f)
    found = []
    for e in entries:
        where = f"line {e.line}: {e.msgid[:70]!r}"
        if e.fuzzy:
            found.append(f"fuzzy, {where}")
        if e.msgid == "":
            continue
        if language != SOURCE and not all(e.forms):
            found.append(f"untranslated, {where}")
        if e.plural and len(e.forms) != wanted:
            found.append(f"{len(e.forms)} plural forms instead of {wanted}, {where}")
        for placeholder in set(re.findall(r"%\(\w+\)[sd]", e.msgid)):
            if any(form and placeholder not in form for form in e.forms):
                found.append(f"{placeholder} missing from the translation, {where}")
        compiled = mo.pgettext(e.context, e.msgid) if e.context else mo.gettext(e.msgid)
        if not e.plural and e.forms[0] and compiled != e.forms[0]:
            found.append(f".mo is stale (compile the .po), {where}")
    return found


def test_catalogues_are_found():
    """The glob finds the project's catalogues (so the test below cannot pass on nothing)."""
    folders = {p.parents[2] for p in CATALOGUES}
    assert {ROOT / "locale", ROOT / "kiosk" / "locale", ROOT / "appointments" / "locale",
            ROOT / "congestion" / "locale"} <= folders
    for folder in folders:
        languages = {p.parts[-3] for p in CATALOGUES if p.parents[2] == folder}
        missing = set(TRANSLATED) - languages
        assert not missing, f"{folder.relative_to(ROOT)} has no catalogue for {sorted(missing)}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete(path):
    """No untranslated or fuzzy entry, the right plural forms, the .mo compiled from the .po."""
    found = problems(path)
    assert not found, f"{path.relative_to(ROOT)}:\n" + "\n".join(found)


def test_the_check_sees_untranslated_plural_and_fuzzy_entries(tmp_path):
    """The checker itself: a catalogue with an empty plural form and a fuzzy entry fails."""
    po = tmp_path / "ko" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        'msgid "%(n)s person"\nmsgid_plural "%(n)s people"\nmsgstr[0] ""\n\n'
        '#, fuzzy\nmsgid "Book"\nmsgstr "예약"\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n',
        encoding="utf-8")
    with open(po.with_suffix(".mo"), "wb") as f:  # an empty but valid .mo
        f.write(bytes.fromhex("de120495") + bytes(4) + bytes(4) + (28).to_bytes(4, "little") * 2
                + bytes(8))
    found = problems(po)
    assert [line.split(",")[0] for line in found] == [
        "untranslated", "fuzzy", ".mo is stale (compile the .po)"]
    assert "'%(n)s person'" in found[0] and "'Book'" in found[1]
