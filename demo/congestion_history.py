"""Past weeks of visits for the demo city hall, so its congestion page has a forecast.

Writes tickets and their audit events directly (bulk), as the services would
have written them: issued, called at a counter of the step's kind, passed to
the next step or completed; a few no-shows and residents who left. Weekday and
hour seasonality, busier days after holidays and at month edges, and the
moving season, with Poisson noise and a fixed seed. Only for an office with no
tickets before today (or with ``replace``, which deletes them first).

The counters' audit trail too, as the counter open/close path writes it (one
``CounterEvent`` per change, by a demo account of the counter's kind): the city
staffs flat today, every counter open from 08:30 to 17:15 on each open day (or
until its last resident is done), so the staffing plan has last week's open
counters to compare with.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from queueing import forecast, numbering
from queueing.events import Action, counter_action
from queueing.models import (
    Counter,
    CounterEvent,
    CounterService,
    Kind,
    Office,
    Service,
    Ticket,
    TicketEvent,
)

from .city_hall import ACCOUNTS

# code -> share of a day's residents (the demo's 12 procedures)
SHARES = {"juminhyo": 0.25, "inkan": 0.08, "koseki": 0.08, "zeisho": 0.08, "tennyu": 0.10,
          "kokuho": 0.08, "nenkin": 0.05, "jidoteate": 0.04, "mynumber": 0.12,
          "koseki-todoke": 0.05, "fukushi": 0.03, "genmen": 0.04}
WEEKDAY = [1.3, 1.05, 0.95, 0.95, 1.1]
HOURS = {8: 0.6, 9: 1.3, 10: 1.45, 11: 1.3, 12: 0.8, 13: 1.05, 14: 1.0, 15: 0.85, 16: 0.55}
OPENS = datetime.time(8, 30)
CLOSES = datetime.time(17, 15)
# who opens and closes a counter of each kind (demo accounts, in ACCOUNTS)
OPENED_BY = {Kind.OUTSOURCED: "contractor", Kind.STAFF_ONLY: "municipal"}
NO_SHOW, LEFT = 0.03, 0.02


class HistoryExists(Exception):
    """The office already has tickets before today."""


def _rate_factor(day: datetime.date, code: str) -> float:
    flags = forecast.calendar_flags(day)
    f = WEEKDAY[day.weekday()]
    if forecast.AFTER_HOLIDAY in flags:
        f *= 1.35
    if forecast.MONTH_END in flags or forecast.MONTH_START in flags:
        f *= 1.15
    if code in ("tennyu", "kokuho", "juminhyo") and forecast.MOVING_SEASON in flags:
        f *= 1.6 if forecast.MOVING_PEAK in flags else 1.25
    return f


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; a rounded normal for large means, where it is slow)."""
    if mean > 60:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@transaction.atomic
def history_demo_load(*, office: Office, weeks: int = 8, per_day: int = 240, seed: int = 16,
                      replace: bool = False) -> int:
    """Write ``weeks`` of past visits for the office; the number of tickets written."""
    today = numbering.business_day()
    past = Ticket.objects.filter(office=office, business_day__lt=today)
    if past.exists():
        if not replace:
            raise HistoryExists(f"{office} already has tickets before {today}.")
        TicketEvent.objects.filter(ticket__in=past).delete()
        past.delete()
        CounterEvent.objects.filter(counter__office=office, at__lt=datetime.datetime.combine(
            today, datetime.time(), timezone.get_current_timezone())).delete()
    rng = random.Random(seed)
    services = {s.code: s for s in Service.objects.filter(office=office, active=True)
                .prefetch_related("steps")}
    counters: dict[tuple[int, str], list] = defaultdict(list)
    for cs in CounterService.objects.filter(counter__office=office).select_related("counter"):
        counters[(cs.service_id, cs.counter.kind)].append(cs.counter)
    tickets, plans, open_days = [], [], []
    day = today - datetime.timedelta(weeks=weeks)
    while day < today:
        if day.weekday() < 5 and not forecast.holiday_closed(day):
            open_days.append(day)
            numbers: dict[str, int] = defaultdict(int)
            for code, share in SHARES.items():
                service = services.get(code)
                if service is None:
                    continue
                steps = list(service.steps.all())
                for hour, weight in HOURS.items():
                    mean = per_day * share * _rate_factor(day, code) * weight / sum(HOURS.values())
                    for _ in range(poisson(rng, mean)):
                        start = 30 if hour == OPENS.hour else 0
                        minute = start + rng.random() * (60 - start)
                        issued = datetime.datetime.combine(
                            day, datetime.time(hour), timezone.get_current_timezone()
                        ) + datetime.timedelta(minutes=minute)
                        numbers[service.prefix] += 1
                        tickets.append(Ticket(
                            office=office, business_day=day, prefix=service.prefix,
                            number=numbers[service.prefix], service=service, step=steps[-1],
                            status=Ticket.Status.COMPLETED, issued_at=issued,
                            step_entered_at=issued))
                        plans.append((service, steps))
        day += datetime.timedelta(days=1)
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    events = []
    for ticket, (service, steps) in zip(tickets, plans, strict=True):
        events.extend(_visit(rng, ticket, service, steps, counters))
    TicketEvent.objects.bulk_create(events, batch_size=5000)
    CounterEvent.objects.bulk_create(_counter_days(office, open_days, events), batch_size=5000)
    Ticket.objects.bulk_update(tickets, ["status", "step", "step_entered_at", "called_at",
                                         "first_called_at", "closed_at"], batch_size=2000)
    return len(tickets)


