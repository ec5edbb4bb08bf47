"""When a service takes walk-in tickets: the one home of the office calendar and its hours.

The kiosk's buttons, the issue API (both paths) and the phone ticket all ask
``service_availability``; a checked-in booking is the one exception (an evening
pickup may come after the walk-in button's hours) and the issuing service says
so itself. Precedence on a date, most specific first:

1. an ad-hoc closure (``OfficeClosure``) closes the whole day, extra openings included;
2. a one-off extra opening on that date (休日開庁・夜間窓口) opens its hours, even on a
   national holiday or during 年末年始: an explicit decision of the city;
3. national holidays and 12/29-1/3 close the day (``queueing/holidays.py``); a weekly
   rule or a recurring extra opening never overrides them;
4. otherwise the weekday's weekly hours and recurring extra openings.

Within the office's hours a service takes tickets from its own ``available_from``
to the earlier of its ``available_until`` and the closing time less its
``reception_end_minutes`` (受付終了). An office with no calendar row at all is
open every day and its services follow their own hours only (as before the
calendar existed). A service that no counter of its first step's kind serves,
or whose daily ticket cap is reached, is not available either.
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import caches
from django.db.models import Count
from django.utils import timezone

from . import holidays, numbering, routing
from .models import OfficeClosure, OfficeExtraOpening, OfficeHours, Service, Ticket

# Reasons a service takes no ticket now (the kiosk and the API's detail say them).
INACTIVE = "inactive"
NO_COUNTER = "no_counter"  # no counter of its first step's kind serves it
SOLD_OUT = "sold_out"  # today's daily ticket cap is reached
CLOSED_TODAY = "closed_today"  # no hours today: see Availability.why
NOT_YET = "not_yet"  # opens later today (opens_at)
ENDED = "ended"  # after the service's own available_until
RECEPTION_ENDED = "reception_ended"  # after the calendar's hours less 受付終了
# Why a whole day is closed (Availability.why with CLOSED_TODAY).
CLOSURE = "closure"
NO_HOURS = "no_hours"

LOOK_AHEAD_DAYS = 31  # how far "opens next" looks
# The lean kiosk path reads the calendar from this process's memory, refreshed by every
# other read of it (the kiosk page, Django's issue path): a saved change reaches every
# kiosk within this many seconds without a query on the hot path.
CACHE_SECONDS = 10
_CACHE = "per-process"

Window = tuple[datetime.datetime, datetime.datetime]


@dataclass(frozen=True)
class OfficeCalendar:
    """An office's walk-in calendar from one business day on, and which of its services a
    counter serves, as loaded once (``office_calendar``)."""

    first_day: datetime.date
    weekly: tuple = ()  # (weekday, opens, closes)
    recurring: tuple = ()  # (weekday, opens, closes): recurring extra openings
    one_off: tuple = ()  # (date, opens, closes): one-off extra openings
    closures: dict = field(default_factory=dict)  # date -> reason
    served: frozenset = frozenset()  # service ids

    @property
    def configured(self) -> bool:
        """False for an office without any calendar row (open every day)."""
        return bool(self.weekly or self.recurring or self.one_off or self.closures)


@dataclass(frozen=True)
class Availability:
    """Whether a service takes tickets at a moment, and if not, why and when it opens next."""

    open: bool
    reason: str = ""  # one of the reasons above; "" when open
    opens_at: datetime.time | None = None  # today's next start (NOT_YET) or the service's own
    closes_at: datetime.time | None = None  # when reception ends (ended) today
    why: str = ""  # with CLOSED_TODAY: CLOSURE, holidays.YEAR_END, holidays.HOLIDAY, NO_HOURS
    next_open: datetime.datetime | None = None  # when it next takes tickets (Asia/Tokyo)


def office_calendar(*, office_id: int, day: datetime.date | None = None) -> OfficeCalendar:
    """Load the office's calendar from ``day`` (today by default) for LOOK_AHEAD_DAYS, with
    the services its counters serve; it also refreshes the lean path's copy."""
    day = day or timezone.localdate()
    last = day + datetime.timedelta(days=LOOK_AHEAD_DAYS)
    extras = list(OfficeExtraOpening.objects.filter(office_id=office_id)
                  .exclude(date__lt=day).exclude(date__gt=last)
                  .values_list("date", "weekday", "opens", "closes"))
    calendar = OfficeCalendar(
        first_day=day,
        weekly=tuple(OfficeHours.objects.filter(office_id=office_id)
                     .values_list("weekday", "opens", "closes")),
        recurring=tuple((w, o, c) for d, w, o, c in extras if d is None),
        one_off=tuple((d, o, c) for d, w, o, c in extras if d is not None),
        closures=dict(OfficeClosure.objects.filter(office_id=office_id, date__gte=day,
                                                   date__lte=last).values_list("date", "reason")),
        served=frozenset(routing.served_service_ids(office_id=office_id)),
    )
    if day == timezone.localdate():
        caches[_CACHE].set(_cache_key(office_id, day), calendar, CACHE_SECONDS)
    return calendar


def office_calendar_cached(*, office_id: int) -> OfficeCalendar | None:
    """Today's calendar of the office as this process last read it (at most CACHE_SECONDS
    ago), or None: no query, for the lean kiosk path."""
    return caches[_CACHE].get(_cache_key(office_id, timezone.localdate()))


def _cache_key(office_id: int, day: datetime.date) -> str:
    return f"walk-in-calendar:{office_id}:{day.isoformat()}"


