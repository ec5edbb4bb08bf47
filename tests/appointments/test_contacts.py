"""Contacts (appointments/contacts.py): addresses as addresses, phones as phone numbers,
nothing that could break or add an e-mail header stored."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appointments.contacts import email_clean, phone_clean, phone_domestic
from queueing.errors import QueueError

HEADER_BREAKERS = ["\r", "\n", "\r\nBcc: x@evil.example", ",", ";", "<", ">", '"', " ", "\x00",
                   "\t", "(", ")", "\\"]


@given(st.sampled_from(HEADER_BREAKERS), st.integers(1, 12))  # inside: the ends are trimmed
@settings(max_examples=100, deadline=None)
def test_nothing_that_breaks_a_header_is_taken(breaker, where):
    address = "hanako.yamada@example.jp"
    crafted = address[:where] + breaker + address[where:]
    with pytest.raises(QueueError) as refused:
        email_clean(crafted)
    assert refused.value.code == "invalid_email"
    assert crafted not in refused.value.detail


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_whatever_is_taken_is_a_plain_address(text):
    try:
        email = email_clean(text)
    except QueueError:
        return
    assert email == "" or (email.isascii() and email.count("@") == 1
                           and not any(c in email for c in "\r\n ,;<>\"\\()"))


@pytest.mark.parametrize("address", ["hanako@example.jp", "taro.yamada+booking@city.example.jp",
                                     "  hanako@example.jp  ", "ｈａｎａｋｏ@example.jp"])
def test_ordinary_addresses_are_taken(address):
    assert "@" in email_clean(address)


@pytest.mark.parametrize("text", ["hanako", "@example.jp", "hanako@", "a@b", '"x y"@example.jp',
                                  "hanako@example.jp<script>", "x" * 250 + "@example.jp"])
def test_non_addresses_are_refused(text):
    with pytest.raises(QueueError):
        email_clean(text)


@pytest.mark.parametrize("typed,stored", [("090-1234-5678", "09012345678"),
                                          ("+81 90 1234 5678", "09012345678"),
                                          ("０３－１２３４－５６７８", "0312345678"),
                                          ("(03) 1234-5678", "0312345678")])
def test_phone_numbers_are_kept_in_domestic_form(typed, stored):
    assert phone_clean(typed) == stored
    assert phone_domestic(typed) == stored


@pytest.mark.parametrize("text", ["12345", "090-1234-567890", "+1 415 555 2671", "phone",
                                  "090-1234-5678\r\nBcc: x@evil.example"])
def test_non_phone_numbers_are_refused(text):
    with pytest.raises(QueueError) as refused:
        phone_clean(text)
    assert refused.value.code == "invalid_phone"


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_stored_phone_is_digits_only(text):
    try:
        phone = phone_clean(text)
    except QueueError:
        return
    assert phone == "" or (phone.isdigit() and phone.isascii() and 10 <= len(phone) <= 11)
