"""What the public congestion page and its JSON show: counts and estimates, never a ticket.

- now: per procedure, residents waiting and the wait of a ticket issued now,
  from the live estimator (``queueing.selectors.service_queues``).
- a day by hour: the forecast of the office's arrivals per hour and, for the
  hours already begun, the arrivals recorded (the same count the forecast is
  fitted to: tickets by ``issued_at``).
- the busy-day calendar: each day of four weeks from this week's Monday, with
  its level against a typical open day and the reasons (``Model.explain``).
- best times: the open hours with the fewest expected arrivals in the coming
  open days (leaving out each day's first hour).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from queueing import forecast, numbering
from queueing import selectors as queue_selectors
from queueing.models import Office, Service

CALENDAR_WEEKS = 4
DAYS_BACK = 28  # a day by hour can be looked at this far back ...
DAYS_AHEAD = CALENDAR_WEEKS * 7 - 1  # ... and four weeks ahead, to the end of that week
BEST_TIMES_DAYS = 10  # open days searched for the best times
BEST_TIMES = 5
SHOWN_EFFECT = 0.05  # reasons closer to x1.0 than this are not worth telling


@dataclass(frozen=True)
class Reason:
    """One reason a day is busy or quiet: a flag of the model and its factor."""

    flag: str  # "weekday", "after_holiday", ..., "special:<kind>"
    factor: float
    label: str = ""  # a special day's own name


def office_by_code(*, code: str) -> Office | None:
    """The office with this code, or None."""
    return Office.objects.filter(code=code).first()


def office_model(*, office: Office, now: datetime.datetime | None = None) -> forecast.Model:
    """The office's forecast, for its active procedures only."""
    model = forecast.office_model(office_id=office.id, now=now)
    active = Service.objects.filter(office=office, active=True).values_list("id", flat=True)
    return forecast.restricted(model, active)


def now_by_procedure(*, office: Office, language: str) -> list[dict]:
    """Residents waiting and the expected wait of a new ticket, per active procedure."""
    return [{"procedure": row["code"], "name": row["name"], "waiting": row["waiting"],
             "expected_wait_minutes": row["estimated_wait_minutes"]}
            for row in queue_selectors.service_queues(office_id=office.id, language=language)]


def day_by_hour(*, office: Office, model: forecast.Model, day: datetime.date,
                now: datetime.datetime | None = None) -> dict:
    """The forecast per hour of a day and, for hours already begun, the recorded arrivals."""
    now = now or timezone.now()
    today = numbering.business_day(now)
    local = timezone.localtime(now)
    expected = model.hourly_total(day=day)
    actual: dict[int, int] = defaultdict(int)
    if day <= today:
        for (service_id, _, hour), n in forecast.arrival_counts(
                office_id=office.id, day_from=day, day_to=day).items():
            if service_id in model.services:
                actual[hour] += n
    hours = sorted(set(expected) | set(actual))
    rows = []
    for hour in hours:
        begun = day < today or (day == today and hour <= local.hour)
        rows.append({"hour": hour, "expected": round(expected.get(hour, 0.0), 1),
                     "actual": actual.get(hour, 0) if begun else None})
    return {"date": day, "open": model.is_open(day) or bool(actual), "is_today": day == today,
            "hours": rows, "top": max([r["expected"] for r in rows]
                                      + [r["actual"] or 0 for r in rows] + [1])}


def reasons(*, model: forecast.Model, day: datetime.date) -> list[Reason]:
    """The factors of a day that move it more than ``SHOWN_EFFECT`` from a typical day."""
    return [Reason(f.flag, round(f.factor, 2), f.label) for f in model.explain(day=day)
            if abs(f.factor - 1) >= SHOWN_EFFECT]


def last_day(*, today: datetime.date) -> datetime.date:
    """The calendar's last day: the Sunday of the week four weeks ahead."""
    ahead = today + datetime.timedelta(days=DAYS_AHEAD)
    return ahead + datetime.timedelta(days=6 - ahead.weekday())


def busy_calendar(*, model: forecast.Model, now: datetime.datetime | None = None) -> list[list]:
    """Weeks (Monday first) of days with their busy level, from this week's Monday to
    ``last_day`` (five rows unless today is a Monday)."""
    now = now or timezone.now()
    today = numbering.business_day(now)
    monday = today - datetime.timedelta(days=today.weekday())
    typical = model.typical_day()
    weeks = []
    for w in range((last_day(today=today) - monday).days // 7 + 1):
        week = []
        for i in range(7):
            day = monday + datetime.timedelta(days=7 * w + i)
            is_open = model.is_open(day)
            expected = model.day_total(day=day) if is_open else 0.0
            week.append({
                "date": day, "past": day < today, "is_today": day == today, "open": is_open,
                "level": forecast.busy_level(expected=expected, typical=typical)
                if is_open else "closed",
                "expected": round(expected),
                "reasons": reasons(model=model, day=day) if is_open else [],
            })
        weeks.append(week)
    return weeks


def best_times(*, model: forecast.Model, now: datetime.datetime | None = None) -> list[dict]:
    """The open hours with the fewest expected arrivals in the next open days (not begun)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    day = numbering.business_day(now)
    candidates = []
    days_seen = 0
    while day <= last_day(today=local.date()):
        if days_seen >= BEST_TIMES_DAYS:
            break
        if model.is_open(day):
            days_seen += 1
            # Not the day's first hour: it may be only partly open (8:30), and a line
            # forms at opening, so fewer arrivals there does not mean a shorter wait.
            for hour, n in sorted(model.hourly_total(day=day).items())[1:]:
                if day > local.date() or hour > local.hour:
                    candidates.append((n, day, hour))
        day += datetime.timedelta(days=1)
    candidates.sort(key=lambda c: (c[0], c[1], c[2]))
    picked = sorted(candidates[:BEST_TIMES], key=lambda c: (c[1], c[2]))
    return [{"date": d, "hour": h, "expected": round(n, 1)} for n, d, h in picked]