def _counter_days(office: Office, days: list[datetime.date],
                  events: list[TicketEvent]) -> list[CounterEvent]:
    """Each counter opened at 08:30 and closed at 17:15 (or when its last resident of the
    day is done) on each of the days, audited as ``services.counter_set_status`` does."""
    tz = timezone.get_current_timezone()
    last: dict[tuple[int, datetime.date], datetime.datetime] = {}
    for e in events:
        if e.counter_id is not None:
            key = (e.counter_id, e.at.astimezone(tz).date())
            last[key] = max(last.get(key, e.at), e.at)
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=[a[0] for a in ACCOUNTS])}
    rows = []
    for counter in Counter.objects.filter(office=office).order_by("number"):
        actor = users.get(OPENED_BY.get(counter.kind, ""))
        for day in days:
            opened = datetime.datetime.combine(day, OPENS, tz)
            closed = max(datetime.datetime.combine(day, CLOSES, tz),
                         last.get((counter.id, day), opened) + datetime.timedelta(minutes=1))
            rows.append(CounterEvent(
                counter=counter, at=opened, action=counter_action(Counter.Status.OPEN),
                from_status=Counter.Status.CLOSED, to_status=Counter.Status.OPEN, actor=actor))
            rows.append(CounterEvent(
                counter=counter, at=closed, action=counter_action(Counter.Status.CLOSED),
                from_status=Counter.Status.OPEN, to_status=Counter.Status.CLOSED, actor=actor))
    return rows


def _visit(rng, ticket, service, steps, counters) -> list[TicketEvent]:
    at = ticket.issued_at
    events = [TicketEvent(ticket=ticket, at=at, action=Action.ISSUED, from_status="",
                          to_status=Ticket.Status.WAITING, to_step=steps[0])]
    minutes = service.default_service_minutes / len(steps)
    for i, step in enumerate(steps):
        counter = rng.choice(counters[(service.id, step.kind)] or [None])
        wait = datetime.timedelta(minutes=rng.expovariate(1 / 8))
        if rng.random() < LEFT:
            at += wait
            ticket.status, ticket.step, ticket.closed_at = Ticket.Status.CANCELLED, step, at
            events.append(TicketEvent(ticket=ticket, at=at, action=Action.CANCELLED,
                                      from_status=Ticket.Status.WAITING,
                                      to_status=Ticket.Status.CANCELLED, from_step=step,
                                      to_step=step, reason="Resident left."))
            return events
        at += wait
        ticket.called_at = at
        ticket.first_called_at = ticket.first_called_at or at
        kind = counter.kind if counter else ""
        events.append(TicketEvent(ticket=ticket, at=at, action=Action.CALLED,
                                  from_status=Ticket.Status.WAITING,
                                  to_status=Ticket.Status.CALLED, from_step=step, to_step=step,
                                  counter=counter, counter_kind=kind))
        if rng.random() < NO_SHOW:
            at += datetime.timedelta(minutes=2)
            ticket.status, ticket.step, ticket.closed_at = Ticket.Status.NO_SHOW, step, at
            events.append(TicketEvent(ticket=ticket, at=at, action=Action.NO_SHOW,
                                      from_status=Ticket.Status.CALLED,
                                      to_status=Ticket.Status.NO_SHOW, from_step=step,
                                      to_step=step, counter=counter, counter_kind=kind,
                                      reason="No-show."))
            return events
        at += datetime.timedelta(minutes=minutes * rng.lognormvariate(-0.18, 0.6))
        last = i == len(steps) - 1
        events.append(TicketEvent(
            ticket=ticket, at=at, action=Action.COMPLETED if last else Action.STEP_COMPLETED,
            from_status=Ticket.Status.CALLED,
            to_status=Ticket.Status.COMPLETED if last else Ticket.Status.WAITING,
            from_step=step, to_step=step if last else steps[i + 1], counter=counter,
            counter_kind=kind))
        ticket.step, ticket.step_entered_at = step, at
    ticket.status, ticket.closed_at = Ticket.Status.COMPLETED, at
    return events
