"""The Individual Number detector (queueing/privacy.py) and the guards built on it."""

import logging
import unicodedata

import pytest
from django import forms
from hypothesis import given, settings
from hypothesis import strategies as st

from queueing.privacy import (
    FreeTextFormField,
    IndividualNumberRefused,
    NeverEchoes,
    RedactingFilter,
    holds_individual_number,
    redact,
)

# Decimal digits of many scripts: ASCII, full-width, Arabic-Indic, Devanagari, Bengali,
# Thai, mathematical bold, circled (NFKC makes them ASCII) and kanji numerals.
DIGIT_SETS = ["0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९",
              "০১২৩৪৫৬৭৮৯", "๐๑๒๓๔๕๖๗๘๙", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", "⓪①②③④⑤⑥⑦⑧⑨", "〇一二三四五六七八九"]
VISIBLE_SEPARATORS = [" ", "-", "‐", "‑", "–", "—", "−", "ー", "　", ".", "/", "・", "_", "(",
                      ")", "\t"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u0301"]

digit_values = st.lists(st.integers(0, 9), min_size=12, max_size=12)
separator = st.lists(st.sampled_from(VISIBLE_SEPARATORS), max_size=2).map("".join)
invisible = st.lists(st.sampled_from(INVISIBLE), max_size=3).map("".join)


@st.composite
def spelled_numbers(draw):
    """A 12-digit number as a person (or a paste) might spell it."""
    digits = draw(digit_values)
    script = draw(st.sampled_from(DIGIT_SETS))
    parts = []
    for i, d in enumerate(digits):
        parts.append(script[d])
        if i < 11:
            parts.append(draw(separator) + draw(invisible))
    return draw(st.text(max_size=5, alphabet="abcあいう ")) + "".join(parts)


@given(spelled_numbers())
@settings(max_examples=300, deadline=None)
def test_any_spelling_of_twelve_digits_is_found(text):
    assert holds_individual_number(text)


@given(spelled_numbers())
@settings(max_examples=200, deadline=None)
def test_redacting_leaves_no_twelve_digits(text):
    assert not holds_individual_number(redact(text))


@given(st.lists(st.integers(0, 9), min_size=1, max_size=11), st.sampled_from(DIGIT_SETS),
       separator)
@settings(max_examples=200, deadline=None)
def test_eleven_digits_or_fewer_pass(digits, script, sep):
    assert not holds_individual_number(sep.join(script[d] for d in digits))


@pytest.mark.parametrize("text", [
    "090-1234-5678",  # a phone number in domestic form
    "ABC-123456",  # a notice's reference number
    "2026-06-10 10:30",  # a date and a time
    "A001 A002 A003 A004",  # ticket numbers
    "受付番号 A012 番、3 番窓口",
    "",
])
def test_ordinary_text_passes(text):
    assert not holds_individual_number(text)


@pytest.mark.parametrize("text", [
    "1234 5678 9012", "１２３４－５６７８－９０１２", "1234\u200b5678\u200b9012",
    "私の番号は 1234-5678-9012 です", "taro123456789012@example.jp", "一二三四五六七八九〇一二",
])
def test_usual_and_unusual_spellings_are_found(text):
    assert holds_individual_number(text)


def test_a_model_save_holding_one_is_refused(db):
    from queueing.models import Office

    with pytest.raises(IndividualNumberRefused):
        Office.objects.create(code="x", name="1234 5678 9012")


class Sample(NeverEchoes, forms.Form):
    note = FreeTextFormField(max_length=100)
    day = forms.DateField()
    pick = forms.ChoiceField(choices=[("a", "a")])


def test_a_refused_form_never_renders_the_number_back():
    number = "1234-5678-9012"
    form = Sample({"note": number, "day": number, "pick": number})
    assert not form.is_valid()
    html = str(form)
    assert set(form.errors) == {"note", "day", "pick"}
    for needle in (number, "123456789012", "1234"):
        assert needle not in html
    assert "Individual Number" in str(form.errors["note"])


def test_every_log_line_loses_the_number():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "Not Found: /t/%s/",
                               ("1234 5678 9012",), None)
    RedactingFilter().filter(record)
    message = record.getMessage()
    assert "[redacted]" in message and not holds_individual_number(message)


def test_nfkc_is_how_text_is_read():
    assert unicodedata.normalize("NFKC", "①") == "1"
    assert holds_individual_number("①②③④⑤⑥⑦⑧⑨⓪①②")
