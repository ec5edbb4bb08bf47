"""The lobby's presence code (queueing/presence_code.py): derived per office and window."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queueing.presence_code import presence_code, presence_code_accepted

WINDOW = datetime.timedelta(minutes=5)  # the default PHONE_CODE_MINUTES
# A moment at the start of a window: 5-minute windows count from the epoch.
START = datetime.datetime(2026, 12, 2, 1, 0, tzinfo=datetime.UTC)
moments = st.datetimes(min_value=datetime.datetime(2025, 1, 1),
                       max_value=datetime.datetime(2035, 1, 1),
                       timezones=st.just(datetime.UTC))


def test_the_code_is_four_digits_and_the_same_through_its_window():
    first = presence_code(office_id=1, at=START)
    assert len(first.code) == 4 and first.code.isdigit()
    assert presence_code(office_id=1, at=START + WINDOW - datetime.timedelta(seconds=1)) == first
    assert first.changes_at == START + WINDOW


def test_the_code_changes_with_the_window():
    codes = {presence_code(office_id=1, at=START + i * WINDOW).code for i in range(12)}
    assert len(codes) > 6  # 4 digits: twelve windows almost never repeat much


def test_the_code_of_the_previous_window_is_still_accepted_but_not_the_one_before():
    old = presence_code(office_id=1, at=START).code
    assert presence_code_accepted(office_id=1, code=old, at=START + WINDOW)
    two_later = START + 2 * WINDOW
    if old not in {presence_code(office_id=1, at=two_later).code,
                   presence_code(office_id=1, at=two_later - WINDOW).code}:
        assert not presence_code_accepted(office_id=1, code=old, at=two_later)


def test_a_code_of_the_next_window_is_not_accepted_yet():
    now, later = presence_code(office_id=1, at=START), presence_code(office_id=1, at=START + WINDOW)
    previous = presence_code(office_id=1, at=START - WINDOW)
    if later.code not in (now.code, previous.code):
        assert not presence_code_accepted(office_id=1, code=later.code, at=START)


@settings(max_examples=200, deadline=None)
@given(at=moments)
def test_the_code_shown_is_accepted_until_the_window_after_it_ends(at):
    shown = presence_code(office_id=7, at=at)
    assert presence_code_accepted(office_id=7, code=shown.code, at=at)
    assert presence_code_accepted(office_id=7, code=shown.code,
                                  at=shown.changes_at + WINDOW - datetime.timedelta(seconds=1))


@settings(max_examples=200, deadline=None)
@given(at=moments)
def test_another_offices_code_is_refused_unless_they_happen_to_match(at):
    mine, theirs = presence_code(office_id=1, at=at).code, presence_code(office_id=2, at=at).code
    previous_mine = presence_code(office_id=1, at=at - WINDOW).code
    assert presence_code_accepted(office_id=1, code=theirs, at=at) == (
        theirs in (mine, previous_mine))


def test_offices_get_different_codes_in_the_same_window():
    codes = {presence_code(office_id=office, at=START).code for office in range(1, 21)}
    assert len(codes) > 15


def test_full_width_digits_are_read_as_typed_digits():
    code = presence_code(office_id=1, at=START).code
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert presence_code_accepted(office_id=1, code=f" {full_width} ", at=START)


@pytest.mark.parametrize("typed", ["", "123", "12345", "12a4", "abcd", "12.4", "١٢٣٤",
                                   "123456789012"])
def test_anything_but_four_digits_is_refused(typed):
    assert not presence_code_accepted(office_id=1, code=typed, at=START)


def test_the_code_depends_on_the_secret_key(settings):
    def codes():
        return [presence_code(office_id=1, at=START + i * WINDOW).code for i in range(5)]

    before = codes()
    settings.SECRET_KEY = "another deployment's key"
    assert codes() != before


def test_the_window_length_follows_the_setting(settings):
    settings.PHONE_CODE_MINUTES = 2
    shown = presence_code(office_id=1, at=START)
    assert shown.changes_at == START + datetime.timedelta(minutes=2)
