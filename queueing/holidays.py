"""The days a Japanese city hall is closed by law and custom, whatever its own calendar says.

The one home of the rule that walk-in tickets (``queueing/hours.py``), bookings
(``appointments/openings.py``) and the forecast share: national holidays
(国民の祝日, substitute holidays included, from jpholiday) and the year-end break
(年末年始, 12/29-1/3; 行政機関の休日に関する法律 第1条). Only an explicit one-off
opening on that very date (休日開庁) overrides it; a weekly or recurring one never does.
"""

import datetime

import jpholiday

YEAR_END = "year_end"
HOLIDAY = "holiday"


def is_year_end(day: datetime.date) -> bool:
    """True from 12/29 to 1/3 (年末年始), when city halls are closed."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def public_closure(day: datetime.date) -> tuple[str, str]:
    """Why the law closes the office that day: (``year_end`` or ``holiday``, the holiday's
    name), or ("", "") on an ordinary day."""
    if is_year_end(day):
        return YEAR_END, ""
    name = jpholiday.is_holiday_name(day)
    if name:
        return HOLIDAY, name
    return "", ""


def holiday_closed(day: datetime.date) -> bool:
    """Closed by the calendar: a national holiday or the year-end break (12/29-1/3)."""
    return bool(public_closure(day)[0])