def day_periods(*, calendar: OfficeCalendar, day: datetime.date
                ) -> tuple[list[tuple[datetime.time, datetime.time]], str]:
    """The office's opening periods on a date (merged, in order) and, when there is none,
    why the day is closed (CLOSURE, YEAR_END, HOLIDAY or NO_HOURS)."""
    if day in calendar.closures:
        return [], CLOSURE
    periods = [(o, c) for d, o, c in calendar.one_off if d == day]
    public, _ = holidays.public_closure(day)
    if not public:
        periods += [(o, c) for w, o, c in (*calendar.weekly, *calendar.recurring)
                    if w == day.weekday()]
    merged: list[tuple[datetime.time, datetime.time]] = []
    for opens, closes in sorted(periods):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged, ("" if merged else public or NO_HOURS)


def service_availability(*, service: Service, at: datetime.datetime,
                         calendar: OfficeCalendar | None = None,
                         issued_today: int | None = None) -> Availability:
    """Whether the service takes walk-in tickets at that moment, with the reason and the
    next opening when not. ``calendar`` (loaded when not given) is the office's; with a
    daily cap, ``issued_today`` is the count of its walk-in tickets today."""
    local = timezone.localtime(at)
    calendar = calendar or office_calendar(office_id=service.office_id, day=local.date())
    own = service.available_from, service.available_until
    if not service.active:
        return Availability(False, INACTIVE, *own)
    if service.pk not in calendar.served:
        return Availability(False, NO_COUNTER, *own)
    windows, why = _windows(service, calendar, local.date())
    if service.daily_ticket_cap is not None and (issued_today or 0) >= service.daily_ticket_cap:
        return Availability(False, SOLD_OUT, *own, next_open=_next_open(
            service, calendar, after=_day_end(local.date())))
    if any(start <= local < end for start, end in windows):
        return Availability(True, "", *own)
    later = [start for start, _ in windows if start > local]
    next_open = later[0] if later else _next_open(service, calendar, after=local)
    if later:
        return Availability(False, NOT_YET, later[0].time(), own[1], next_open=next_open)
    if not windows and why:
        return Availability(False, CLOSED_TODAY, *own, why=why, next_open=next_open)
    if own[0] is not None and local.time() < own[0]:  # its own hours start later
        return Availability(False, NOT_YET, *own, next_open=next_open)
    if own[1] is not None and local.time() >= own[1]:
        return Availability(False, ENDED, *own, next_open=next_open)
    if not windows:
        return Availability(False, CLOSED_TODAY, *own, why=NO_HOURS, next_open=next_open)
    return Availability(False, RECEPTION_ENDED, own[0], windows[-1][1].time(),
                        next_open=next_open)


def services_availability(*, services: list[Service], at: datetime.datetime,
                          calendar: OfficeCalendar | None = None) -> dict[int, Availability]:
    """``service_availability`` of each service of one office at that moment, reading the
    calendar (when not given) and the capped services' counts of the day once for all."""
    if not services:
        return {}
    calendar = calendar or office_calendar(office_id=services[0].office_id,
                                           day=timezone.localdate(at))
    issued = walk_in_tickets_today(
        service_ids=[s.id for s in services if s.daily_ticket_cap is not None],
        day=numbering.business_day(at))
    return {s.id: service_availability(service=s, at=at, calendar=calendar,
                                       issued_today=issued.get(s.id)) for s in services}


def walk_in_tickets_today(*, service_ids: list[int], day: datetime.date) -> dict[int, int]:
    """How many walk-in tickets (not booking check-ins) each service issued that day."""
    counted = (Ticket.objects.filter(service_id__in=service_ids, business_day=day,
                                     booking_reference="")
               .values("service_id").annotate(n=Count("id")).values_list("service_id", "n"))
    return {**dict.fromkeys(service_ids, 0), **dict(counted)}


def _windows(service: Service, calendar: OfficeCalendar, day: datetime.date
             ) -> tuple[list[Window], str]:
    """When the service takes tickets on a date, after the calendar and its own hours."""
    tz = timezone.get_default_timezone()
    if calendar.configured:
        periods, why = day_periods(calendar=calendar, day=day)
        ahead = datetime.timedelta(minutes=service.reception_end_minutes or 0)
        spans = [(datetime.datetime.combine(day, o, tz), datetime.datetime.combine(day, c, tz)
                  - ahead) for o, c in periods]
    else:
        why, spans = "", [(datetime.datetime.combine(day, datetime.time(0, 0), tz),
                           _day_end(day))]
    own_from = (datetime.datetime.combine(day, service.available_from, tz)
                if service.available_from else None)
    own_until = (datetime.datetime.combine(day, service.available_until, tz)
                 if service.available_until else None)
    windows = []
    for start, end in spans:
        start = max(start, own_from) if own_from else start
        end = min(end, own_until) if own_until else end
        if start < end:
            windows.append((start, end))
    return windows, why


def _next_open(service: Service, calendar: OfficeCalendar,
               after: datetime.datetime) -> datetime.datetime | None:
    """The first start of a ticket window from that moment on, within the calendar's days."""
    day = timezone.localtime(after).date()
    last = calendar.first_day + datetime.timedelta(days=LOOK_AHEAD_DAYS)
    while day <= last:
        for start, _ in _windows(service, calendar, day)[0]:
            if start >= after:
                return start
        day += datetime.timedelta(days=1)
    return None


def _day_end(day: datetime.date) -> datetime.datetime:
    """Midnight at the end of the date, Asia/Tokyo."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0, 0),
                                     timezone.get_default_timezone())


def weekday_runs(periods: dict[int, list[str]]) -> list[list[int]]:
    """Weekdays (0 = Monday) grouped into runs of consecutive days with the same periods,
    as posters print them (月〜金 8:30–17:15)."""
    runs: list[list[int]] = []
    for weekday in sorted(periods):
        if runs and runs[-1][-1] == weekday - 1 and periods[runs[-1][0]] == periods[weekday]:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    return runs
