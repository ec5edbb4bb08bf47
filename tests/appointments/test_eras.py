"""A date of birth typed as 年/月/日 with the year Western or in an era (appointments/eras.py).

The era boundaries are written out here again, from the official accession dates, so the
table in the code is checked against an independent copy rather than against itself.
"""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appointments.eras import NotADate, birth_date_read, year_read

# (name, letter, first day): 大正 from 1912-07-30, 昭和 from 1926-12-25, 平成 from 1989-01-08,
# 令和 from 2019-05-01.
ERAS = [("大正", "T", datetime.date(1912, 7, 30)), ("昭和", "S", datetime.date(1926, 12, 25)),
        ("平成", "H", datetime.date(1989, 1, 8)), ("令和", "R", datetime.date(2019, 5, 1))]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

days = st.dates(min_value=datetime.date(1912, 7, 30), max_value=datetime.date(2100, 12, 31))


def era_of(day: datetime.date) -> tuple[str, str, int]:
    """(name, letter, era year) of a day, from the independent table above."""
    name, letter, first = [e for e in ERAS if e[2] <= day][-1]
    return name, letter, day.year - first.year + 1


def spellings(name: str, letter: str, n: int) -> list[str]:
    """The ways a resident writes that era year."""
    number = "元" if n == 1 else str(n)
    written = [f"{name}{n}", f"{name}{n}年", f"{letter}{n}", f"{letter.lower()}{n}",
               f"{letter}.{n}", f"{name}{number}", f"{name}{number}年",
               f"{name}{n}".translate(FULL_WIDTH), f"{letter}{n}".upper().translate(FULL_WIDTH)]
    return written + ([f"{name} 元年"] if n == 1 else [])


@given(days, st.data())
def test_every_day_reads_back_from_its_era_year_however_it_is_spelled(day, data):
    name, letter, n = era_of(day)
    year = data.draw(st.sampled_from(spellings(name, letter, n)))
    assert birth_date_read(year, str(day.month), str(day.day)) == day


@given(days)
def test_every_day_reads_back_from_its_western_year_in_half_and_full_width(day):
    assert birth_date_read(str(day.year), str(day.month), str(day.day)) == day
    assert birth_date_read(f"{day.year}年".translate(FULL_WIDTH),
                           f"{day.month}月".translate(FULL_WIDTH),
                           f"{day.day}日".translate(FULL_WIDTH)) == day


@given(days, st.sampled_from(ERAS))
def test_a_day_written_in_an_era_it_is_not_in_is_refused(day, era):
    name, letter, first = era
    following = [e[2] for e in ERAS if e[2] > first]
    if first <= day < (following[0] if following else datetime.date.max):
        return  # the day is in that era: the test above reads it
    n = day.year - first.year + 1
    if not 1 <= n <= 99:
        return  # an era year no one can write (0 or negative, three digits)
    with pytest.raises(NotADate):
        birth_date_read(f"{name}{n}", str(day.month), str(day.day))


@given(st.text(max_size=12), st.text(max_size=4), st.text(max_size=4))
def test_any_text_is_a_date_or_a_plain_refusal(year, month, day):
    try:
        read = birth_date_read(year, month, day)
    except NotADate as exc:
        assert exc.code in ("year", "date")
    else:
        assert isinstance(read, datetime.date)


@pytest.mark.parametrize(("year", "month", "day", "expected"), [
    ("昭和64", "1", "7", datetime.date(1989, 1, 7)),  # the last day of 昭和
    ("平成元", "1", "8", datetime.date(1989, 1, 8)),
    ("H1", "1", "8", datetime.date(1989, 1, 8)),
    ("平成31", "4", "30", datetime.date(2019, 4, 30)),  # the last day of 平成
    ("令和元年", "5", "1", datetime.date(2019, 5, 1)),
    ("R1", "5", "1", datetime.date(2019, 5, 1)),
    ("平成2", "7", "15", datetime.date(1990, 7, 15)),
    ("Ｈ２", "７", "１５", datetime.date(1990, 7, 15)),
    ("㍻2", "7", "15", datetime.date(1990, 7, 15)),  # the one-character era sign
    ("令和6", "2", "29", datetime.date(2024, 2, 29)),
    ("1990", "07", "15", datetime.date(1990, 7, 15)),
])
def test_era_boundaries_and_spellings(year, month, day, expected):
    assert birth_date_read(year, month, day) == expected


@pytest.mark.parametrize(("year", "month", "day"), [
    ("昭和64", "1", "8"),  # that day is 平成元年1月8日
    ("平成元", "1", "7"),  # still 昭和64年
    ("平成31", "5", "1"),  # that day is 令和元年5月1日
    ("令和元", "4", "30"),  # still 平成31年
    ("昭和65", "1", "1"),
    ("1990", "2", "30"), ("1990", "13", "1"), ("令和5", "2", "29"),
])
def test_a_day_outside_its_era_or_the_calendar_is_not_a_date(year, month, day):
    with pytest.raises(NotADate) as refused:
        birth_date_read(year, month, day)
    assert refused.value.code == "date"


@pytest.mark.parametrize("year", ["", "90", "平成", "平成0", "X2", "平成2.5", "19901", "heisei 2"])
def test_an_unreadable_year_says_it_is_the_year(year):
    with pytest.raises(NotADate) as refused:
        year_read(year)
    assert refused.value.code == "year"
