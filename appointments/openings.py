"""When a schedule is open: weekly hours, national holidays, year-end, closures, extra openings.

The one home of the calendar rule. Precedence, most specific first:
1. an ad-hoc closure (ClosedDay) closes the whole day, extra openings included;
2. an extra opening (休日開庁・夜間窓口) is an explicit decision of the city and
   opens its hours even on a weekend, a national holiday or during year-end;
3. national holidays and 12/29-1/3 (年末年始) close the weekly hours (queueing/holidays.py);
4. otherwise the weekday's weekly rules apply.
No slot ends after the schedule's evening cut-off (19:30 by default).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from queueing.holidays import public_closure

from .models import Schedule


@dataclass(frozen=True)
class Period:
    """Opening hours on one date with a number of seats per slot."""

    opens: datetime.time
    closes: datetime.time
    capacity: int


@dataclass(frozen=True)
class PlannedSlot:
    """A slot the rules call for."""

    start: datetime.datetime
    end: datetime.datetime
    capacity: int


def closed_reason(*, schedule: Schedule, day: datetime.date,
                  closed_days: dict | None = None) -> str:
    """Why the weekly hours do not apply on that day ('' when they do)."""
    closed_days = closed_days if closed_days is not None else _closed_days(schedule)
    if day in closed_days:
        return closed_days[day] or "closed"
    kind, name = public_closure(day)  # the shared rule (queueing/holidays.py)
    return f"{kind}:{name}" if name else kind


def periods_on(*, schedule: Schedule, day: datetime.date, rules: list | None = None,
               extras: list | None = None, closed_days: dict | None = None) -> list[Period]:
    """The opening periods of a schedule on a date, after every rule above."""
    closed_days = closed_days if closed_days is not None else _closed_days(schedule)
    if day in closed_days:
        return []
    rules = rules if rules is not None else list(schedule.weekly_rules.all())
    extras = extras if extras is not None else list(schedule.extra_openings.all())
    periods = [Period(e.opens, e.closes, e.capacity) for e in extras if e.date == day]
    if not closed_reason(schedule=schedule, day=day, closed_days=closed_days):
        periods += [Period(r.opens, r.closes, r.capacity) for r in rules
                    if r.weekday == day.weekday()]
    return sorted(periods, key=lambda p: p.opens)


def planned_slots(*, schedule: Schedule, first: datetime.date, days: int) -> list[PlannedSlot]:
    """Every slot the rules call for from ``first`` for ``days`` days (first wins on overlap)."""
    rules = list(schedule.weekly_rules.all())
    extras = list(schedule.extra_openings.filter(date__gte=first,
                                                 date__lt=first + datetime.timedelta(days=days)))
    closed = _closed_days(schedule)
    length = datetime.timedelta(minutes=schedule.slot_minutes)
    tz = timezone.get_default_timezone()
    out: dict[datetime.datetime, PlannedSlot] = {}
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        cutoff = datetime.datetime.combine(day, schedule.evening_cutoff, tz)
        for period in periods_on(schedule=schedule, day=day, rules=rules, extras=extras,
                                 closed_days=closed):
            start = datetime.datetime.combine(day, period.opens, tz)
            closes = min(datetime.datetime.combine(day, period.closes, tz), cutoff)
            while start + length <= closes:
                out.setdefault(start, PlannedSlot(start, start + length, period.capacity))
                start += length
    return [out[k] for k in sorted(out)]


def _closed_days(schedule: Schedule) -> dict:
    return {c.date: c.reason for c in schedule.closed_days.all()}
