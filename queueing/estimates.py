"""Estimated waiting time: one estimator for kiosk, displays, status pages and dashboard.

The estimate replays the office's next hours on the counters that are open
now, the way ``routing.waiting_line`` will call people: priority, then the
counter's own service ranking, then the original issue time. Each counter
takes the next ticket it may serve when it finishes the one it has; a
ticket finishing a step joins its next step keeping its place, and
residents expected to arrive (from the last half hour's arrivals) are
added, because a counter's higher-ranked services overtake a lower-ranked
line. Service times come from the recent counter time per service and
step kind today, blended with the configured default until a few calls
have been timed.

Why not "people ahead x mean service time / open counters": counters serve
several services with different rankings and both kinds of step share
tickets, so the people in the same line say little about when one is
called. ``python -m bench day`` measures the difference.

Everything is read in a handful of queries per office (no query per ticket)
and the result is cached per office state (event version plus a fingerprint
of open tickets and counters) for at most a minute.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from . import events, numbering, routing
from .models import Counter, CounterService, Office, Service, Step, Ticket, TicketEvent

RECENT = 20  # counter-time samples kept per service and step kind
MIN_SAMPLES = 3  # below this, blend in the configured default
SAMPLE_WINDOW = datetime.timedelta(hours=2)  # only recent counter times count
ARRIVAL_WINDOW = datetime.timedelta(minutes=30)  # recent arrivals predict the next ones
HORIZON = datetime.timedelta(hours=6)  # the replay stops here
ARRIVAL_HORIZON = datetime.timedelta(hours=3)  # expected arrivals are added this far ahead
# A ticket already at a counter is assumed to need at least this share of a
# mean service time more (it may have just been called or be nearly done).
MIN_REMAINING_SHARE = 0.25


@dataclass
class Forecast:
    """Predicted call times for an office at one moment (absolute times, UTC)."""

    at: datetime.datetime
    version: int
    ticket_calls: dict[int, datetime.datetime] = field(default_factory=dict)
    new_ticket_calls: dict[int, datetime.datetime] = field(default_factory=dict)
    service_minutes: dict[tuple[int, str], float] = field(default_factory=dict)

    def ticket_minutes(self, ticket_id: int, now: datetime.datetime | None = None) -> int | None:
        """Minutes until a waiting ticket is called (None: not waiting or beyond the horizon)."""
        at = self.ticket_calls.get(ticket_id)
        return None if at is None else _minutes_until(at, now or timezone.now())

    def new_ticket_minutes(
        self, service_id: int, now: datetime.datetime | None = None
    ) -> int | None:
        """Minutes a ticket issued now for the service would wait (None: beyond the horizon)."""
        at = self.new_ticket_calls.get(service_id)
        return None if at is None else _minutes_until(at, now or timezone.now())


def _minutes_until(at: datetime.datetime, now: datetime.datetime) -> int:
    return max(0, round((at - now).total_seconds() / 60))


def office_forecast(*, office_id: int, now: datetime.datetime | None = None) -> Forecast:
    """The office's forecast; reused while the office's state and the minute are unchanged.

    The cache key holds the event version and a fingerprint of the open
    tickets and open counters (two cheap queries), so a forecast is never
    served for another state, even where versions repeat (a test database
    rolled back, a restored backup). A forecast older than a minute is redone.
    """
    now = now or timezone.now()
    version = Office.objects.values_list("event_version", flat=True).get(pk=office_id)
    fingerprint = hash((
        tuple(Ticket.objects.filter(
            office_id=office_id, business_day=numbering.business_day(now), status__in=Ticket.OPEN,
        ).order_by("id").values_list("id", "step_id", "status", "counter_id", "issued_at",
                                     "called_at")),
        tuple(Counter.objects.filter(office_id=office_id, status=Counter.Status.OPEN)
              .order_by("id").values_list("id", flat=True)),
    ))
    key = f"queueing:forecast:{office_id}:{version}:{fingerprint}"
    cached = cache.get(key)
    if cached is not None and abs((now - cached.at).total_seconds()) < 60:
        _latest[office_id] = cached
        return cached
    forecast = forecast_compute(office_id=office_id, now=now, version=version)
    cache.set(key, forecast, timeout=60)
    _latest[office_id] = forecast
    return forecast


# Per process: the newest forecast of each office, for readers that can live
# with an estimate a few seconds old as long as every ticket they ask for is in it.
_latest: dict[int, Forecast] = {}
RECENT_ENOUGH = datetime.timedelta(seconds=10)


def ticket_wait_minutes(*, ticket: Ticket) -> int | None:
    """Estimated minutes until this waiting ticket is called at its step (0 if not waiting).

    None when it cannot be known: no open counter serves the step, or the
    call lies beyond the replay's horizon. Screens then say "not known"
    rather than a number nobody can trust.
    """
    if ticket.status != Ticket.Status.WAITING:
        return 0
    return office_forecast(office_id=ticket.office_id).ticket_minutes(ticket.id)


def ticket_wait_minutes_all(*, office_id: int, ticket_ids: list[int]) -> dict[int, int | None]:
    """Estimated minutes until each of these waiting tickets is called (None: not known)."""
    if not ticket_ids:
        return {}
    # Status pages ask after every call; a replay per call was most of their
    # latency in bench/fanout.py, so a forecast up to RECENT_ENOUGH old that
    # already knows every one of these tickets is reused.
    forecast = _latest.get(office_id)
    now = timezone.now()
    if (forecast is None or not datetime.timedelta(0) <= now - forecast.at < RECENT_ENOUGH
            or not forecast.ticket_calls.keys() >= set(ticket_ids)):
        forecast = office_forecast(office_id=office_id, now=now)
    return {ticket_id: forecast.ticket_minutes(ticket_id, now) for ticket_id in ticket_ids}


def new_ticket_wait_minutes(*, office_id: int) -> dict[int, int | None]:
    """Minutes a ticket issued now would wait, per active service id (None: not known)."""
    forecast = office_forecast(office_id=office_id)
    return {service_id: forecast.new_ticket_minutes(service_id)
            for service_id in forecast.new_ticket_calls.keys() | _active_service_ids(office_id)}


def waiting_by_step(*, office_id: int) -> dict[int, int]:
    """Waiting tickets per step id of an office, today (one query)."""
    rows = (
        Ticket.objects.filter(
            office_id=office_id, business_day=numbering.business_day(),
            status=Ticket.Status.WAITING,
        )
        .values("step_id")
        .annotate(n=Count("id"))
    )
    return {r["step_id"]: r["n"] for r in rows}


def _active_service_ids(office_id: int) -> set[int]:
    active = Service.objects.filter(office_id=office_id, active=True)
    return set(active.values_list("id", flat=True))


def service_minutes_recent(
    *, office_id: int, now: datetime.datetime | None = None,
    since: datetime.datetime | None = None, limit: int | None = RECENT,
) -> dict[tuple[int, str], tuple[float, int]]:
    """Mean recent counter minutes per call and sample count, by (service id, step kind); one query.

    Counter time runs from a call to whatever frees the counter (complete,
    next step, transfer, hold, no-show): what a waiting resident waits for.
    By default the last ``SAMPLE_WINDOW`` before ``now`` and at most
    ``RECENT`` samples per key (the live estimator); the forecast asks for a
    longer range (``since``) and every sample (``limit=None``).
    """
    now = now or timezone.now()
    since = now - SAMPLE_WINDOW if since is None else since
    last_call = TicketEvent.objects.filter(
        ticket_id=OuterRef("ticket_id"), action__in=events.COUNTER_TIME_STARTS,
        at__lte=OuterRef("at"),
    ).order_by("-at", "-id").values("at")[:1]
    rows = (
        TicketEvent.objects.filter(
            ticket__office_id=office_id,
            at__gte=since,
            at__lte=now,
            action__in=events.FREES_COUNTER,
            from_status__in=Ticket.AT_COUNTER,
            from_step__isnull=False,
        )
        .annotate(called_at=Subquery(last_call))
        .order_by("-at", "-id")
        .values_list("from_step__service_id", "from_step__kind", "at", "called_at")
    )
    samples: dict[tuple[int, str], list[float]] = defaultdict(list)
    for service_id, kind, done_at, called_at in rows:
        bucket = samples[(service_id, kind)]
        if called_at is not None and (limit is None or len(bucket) < limit):
            bucket.append((done_at - called_at).total_seconds() / 60)
    return {key: (sum(v) / len(v), len(v)) for key, v in samples.items() if v}


def _blend(measured: float | None, n: int, default: float) -> float:
    if measured is None or n == 0:
        return default
    if n < MIN_SAMPLES:
        weight = n / MIN_SAMPLES
        return weight * measured + (1 - weight) * default
    return measured


def forecast_compute(*, office_id: int, now: datetime.datetime, version: int = 0) -> Forecast:
    """Replay the next hours of the office's counters and predict every call (a few queries)."""
    day = numbering.business_day(now)
    steps = {s["id"]: s for s in Step.objects.filter(service__office_id=office_id).values(
        "id", "service_id", "order", "kind")}
    next_step: dict[int, int | None] = {}
    by_service: dict[int, list[dict]] = defaultdict(list)
    for s in sorted(steps.values(), key=lambda s: (s["service_id"], s["order"])):
        by_service[s["service_id"]].append(s)
    for chain in by_service.values():
        for a, b in itertools.zip_longest(chain, chain[1:]):
            next_step[a["id"]] = b["id"] if b else None
    services = {s["id"]: s for s in Service.objects.filter(office_id=office_id, active=True).values(
        "id", "default_service_minutes")}

    measured = service_minutes_recent(office_id=office_id, now=now)
    minutes: dict[tuple[int, str], float] = {}
    all_defaults = {sid: float(s["default_service_minutes"]) for sid, s in services.items()}
    for s in steps.values():
        key = (s["service_id"], s["kind"])
        default = all_defaults.get(s["service_id"], 5.0)
        mean, n = measured.get(key, (None, 0))
        minutes[key] = _blend(mean, n, default)

    counters = {c["id"]: c for c in Counter.objects.filter(
        office_id=office_id, status=Counter.Status.OPEN).values("id", "kind")}
    ranks: dict[int, dict[int, int]] = defaultdict(dict)
    for cs in CounterService.objects.filter(counter_id__in=counters).values(
            "counter_id", "service_id", "rank"):
        ranks[cs["counter_id"]][cs["service_id"]] = cs["rank"]

    tickets = list(Ticket.objects.filter(
        office_id=office_id, business_day=day,
        status__in=[Ticket.Status.WAITING, *Ticket.AT_COUNTER],
    ).values("id", "service_id", "step_id", "priority", "issued_at", "status", "counter_id",
             "called_at", "call_after"))
    arrivals = list(Ticket.objects.filter(
        office_id=office_id, issued_at__gt=now - ARRIVAL_WINDOW, issued_at__lte=now,
    ).values_list("service_id", flat=True))

    sim = _Replay(now=now, steps=steps, next_step=next_step, minutes=minutes,
                  counters=counters, ranks=ranks)
    for t in tickets:
        if t["status"] == Ticket.Status.WAITING:
            # A ticket in its no-show cooldown keeps its place but is callable only after it.
            available = max(now, t["call_after"] or now)
            sim.add(t["id"], t["step_id"], t["priority"], t["issued_at"], available, target=True)
    for t in tickets:
        if t["status"] != Ticket.Status.WAITING and t["counter_id"] in counters:
            mean = minutes.get((t["service_id"], steps[t["step_id"]]["kind"]), 5.0)
            elapsed = (now - (t["called_at"] or now)).total_seconds() / 60
            remaining = max(mean * MIN_REMAINING_SHARE, mean - elapsed)
            done = now + datetime.timedelta(minutes=remaining)
            sim.busy_until(t["counter_id"], done)
            nxt = next_step.get(t["step_id"])
            if nxt is not None:
                sim.add(t["id"], nxt, t["priority"], t["issued_at"], done, target=False)
    # A ghost per service: a ticket issued now; it is timed but takes no counter time.
    for service_id in services:
        chain = by_service.get(service_id)
        if chain:
            sim.add(("new", service_id), chain[0]["id"], Ticket.Priority.NORMAL, now, now,
                    target=True, ghost=True)
    # Expected arrivals, evenly spread at the recent rate of each service (made lazily:
    # each one, when it joins the line, schedules the next).
    per_service: dict[int, int] = defaultdict(int)
    for service_id in arrivals:
        per_service[service_id] += 1
    for service_id, n in per_service.items():
        chain = by_service.get(service_id)
        if chain and service_id in services:
            sim.expect(chain[0]["id"], ARRIVAL_WINDOW / n, now + ARRIVAL_HORIZON)
    calls = sim.run()
    forecast = Forecast(at=now, version=version, service_minutes=minutes)
    for key, at in calls.items():
        if isinstance(key, tuple) and key[0] == "new":
            forecast.new_ticket_calls[key[1]] = at
        elif not isinstance(key, tuple):
            forecast.ticket_calls[key] = at
    return forecast


