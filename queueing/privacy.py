"""What an Individual Number (個人番号, 12 digits) looks like, and the guards that keep it out.

Nothing in this product asks for, accepts, stores, shows or logs the
Individual Number (特定個人情報). Residents and staff type it by mistake,
in many spellings: full-width (１２３４), with hyphens, spaces or dots
between the groups, with invisible characters pasted along, in another
script's digits (Arabic-Indic, Devanagari ...), circled (①) or in kanji
numerals (一二三). ``holds_individual_number`` is the one place that decides;
everything else uses it:

- ``FreeTextField`` / ``FreeTextJSONField``: every free-text field of every
  model; its form field refuses such a value and a save with one raises
  ``IndividualNumberRefused`` (a backstop behind the services' own refusal).
- ``NeverEchoes``: a form mixin; a value holding one is never rendered back
  into its input, and no error message of the form quotes one.
- ``redact``: log lines (``RedactingFilter`` on every log handler) and API
  error bodies (``api/errors.py``) replace such a run with a marker.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import QueueError

DIGITS_IN_A_NUMBER = 12
# Visible characters (spaces, hyphens, dots, slashes, brackets ...) allowed between two
# digits of one number; invisible ones (zero-width, format, combining) do not count;
# a letter (not a mark like ー) or a colon ends it.
MAX_GAP = 3
# Kanji numerals as written in vertical text (〇 and 零 both for zero).
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_INVISIBLE = {"Cf", "Cc", "Mn", "Me", "Mc", "Zl", "Zp", "Cs", "Co", "Cn"}
_BREAKS = {":"}  # a time of day (10:30) ends a number
REDACTED = "[redacted]"

MESSAGE = _("Please do not enter your 12-digit Individual Number (My Number). It is not "
            "needed here and we never store it.")


def normalized(text: str) -> str:
    """Full-width to half-width (NFKC) and trimmed: how every typed value is read."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _runs(text: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, digit count) of each run of digits in the NFKC form of ``text``.

    A run goes on over separators (at most ``MAX_GAP`` visible ones between two
    digits, any number of invisible ones) and ends at a letter or a longer gap.
    """
    start = end = None
    count = gap = 0
    for i, ch in enumerate(text):
        if ch.isdecimal() or ch in _KANJI_DIGITS:
            if start is None:
                start, count = i, 0
            count, gap, end = count + 1, 0, i + 1
            continue
        if start is None:
            continue
        category = unicodedata.category(ch)
        if category in _INVISIBLE:
            continue
        if (category[0] != "L" or category == "Lm") and ch not in _BREAKS and gap < MAX_GAP:
            gap += 1
            continue
        yield start, end, count
        start, gap = None, 0
    if start is not None:
        yield start, end, count


def holds_individual_number(text) -> bool:
    """True when the text holds 12 or more digits in a row, whatever their script and
    whatever separators or invisible characters stand between them.

    A phone number in international form (+81 90 1234 5678) also has 12 digits;
    read it in its domestic form (090...) before asking.
    """
    if not isinstance(text, str) or not text:
        return False
    return any(count >= DIGITS_IN_A_NUMBER for _, _, count in _runs(normalized(text)))


def redact(text: str) -> str:
    """The text with every run that could be an Individual Number replaced by a marker."""
    if not holds_individual_number(text):
        return text
    text = normalized(text)
    out, last = [], 0
    for start, end, count in _runs(text):
        if count >= DIGITS_IN_A_NUMBER:
            out += [text[last:start], REDACTED]
            last = end
    return "".join([*out, text[last:]])


def texts_in(value) -> Iterator[str]:
    """Every string inside a value (nested lists and dicts included, keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from texts_in(k)
            yield from texts_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from texts_in(v)


def refuse_individual_number(value) -> None:
    """Validator of every free-text field: refuse a value holding an Individual Number.

    The message never quotes the value.
    """
    if any(holds_individual_number(t) for t in texts_in(value)):
        raise ValidationError(MESSAGE, code="individual_number")


class IndividualNumberRefused(QueueError):
    """A value holding an Individual Number reached a save (400, ``individual_number``)."""

    code = "individual_number"

    def __init__(self, field: str = ""):
        super().__init__(str(MESSAGE))
        self.field = field


# --- model fields -------------------------------------------------------------------


class _RefusesOnSave:
    """Runs the validator in forms, and refuses on every save and insert (bulk ones too)."""

    default_validators = [refuse_individual_number]

    def pre_save(self, model_instance, add):
        """The value to save; one holding an Individual Number is refused."""
        value = super().pre_save(model_instance, add)
        if any(holds_individual_number(t) for t in texts_in(value)):
            raise IndividualNumberRefused(self.name)
        return value


class FreeTextField(_RefusesOnSave, models.CharField):
    """A CharField for text a person typed (names, labels, reasons, messages, contacts)."""

    def formfield(self, **kwargs):
        """Its form field keeps the value out of re-rendered inputs."""
        return super().formfield(**{"form_class": FreeTextFormField, **kwargs})


class FreeTextJSONField(_RefusesOnSave, models.JSONField):
    """A JSONField whose strings a person typed (e.g. a service's names per language)."""


# --- forms ----------------------------------------------------------------------------


class FreeTextFormField(forms.CharField):
    """A form CharField refusing a value that holds an Individual Number."""

    default_validators = [refuse_individual_number]


class _NoEchoBoundField(forms.BoundField):
    def value(self):
        """The input's value; "" instead of anything holding an Individual Number."""
        value = super().value()
        read = getattr(self.field, "privacy_reader", None) or (lambda text: text)
        if any(holds_individual_number(read(t)) for t in texts_in(value)):
            return ""
        return value


class NeverEchoes:
    """Form mixin: no input re-renders, and no error message quotes, an Individual Number."""

    bound_field_class = _NoEchoBoundField

    def full_clean(self):
        """Clean as usual, then replace any error message that quotes one."""
        super().full_clean()
        for errors in (self._errors or {}).values():
            for i, error in enumerate(errors.data):
                messages = error.messages if isinstance(error, ValidationError) else [error]
                if any(holds_individual_number(m) for m in messages):
                    errors.data[i] = ValidationError(MESSAGE, code="individual_number")


class NeverEchoesModelForm(NeverEchoes, forms.ModelForm):
    """The admin's base form (every ModelAdmin and inline of the project uses it)."""


def guard_fields(model, names: list[str]) -> None:
    """Add the refusal to fields of a model this project does not define (auth's User)."""
    for name in names:
        field = model._meta.get_field(name)
        if refuse_individual_number not in field.validators:
            field.validators.append(refuse_individual_number)


# --- logs -----------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """A log filter: the message and its traceback lose every run that could be one."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        if holds_individual_number(message):
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and holds_individual_number(record.exc_text):
            record.exc_text = redact(record.exc_text)
        return True
