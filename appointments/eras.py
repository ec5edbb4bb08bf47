"""Dates of birth as residents write them: the year in the Western calendar (1990) or in the
Japanese era calendar (和暦: 平成2, H2, 平成元年, 令和6, ㍻2, full-width digits).

The one home of the era table. An era starts on the day its emperor acceded and the
previous one ends the day before, so 昭和64年1月7日 is a date and 昭和64年1月8日 is not
(that day is 平成元年1月8日); 平成31年4月30日 is followed by 令和元年5月1日.
"""

import datetime
import re
from dataclasses import dataclass

from queueing.privacy import normalized


@dataclass(frozen=True)
class Era:
    """A Japanese era (元号): its name, the letter forms use (H for 平成), its first day."""

    name: str
    letter: str
    first_day: datetime.date


# 明治 counts from 1868-10-23 (明治改元, 慶応4年9月8日 in the old calendar); the dates before
# the Gregorian calendar (明治6年) do not concern a resident's birth date.
ERAS: tuple[Era, ...] = (
    Era("明治", "M", datetime.date(1868, 10, 23)),
    Era("大正", "T", datetime.date(1912, 7, 30)),
    Era("昭和", "S", datetime.date(1926, 12, 25)),
    Era("平成", "H", datetime.date(1989, 1, 8)),
    Era("令和", "R", datetime.date(2019, 5, 1)),
)
FIRST_YEAR = "元"  # 元年: the first year of an era

_ERA_YEAR = re.compile(r"(?P<era>明治|大正|昭和|平成|令和|[MTSHR])\.?(?P<n>\d{1,2}|元)年?",
                       re.IGNORECASE)
_WESTERN_YEAR = re.compile(r"(?P<year>\d{4})年?")
_NUMBER = re.compile(r"(?P<n>\d{1,2})[月日]?")


class NotADate(ValueError):
    """What was typed is no date: ``code`` says which part ("year", or "date" when the
    parts do not make a day of the calendar or of that era)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Year:
    """A year as typed: its Western number, and the era when it was written in one."""

    western: int
    era: Era | None = None


def year_read(text: str) -> Year:
    """The year in ``text`` (1990, 平成2, H2, 平成元年, ㍻２ ...); NotADate("year") otherwise."""
    text = re.sub(r"\s", "", normalized(text))
    western = _WESTERN_YEAR.fullmatch(text)
    if western:
        return Year(int(western["year"]))
    match = _ERA_YEAR.fullmatch(text)
    if not match:
        raise NotADate("year")
    era = next(e for e in ERAS if match["era"].upper() in (e.name, e.letter))
    n = 1 if match["n"] == FIRST_YEAR else int(match["n"])
    if n < 1:
        raise NotADate("year")
    return Year(era.first_day.year + n - 1, era)


def _number(text: str) -> int:
    match = _NUMBER.fullmatch(re.sub(r"\s", "", normalized(text)))
    if not match:
        raise NotADate("date")
    return int(match["n"])


def birth_date_read(year: str, month: str, day: str) -> datetime.date:
    """The date of the three inputs 年/月/日; NotADate when it is none (30 February, or a
    day outside the era written: 昭和64年1月8日)."""
    read = year_read(year)
    try:
        date = datetime.date(read.western, _number(month), _number(day))
    except ValueError as exc:  # month 13, 30 February, and NotADate itself
        raise NotADate("date") from exc
    if read.era is not None:
        following = ERAS.index(read.era) + 1
        ends = ERAS[following].first_day if following < len(ERAS) else datetime.date.max
        if not read.era.first_day <= date < ends:
            raise NotADate("date")
    return date