class _Replay:
    """A discrete-event replay of the counters: who calls which ticket, and when."""

    def __init__(self, *, now, steps, next_step, minutes, counters, ranks):
        self.now, self.steps, self.next_step, self.minutes = now, steps, next_step, minutes
        self.ranks = ranks
        self.free_at = {cid: now for cid in counters}
        # counter -> eligible step ids with the counter's rank for that step's service
        self.eligible: dict[int, list[tuple[int, int]]] = {}
        for cid, c in counters.items():
            self.eligible[cid] = [
                (sid, ranks[cid][s["service_id"]]) for sid, s in steps.items()
                if routing.kind_serves(counter_kind=c["kind"], step_kind=s["kind"])
                and s["service_id"] in ranks[cid]
            ]
        self.lines: dict[int, list] = defaultdict(list)  # step id -> heap of available tickets
        self.future: list = []  # heap of (available_at, seq, entry)
        self.targets: set = set()
        self.ghosts: set = set()
        self.seq = itertools.count()

    def busy_until(self, counter_id: int, at: datetime.datetime) -> None:
        self.free_at[counter_id] = max(self.free_at[counter_id], at)

    def add(self, key, step_id, priority, issued_at, available_at, *, target, ghost=False):
        if step_id not in self.steps:
            return
        entry = self._entry(priority, issued_at, key, step_id)
        if target:
            self.targets.add(key)
        if ghost:
            self.ghosts.add(key)
        heapq.heappush(self.future, (available_at, next(self.seq), entry))

    def expect(self, step_id: int, gap: datetime.timedelta, until: datetime.datetime) -> None:
        """Residents expected to join the step's line every ``gap`` until ``until``."""
        at = self.now + gap
        if at < until and step_id in self.steps:
            entry = self._entry(Ticket.Priority.NORMAL, at, ("arrival", at, step_id), step_id)
            heapq.heappush(self.future, (at, next(self.seq), entry, (gap, until)))

    def _entry(self, priority: int, issued_at: datetime.datetime, key, step_id: int) -> tuple:
        """A ticket in a line's heap: its place in the call order first (rank 0: one line)."""
        seq = next(self.seq)
        place = routing.line_position(priority=priority, issued_at=issued_at, id=seq)
        return (place, key, step_id, priority, issued_at, seq)

    def _release(self, until: datetime.datetime) -> None:
        while self.future and self.future[0][0] <= until:
            at, _, entry, *repeat = heapq.heappop(self.future)
            heapq.heappush(self.lines[entry[2]], entry)
            if repeat:  # an expected arrival: schedule the next one
                gap, end = repeat[0]
                if at + gap < end:
                    nxt = self._entry(entry[3], at + gap, ("arrival", at + gap, entry[2]),
                                      entry[2])
                    heapq.heappush(self.future, (at + gap, next(self.seq), nxt, (gap, end)))

    def _best(self, counter_id: int):
        best, best_key = None, None
        for step_id, rank in self.eligible[counter_id]:
            line = self.lines.get(step_id)
            if line:
                _, _, _, priority, issued_at, seq = line[0]
                # Across lines the counter's own ranking of services counts too.
                key = routing.line_position(priority=priority, issued_at=issued_at, id=seq,
                                            rank=rank)
                if best_key is None or key < best_key:
                    best, best_key = step_id, key
        return best

    def _next_release(self) -> datetime.datetime | None:
        return self.future[0][0] if self.future else None

    def run(self) -> dict:
        calls: dict = {}
        end = self.now + HORIZON
        heap = [(at, cid) for cid, at in self.free_at.items() if self.eligible[cid]]
        heapq.heapify(heap)
        remaining = set(self.targets)
        while heap and remaining:
            at, cid = heapq.heappop(heap)
            if at > end:
                break
            self._release(at)
            step_id = self._best(cid)
            if step_id is None:
                wake = self._next_release()  # an idle counter looks again when someone joins
                if wake is not None:
                    heapq.heappush(heap, (max(wake, at), cid))
                continue
            _, key, _, priority, issued_at, _ = heapq.heappop(self.lines[step_id])
            if key in remaining:
                calls[key] = at
                remaining.discard(key)
            if key in self.ghosts:
                heapq.heappush(heap, (at, cid))
                continue
            step = self.steps[step_id]
            done = at + datetime.timedelta(
                minutes=self.minutes.get((step["service_id"], step["kind"]), 5.0))
            heapq.heappush(heap, (done, cid))
            nxt = self.next_step.get(step_id)
            if nxt is not None:
                heapq.heappush(self.future, (done, next(self.seq),
                                             self._entry(priority, issued_at, ("next", key), nxt)))
        return calls
