"""The Individual Number detector (queueing/privacy.py) and the guards built on it."""

import logging
import unicodedata

import pytest
from django import forms
from django.utils import translation
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
    with translation.override("en"):
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


# Text fields that are not typed by a person: codes, choices, tokens, keys, languages.
NOT_FREE_TEXT = {
    "queueing.Office.code", "queueing.Service.code", "queueing.Service.prefix",
    "queueing.Step.kind", "queueing.Counter.kind", "queueing.Counter.status",
    "queueing.NumberSequence.prefix", "queueing.Ticket.prefix", "queueing.Ticket.status",
    "queueing.Ticket.language", "queueing.Ticket.token", "queueing.Ticket.booking_reference",
    "queueing.Ticket.request_key",  # an Idempotency-Key: letters, digits, - and _ only
    "queueing.Office.phone_join",  # a choice (off, lobby, anywhere)
    # The notice list keeps a keyed hash per notice and a report the import writes (line
    # numbers and reasons, never the rows' contents).
    "appointments.NoticeEntry.digest", "appointments.NoticeList.report",
    "queueing.TicketEvent.action", "queueing.TicketEvent.from_status",
    "queueing.TicketEvent.to_status", "queueing.TicketEvent.counter_kind",
    "queueing.TicketRating.counter_kind",
    "queueing.CounterEvent.action", "queueing.CounterEvent.from_status",
    "queueing.CounterEvent.to_status", "queueing.Device.type", "queueing.Device.key",
    "queueing.Device.languages", "queueing.SecurityEvent.action", "queueing.SpecialDay.kind",
    "queueing.PresetReason.purpose", "queueing.Unit.code", "queueing.Unit.measure",
    "queueing.CounterPresence.role", "queueing.CounterPresence.session_key",
    "queueing.CounterPresence.socket", "queueing.CounterPresence.left_reason",
    "appointments.Booking.status", "appointments.Booking.reference",
    "appointments.Booking.token", "appointments.Booking.language", "appointments.Booking.channel",
    "appointments.BookingEvent.action", "appointments.BookingEvent.from_status",
    "appointments.BookingEvent.to_status", "appointments.Notification.kind",
    "appointments.Notification.channel", "queueing.RecordFailure.job",
    "queueing.RecordFailure.record", "queueing.RecordFailure.error",
    "queueing.OfficeExtraOpening.kind",  # a choice: holiday_opening or evening
}


def test_every_free_text_field_of_every_model_goes_through_the_detector():
    from django.apps import apps
    from django.db import models

    from queueing.privacy import FreeTextField, FreeTextJSONField

    unguarded = []
    for app in ("queueing", "appointments"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if not isinstance(field, models.CharField | models.TextField
                                  | models.JSONField):
                    continue
                name = f"{app}.{model.__name__}.{field.name}"
                if name not in NOT_FREE_TEXT and not isinstance(
                        field, FreeTextField | FreeTextJSONField):
                    unguarded.append(name)
    assert not unguarded, unguarded


def test_every_form_of_the_product_never_echoes():
    from django.contrib import admin

    from appointments.forms import IdentifyForm, PhoneBookingForm
    from kiosk.views import MaintenanceForm
    from staff.views import StaffLoginView

    forms_ = [IdentifyForm, PhoneBookingForm, MaintenanceForm,
              StaffLoginView.authentication_form, admin.site.login_form]
    for model_admin in admin.site._registry.values():
        if model_admin.opts.app_label in ("axes", "auditlog", "authtoken"):
            continue  # the libraries' own admins: lock-outs, the history, API tokens
        forms_.append(model_admin.form)
        forms_ += [inline.form for inline in model_admin.inlines
                   if not getattr(inline, "readonly_fields", None)]
    assert all(issubclass(f, NeverEchoes) for f in forms_), [
        f for f in forms_ if not issubclass(f, NeverEchoes)]
