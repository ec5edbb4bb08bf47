"""A booking's contact: an e-mail address or a Japanese phone number, checked as such.

The confirmation and the reminder are e-mailed to the address, so nothing that
could break or add a mail header is ever stored: Django's ``EmailValidator``
decides what an address is, and on top of it only the plain dot-atom form is
taken (no quoted local part, no spaces, no control characters, no ``<>``,
``"``, ``,`` or ``;``). Phone numbers are read by libphonenumber (Japan as the
home region) and kept in domestic form, digits only (09012345678).
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from queueing.errors import QueueError
from queueing.privacy import normalized

MAX_EMAIL = 254
# RFC 5322 dot-atom local part: what every mail system delivers, and nothing a header
# could be split or extended with.
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@")
_email_validator = EmailValidator()


def email_clean(value: str) -> str:
    """The address as stored (trimmed, NFKC), or "" when none was given; refuses a bad one."""
    email = normalized(value)
    if not email:
        return ""
    try:
        if len(email) > MAX_EMAIL or not email.isascii() or not _DOT_ATOM.match(email):
            raise ValidationError("not a plain address")
        _email_validator(email)
    except ValidationError:
        raise QueueError(_("Enter a valid email address."), code="invalid_email") from None
    return email


def phone_domestic(value: str) -> str:
    """The number in domestic form, digits only (+81 90-1234-5678 -> 09012345678), when it
    reads as a phone number at all; else the typed text, trimmed."""
    text = normalized(value)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return text
    if number.country_code != 81:
        return text
    return "0" + str(number.national_number)


def phone_clean(value: str) -> str:
    """The number as stored (domestic digits), or "" when none was given; refuses a number
    that is not a valid Japanese phone number."""
    text = normalized(value)
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "JP")
        valid = number.country_code == 81 and phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid or len(text) > 40:
        raise QueueError(_("Enter a Japanese phone number, e.g. 090-1234-5678."),
                         code="invalid_phone")
    return "0" + str(number.national_number)
