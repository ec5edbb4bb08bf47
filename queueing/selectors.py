"""Reads: snapshots for live screens, a ticket's place in line, waiting counts, lookups.

Snapshots are the single source for what a screen shows on connect; events
carry small deltas plus the office's event version, and
``office_snapshot_apply`` is how an event changes an office snapshot (the
live boards apply it instead of reading again after every call). The version
is read first, so a snapshot may already include a change whose event
arrives later (boards skip events at or below their version), but never
misses one.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import math
from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone

from . import estimates, events, numbering, presence, routing, units
from .models import (
    Counter,
    CounterEvent,
    CounterPresence,
    CounterService,
    Device,
    Kind,
    Office,
    PresetReason,
    Service,
    Step,
    Ticket,
    TicketEvent,
    TicketNotice,
    TicketRating,
)
from .roles import role_label

RECENT_CALLS = 10


def ticket_by_token(*, token: str) -> Ticket | None:
    """The ticket behind a status link, or None: unknown, or of an earlier business day.

    The one lookup by token (status page, status API, status socket, kiosk
    ticket screen): a link is valid for its business day only.
    """
    if not token or len(token) > 64:
        return None
    return (
        Ticket.objects.select_related("service", "step", "counter", "office")
        .filter(token=token, business_day__gte=numbering.business_day())
        .first()
    )


def device_by_key(*, key: str, type: str | None = None) -> Device | None:
    """The active (not revoked) device with that key (and of that type, if given), or None."""
    if not key or len(key) > 64:
        return None
    devices = Device.objects.select_related("office").filter(key=key, revoked=False)
    if type is not None:
        devices = devices.filter(type=type)
    return devices.first()


def kiosk_and_first_step(*, key: str, service_id: int) -> tuple[Device, Step] | None:
    """The active kiosk with that key and the first step (service loaded) of an active service
    of its office, in one query: the kiosk's issue path asks it on every ticket."""
    if not key or len(key) > 64:
        return None
    sql, _ = _kiosk_and_first_step_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [service_id, key, Device.Type.KIOSK])
        row = cursor.fetchone()
    return None if row is None else _kiosk_and_first_step_loaded(row)


async def kiosk_and_first_step_async(*, aconnection, key: str,
                                     service_id: int) -> tuple[Device, Step] | None:
    """``kiosk_and_first_step`` on an async psycopg connection (the kiosk's lean path on
    PostgreSQL, from the event loop)."""
    if not key or len(key) > 64:
        return None
    sql, _ = _kiosk_and_first_step_sql()
    cursor = await aconnection.execute(sql, [service_id, key, Device.Type.KIOSK])
    row = await cursor.fetchone()
    return None if row is None else _kiosk_and_first_step_loaded(row)


def _kiosk_and_first_step_loaded(row: tuple) -> tuple[Device, Step]:
    """The kiosk, and the first step with its service, from a row of that query, loaded as
    Django loads them (its converters)."""
    _, columns = _kiosk_and_first_step_sql()
    values, objects, db = iter(row), [], connections[DEFAULT_DB_ALIAS]  # a context local
    for model, fields in columns:
        loaded = []
        for column, converters in fields:
            value = next(values)
            for convert in converters:
                value = convert(value, column, db)
            loaded.append(value)
        objects.append(model.from_db(DEFAULT_DB_ALIAS, [c.target.attname for c, _ in fields],
                                     loaded))
    device, service, step = objects
    step.service = service
    return device, step


@functools.cache
def _kiosk_and_first_step_sql() -> tuple[str, list]:
    """The query of ``kiosk_and_first_step`` and, per model, its columns with the converters
    Django applies to them (built once per process)."""
    parts = [(Device, "d"), (Service, "s"), (Step, "st")]
    columns = [(model, [(f.get_col(alias), connection.ops.get_db_converters(f.get_col(alias))
                         + f.get_db_converters(connection))
                        for f in model._meta.concrete_fields]) for model, alias in parts]
    q = connection.ops.quote_name
    sql = (
        "SELECT " + ", ".join(f"{c.alias}.{q(c.target.column)}" for _, cs in columns
                              for c, _ in cs)
        + f" FROM {q(Device._meta.db_table)} d"
        f" JOIN {q(Service._meta.db_table)} s ON s.office_id = d.office_id AND s.id = %s"
        f" JOIN {q(Step._meta.db_table)} st ON st.service_id = s.id"
        " WHERE d.key = %s AND NOT d.revoked AND d.type = %s AND s.active"
        ' ORDER BY st."order" LIMIT 1'
    )
    return sql, columns


def devices_revoked(*, ids: set[int]) -> set[int]:
    """Which of these devices' keys are revoked (or gone)."""
    active = set(Device.objects.filter(pk__in=ids, revoked=False).values_list("id", flat=True))
    return set(ids) - active


def display_service_ids(*, device: Device) -> set[int]:
    """Service ids a display shows; an empty set means every service of its office."""
    return set(device.services.values_list("id", flat=True))


def display_language(*, device: Device) -> str:
    """A display's first configured language (Japanese when none is set)."""
    return (device.languages or ["ja"])[0]


@contextlib.contextmanager
def one_moment():
    """Every read inside sees the database at one moment, so a state and its version agree.

    Read one by one, a snapshot's version could predate the rows read after it:
    an event committed in between was then applied twice over the read (a
    waiting count one too high). On PostgreSQL a REPEATABLE READ transaction;
    SQLite's transactions read one moment already; inside a transaction, that one.
    """
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def office_version(*, office_id: int) -> int:
    """The office's current event version."""
    return Office.objects.values_list("event_version", flat=True).get(pk=office_id)


def people_ahead(*, ticket: Ticket) -> int:
    """Waiting tickets that will be called before this one at its current step."""
    if ticket.status != Ticket.Status.WAITING:
        return 0
    line = Ticket.objects.filter(
        office_id=ticket.office_id,
        business_day=ticket.business_day,
        step_id=ticket.step_id,
        status=Ticket.Status.WAITING,
    ).only("id", "priority", "issued_at", "status", "step_id")
    return _places(line).get(ticket.id, 0)


def _places(tickets) -> dict[int, int]:
    """Place in line (0 = next) of each waiting ticket, per step, in the call order.

    The one home of "people ahead": a single ticket's status and the status
    board shared by all status pages both count with it.
    """
    lines: dict[int, list[Ticket]] = {}
    for t in tickets:
        if t.status == Ticket.Status.WAITING:
            lines.setdefault(t.step_id, []).append(t)
    places: dict[int, int] = {}
    for line in lines.values():
        line.sort(key=lambda t: routing.line_position(priority=t.priority, issued_at=t.issued_at,
                                                      id=t.id))
        places.update((t.id, place) for place, t in enumerate(line))
    return places


def ticket_status(*, ticket: Ticket, language: str | None = None) -> dict:
    """What a resident's status page shows: number, service, place, estimate, and after a
    hand-off the step it waits for and where; no personal data, never a hand-off's reason
    or note."""
    return _status(
        ticket,
        version=office_version(office_id=ticket.office_id),
        ahead=people_ahead(ticket=ticket),
        wait=estimates.ticket_wait_minutes(ticket=ticket),
        language=language,
        where=step_counters(office_id=ticket.office_id),
        near_turn_ahead=ticket.office.near_turn_ahead,
        notified=TicketNotice.objects.filter(ticket=ticket).exclude(email="").exists(),
        rated=(ticket.status == Ticket.Status.COMPLETED
               and TicketRating.objects.filter(ticket=ticket).exists()),
    )


def ticket_notices_due() -> list[tuple[int, str]]:
    """The (notice id, kind) of today's near-turn and call messages that may be due; the
    sending service checks each again with its row locked (``ticket_notice_send``)."""
    mine = (TicketNotice.objects.exclude(email="")
            .filter(ticket__business_day=numbering.business_day()))
    called = mine.filter(called_sent_at__isnull=True, ticket__status=Ticket.Status.CALLED)
    near = mine.filter(near_sent_at__isnull=True, called_sent_at__isnull=True,
                       ticket__status=Ticket.Status.WAITING)
    return ([(pk, TicketNotice.Kind.CALLED.value) for pk in called.values_list("id", flat=True)]
            + [(pk, TicketNotice.Kind.NEAR.value) for pk in near.values_list("id", flat=True)])


def step_counters(*, office_id: int) -> dict[int, list[int]]:
    """The numbers of the counters that serve each step (its service, its kind), by step id.

    Where a step happens: what a resident's page names after a hand-off.
    """
    serving: dict[tuple[int, str], list[int]] = defaultdict(list)
    for service_id, kind, number in CounterService.objects.filter(
            counter__office_id=office_id).order_by("counter__number").values_list(
            "service_id", "counter__kind", "counter__number"):
        serving[(service_id, kind)].append(number)
    return {step_id: serving.get((service_id, kind), [])
            for step_id, service_id, kind in Step.objects.filter(
                service__office_id=office_id).values_list("id", "service_id", "kind")}


def office_ticket_statuses(*, office_id: int) -> dict:
    """The status of every open ticket of the office today, by token, in one pass.

    What the status pages of one server process share: after a call, one read
    serves every waiting resident's page instead of one read per page
    (measured with ``python -m bench fanout``: 1000 status pages each reading
    their own status delayed a whole process's deliveries by seconds).
    Places come from ``_places``, as for ``people_ahead``.
    """
    version = office_version(office_id=office_id)
    # Services, steps and counters are few: read once and shared by every ticket,
    # instead of a joined copy of each per row (the read runs after every call).
    services = {s.id: s for s in Service.objects.filter(office_id=office_id)}
    steps = {s.id: s for s in Step.objects.filter(service__office_id=office_id)}
    counters = {c.id: c for c in Counter.objects.filter(office_id=office_id)}
    tickets = list(
        Ticket.objects.filter(
            office_id=office_id, business_day=numbering.business_day(), status__in=Ticket.OPEN
        ).only("id", "office_id", "token", "prefix", "number", "service_id", "step_id", "status",
               "priority", "language", "counter_id", "issued_at", "step_entered_at",
               "on_my_way_at")
    )
    where = step_counters(office_id=office_id)
    near_turn_ahead = Office.objects.values_list("near_turn_ahead", flat=True).get(pk=office_id)
    notified = set(TicketNotice.objects.filter(ticket__in=[t.id for t in tickets])
                   .exclude(email="").values_list("ticket_id", flat=True))
    for t in tickets:
        t.service, t.step = services[t.service_id], steps[t.step_id]
        t.counter = counters.get(t.counter_id)
    ahead = _places(tickets)
    waits = estimates.ticket_wait_minutes_all(office_id=office_id, ticket_ids=list(ahead))
    return {
        "version": version,
        "by_token": {
            t.token: _status(t, version=version, ahead=ahead.get(t.id, 0),
                             wait=waits.get(t.id), where=where,
                             near_turn_ahead=near_turn_ahead, notified=t.id in notified)
            for t in tickets
        },
    }


def _status(ticket: Ticket, *, version: int, ahead: int, wait: int | None,
            where: dict[int, list[int]], near_turn_ahead: int, notified: bool,
            language: str | None = None, rated: bool = False) -> dict:
    lang = language or ticket.language
    waiting = ticket.status == Ticket.Status.WAITING
    # A step entered after the ticket was issued was reached by a hand-off (a transfer,
    # or the step before it completed): the page names it and where it happens.
    handed_off = (ticket.step_entered_at > ticket.issued_at
                  and ticket.status in (Ticket.Status.WAITING, Ticket.Status.HELD))
    return {
        "version": version,
        "ticket": ticket.display_number,
        "service": ticket.service.name_in(lang),
        "service_id": ticket.service_id,
        "step": ticket.step.name_in(lang),
        "step_kind": ticket.step.kind,
        "next_step": {"name": ticket.step.name_in(lang),
                      "counters": where.get(ticket.step_id, [])} if handed_off else None,
        "counters": where.get(ticket.step_id, []),  # where its step is served (the ticket says)
        "status": ticket.status,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "people_ahead": ahead if waiting else 0,
        "estimated_wait_minutes": wait if waiting else 0,
        "language": ticket.language,
        # Near the front: the page asks the resident back to the lobby (Office.near_turn_ahead).
        "near_turn": waiting and ahead <= near_turn_ahead,
        "on_my_way": waiting and ticket.on_my_way_at is not None,
        "notified": notified,  # an address is kept for the messages (never shown back)
        "rated": rated,  # the completed visit's satisfaction rating is given (open: False)
    }


def service_queues(*, office_id: int, language: str = "ja") -> list[dict]:
    """Per active service: waiting count (all its steps) and the wait of a ticket issued now."""
    waiting = estimates.waiting_by_step(office_id=office_id)
    new_waits = estimates.new_ticket_wait_minutes(office_id=office_id)
    rows = []
    active = Service.objects.filter(office_id=office_id, active=True).prefetch_related("steps")
    for service in active:
        steps = list(service.steps.all())
        if not steps:
            continue
        rows.append(
            {
                "service_id": service.id,
                "code": service.code,
                "prefix": service.prefix,
                "name": service.name_in(language),
                "waiting": sum(waiting.get(s.id, 0) for s in steps),
                "target_wait_minutes": service.target_wait_minutes,
                "estimated_wait_minutes": new_waits.get(service.id),  # None: not known
            }
        )
    return rows


def office_snapshot(*, office_id: int, language: str = "ja") -> dict:
    """Everything a lobby display or dashboard shows on (re)connect; numbers only, never names."""
    version = office_version(office_id=office_id)
    today = numbering.business_day()
    calling = (
        Ticket.objects.filter(
            office_id=office_id, business_day=today, status__in=Ticket.AT_COUNTER
        )
        .select_related("counter")
        .order_by("-called_at", "-id")
    )
    # One line per ticket, at its latest call: a recall moves it up, never adds a line.
    latest_call = (
        TicketEvent.objects.filter(ticket=OuterRef("ticket"), action__in=events.CALLS)
        .order_by("-at", "-id").values("id")[:1]
    )
    recent = (
        TicketEvent.objects.filter(
            ticket__office_id=office_id,
            ticket__business_day=today,
            action__in=events.CALLS,
            id=Subquery(latest_call),
        )
        .select_related("ticket", "counter", "to_step")
        .order_by("-at", "-id")[:RECENT_CALLS]
    )
    return {
        "version": version,
        "calling": [
            {
                "ticket": t.display_number,
                "service_id": t.service_id,
                "counter": t.counter.number,
                "status": t.status,
                "called_at": t.called_at.isoformat() if t.called_at else None,
            }
            for t in calling
        ],
        "recent_calls": [
            {
                "ticket": e.ticket.display_number,
                "service_id": e.to_step.service_id,  # the service it was called for
                "counter": e.counter.number if e.counter else None,
                "at": e.at.isoformat(),
            }
            for e in recent
        ],
        "services": service_queues(office_id=office_id, language=language),
        "counters": [
            {"number": c.number, "label": c.label, "kind": c.kind, "status": c.status,
             "staffed": c.staffed}
            for c in Counter.objects.filter(office_id=office_id)
        ],
    }


def office_snapshot_apply(snapshot: dict, message: dict) -> dict:
    """The office snapshot after one event (``{"version", "event"}``), as a new dict.

    What a fresh ``office_snapshot`` would read, except the estimates, which
    move with the clock and are refreshed by reading again
    (``tests/queueing/test_events.py`` checks this for every action). The
    snapshot passed in is shared by many sockets and is not changed.
    """
    event = message["event"]
    new = copy.deepcopy(snapshot)
    new["version"] = message["version"]
    if events.is_counter_event(event):
        for row in new["counters"]:
            if row["number"] == event["counter"]:
                row["status"], row["staffed"] = event["status"], event["staffed"]
        return new
    new["calling"] = [c for c in new["calling"] if c["ticket"] != event["ticket"]]
    if event["status"] in Ticket.AT_COUNTER:
        new["calling"].append({"ticket": event["ticket"], "service_id": event["service_id"],
                               "counter": event["counter"], "status": event["status"],
                               "called_at": event["called_at"]})
        new["calling"].sort(key=lambda c: c["called_at"] or "", reverse=True)
    if events.is_call(event):
        new["recent_calls"] = [r for r in new["recent_calls"] if r["ticket"] != event["ticket"]]
        new["recent_calls"].insert(0, {"ticket": event["ticket"],
                                       "service_id": event["service_id"],
                                       "counter": event["counter"], "at": event["at"]})
        # In the order of the calls' times, as a read has them: two counters' calls can
        # take their versions in the other order.
        new["recent_calls"].sort(key=lambda r: r["at"], reverse=True)
        del new["recent_calls"][RECENT_CALLS:]
    waiting = Ticket.Status.WAITING
    for row in new["services"]:
        if event["from_status"] == waiting and row["service_id"] == event["from_service_id"]:
            row["waiting"] -= 1
        if event["status"] == waiting and row["service_id"] == event["service_id"]:
            row["waiting"] += 1
    return new


def counter_view(*, counter: Counter, user) -> dict:
    """A console's view of its counter: the current ticket and the waiting line it may call.

    Hand-offs (reason, note, where from) and the booking reference are detail: a
    contractor sees them only for the ticket its counter is serving
    (``routing.visible_detail``), never for the line. The current ticket names
    the step it goes to next, and the units its counter records by default.
    """
    now = timezone.now()
    current = (
        Ticket.objects.filter(counter=counter, status__in=Ticket.AT_COUNTER)
        .select_related("service", "step")
        .first()
    )
    line = list(routing.waiting_line(counter=counter).select_related("service", "step")[:50])
    held = list(routing.serves(counter=counter)
                .filter(status=Ticket.Status.HELD, business_day=numbering.business_day())
                .select_related("service", "step").order_by("held_at", "id"))
    shown = [t for t in (current, *line, *held) if t is not None]
    hand_offs = ticket_hand_offs(ticket_ids=[t.id for t in shown])

    def row(t: Ticket) -> dict:
        detail = routing.visible_detail(ticket=t, counter=counter, user=user)
        return _ticket_row(t, detail=detail, hand_offs=hand_offs.get(t.id, []), now=now)

    view_current = None
    if current is not None:
        view_current = row(current)
        nxt = Step.objects.filter(service_id=current.service_id,
                                  order__gt=current.step.order).order_by("order").first()
        view_current["next_step"] = _step_named(nxt)
        view_current["units"] = units.step_defaults(step_id=current.step_id)
    return {
        "counter": {"id": counter.id, "number": counter.number, "kind": counter.kind,
                    "status": counter.status, "label": counter.label,
                    "staffed": counter.staffed, "status_reason": _status_reason(counter)},
        "current": view_current,
        "waiting": [row(t) for t in line],
        "held": [row(t) for t in held],
    }


def _step_named(step: Step | None) -> dict | None:
    if step is None:
        return None
    return {"name": step.name, "kind": step.kind, "kind_label": Kind(step.kind).counter_label}


def _status_reason(counter: Counter) -> str:
    """Why the counter is paused or closed: the reason of its last status change."""
    if counter.status == Counter.Status.OPEN:
        return ""
    last = (CounterEvent.objects.filter(counter=counter, action__in=[
        events.Action.COUNTER_PAUSED, events.Action.COUNTER_CLOSED])
        .order_by("-at", "-id").values_list("reason", flat=True).first())
    return last or ""


def _ticket_row(t: Ticket, *, detail: bool, hand_offs: list[dict],
                now: datetime.datetime) -> dict:
    arrived = next((h for h in reversed(hand_offs) if h["to_step_id"] == t.step_id), None)
    cooling = t.call_after is not None and t.call_after > now
    return {
        "id": t.id,
        "ticket": t.display_number,
        "service": t.service.name,
        "service_id": t.service_id,
        "step": t.step.name,
        "step_kind": t.step.kind,
        "step_kind_label": Kind(t.step.kind).counter_label,
        "status": t.status,
        "priority": t.priority,
        "issued_at": t.issued_at.isoformat(),
        "booking_reference": t.booking_reference if detail else "",
        "detail": detail,
        # How it came to this step (staff-facing; detail), and every hand-off of its visit.
        "hand_off": arrived if detail else None,
        "hand_offs": hand_offs if detail else [],
        "call_after": t.call_after.isoformat() if cooling else None,  # no-show cooldown
        "no_show_count": t.no_show_count,
        "held_at": t.held_at.isoformat() if t.held_at else None,
        "on_my_way": t.status == Ticket.Status.WAITING and t.on_my_way_at is not None,
    }


def ticket_hand_offs(*, ticket_ids: list[int]) -> dict[int, list[dict]]:
    """Every hand-off of these tickets, oldest first, by ticket id: when, from which step
    and counter (and its kind) to which step, the reason and the note. Staff-facing only."""
    rows: dict[int, list[dict]] = defaultdict(list)
    if not ticket_ids:
        return rows
    for e in (TicketEvent.objects.filter(ticket_id__in=ticket_ids, action__in=events.HAND_OFFS)
              .select_related("from_step__service", "to_step__service", "counter")
              .order_by("at", "id")):
        rows[e.ticket_id].append({
            "at": e.at.isoformat(),
            "action": e.action,
            "from_service": e.from_step.service.name if e.from_step else "",
            "from_step": e.from_step.name if e.from_step else "",
            "to_service": e.to_step.service.name,
            "to_step": e.to_step.name,
            "to_step_id": e.to_step_id,
            "to_kind_label": Kind(e.to_step.kind).counter_label,
            "counter": e.counter.number if e.counter else None,
            "counter_kind": e.counter_kind,
            "counter_kind_label": Kind(e.counter_kind).counter_label if e.counter_kind else "",
            "reason": e.reason,
            "note": e.note,
        })
    return rows


def transfer_targets(*, office_id: int) -> list[dict]:
    """The office's active services and where a transfer to each lands (its first step), so
    the console names the step before the action."""
    rows = []
    for service in Service.objects.filter(office_id=office_id, active=True) \
            .prefetch_related("steps"):
        first = min(service.steps.all(), key=lambda s: s.order, default=None)
        if first is not None:
            rows.append({"id": service.id, "prefix": service.prefix, "name": service.name,
                         "name_en": service.names.get("en", ""), "step": first.name,
                         "kind_label": Kind(first.kind).counter_label})
    return rows


def preset_reasons(*, office_id: int) -> dict[str, list[str]]:
    """The reasons the office offers at its counters, by purpose (hand-off, hold)."""
    found: dict[str, list[str]] = {p: [] for p in PresetReason.Purpose.values}
    for purpose, text in PresetReason.objects.filter(office_id=office_id, active=True) \
            .values_list("purpose", "text"):
        found[purpose].append(text)
    return found


def office_live_figures(*, office_id: int, now: datetime.datetime | None = None) -> dict:
    """The supervisor's live board: per service waiting, longest wait and estimate; per step
    an alert when its longest wait passes the service's target; per counter kind the counts;
    and per counter whether it is staffed (by role, never a name), its ticket and for how
    long, its idle time and the tickets held there."""
    now = now or timezone.now()
    day = numbering.business_day(now)
    waiting = Ticket.objects.filter(office_id=office_id, business_day=day,
                                    status=Ticket.Status.WAITING)
    counts: dict[int, int] = defaultdict(int)
    for service_id in waiting.values_list("service_id", flat=True):
        counts[service_id] += 1
    oldest_by_step = {r["step_id"]: r["oldest"] for r in
                      waiting.values("step_id").annotate(oldest=Min("step_entered_at"))}
    estimate = estimates.new_ticket_wait_minutes(office_id=office_id)
    steps = Step.objects.filter(service__office_id=office_id, service__active=True) \
        .select_related("service").order_by("service__sort_order", "service_id", "order")

    def minutes_since(at: datetime.datetime | None) -> int:
        return math.floor((now - at).total_seconds() / 60) if at else 0

    longest: dict[int, int] = defaultdict(int)
    alerts = []
    for step in steps:
        if step.id not in oldest_by_step:
            continue
        wait = minutes_since(oldest_by_step[step.id])
        longest[step.service_id] = max(longest[step.service_id], wait)
        if wait > step.service.target_wait_minutes:
            alerts.append({"service_id": step.service_id, "prefix": step.service.prefix,
                           "name": step.service.name, "step": step.name,
                           "kind_label": Kind(step.kind).counter_label,
                           "longest_wait_minutes": wait,
                           "target_wait_minutes": step.service.target_wait_minutes})
    alerting = {a["service_id"] for a in alerts}
    services = [
        {"service_id": s.id, "name": s.name, "prefix": s.prefix,
         "waiting": counts.get(s.id, 0), "longest_wait_minutes": longest.get(s.id, 0),
         "estimated_wait_minutes": estimate.get(s.id),  # None: nobody at a counter for it
         "target_wait_minutes": s.target_wait_minutes, "alert": s.id in alerting}
        for s in Service.objects.filter(office_id=office_id, active=True)
    ]
    return {"at": now, "services": services, "alerts": alerts,
            "counters": _counter_board(office_id=office_id, day=day, now=now),
            "kinds": _kind_counts(office_id=office_id)}


def _kind_counts(*, office_id: int) -> list[dict]:
    busy = set(Ticket.objects.filter(office_id=office_id, status__in=Ticket.AT_COUNTER)
               .values_list("counter_id", flat=True))
    kinds = {k: {"kind": k, "label": Kind(k).staff_label, "open": 0, "idle": 0, "serving": 0,
                 "break": 0, "closed": 0, "staffed": 0} for k in Kind.values}
    for c in Counter.objects.filter(office_id=office_id).values("id", "kind", "status",
                                                                "staffed"):
        row = kinds[c["kind"]]
        row[c["status"]] += 1
        row["staffed"] += c["staffed"]
        if c["id"] in busy:
            row["serving"] += 1
        elif c["status"] == Counter.Status.OPEN:
            row["idle"] += 1
    return list(kinds.values())


def _counter_board(*, office_id: int, day: datetime.date, now: datetime.datetime) -> list[dict]:
    """One row per counter of the office for the supervisor's board."""
    roles: dict[int, set[str]] = defaultdict(set)
    for counter_id, role in CounterPresence.objects.filter(
            presence.live_q(now), counter__office_id=office_id).values_list("counter_id", "role"):
        roles[counter_id].add(role)
    current = {t.counter_id: t for t in Ticket.objects.filter(
        office_id=office_id, status__in=Ticket.AT_COUNTER).select_related("service", "step")}
    last_hold = TicketEvent.objects.filter(ticket_id=OuterRef("pk"), action=events.Action.HELD) \
        .order_by("-at", "-id").values("counter_id")[:1]
    held: dict[int, int] = defaultdict(int)
    for counter_id in Ticket.objects.filter(
            office_id=office_id, business_day=day, status=Ticket.Status.HELD).annotate(
            held_at_counter=Subquery(last_hold)).values_list("held_at_counter", flat=True):
        held[counter_id] += 1
    # Idle since: the later of the counter's opening and the last ticket that left it.
    freed = dict(TicketEvent.objects.filter(
        counter__office_id=office_id, at__gte=now - datetime.timedelta(days=1),
        action__in=events.FREES_COUNTER | {events.Action.RETURNED},
        from_status__in=Ticket.AT_COUNTER).values("counter_id").annotate(last=Max("at"))
        .values_list("counter_id", "last"))
    opened = dict(CounterEvent.objects.filter(
        counter__office_id=office_id, action=events.Action.COUNTER_OPENED)
        .values("counter_id").annotate(last=Max("at")).values_list("counter_id", "last"))
    rows = []
    for c in Counter.objects.filter(office_id=office_id).order_by("number"):
        t = current.get(c.id)
        idle = None
        if t is None and c.status == Counter.Status.OPEN:
            since = max([at for at in (freed.get(c.id), opened.get(c.id)) if at], default=None)
            idle = math.floor((now - since).total_seconds() / 60) if since else 0
        rows.append({
            "number": c.number, "label": c.label, "kind": c.kind,
            "kind_label": Kind(c.kind).counter_label, "status": c.status,
            "status_label": c.get_status_display(), "staffed": c.staffed,
            # By role only: the city evaluates the contractor's deliverables, not its staff.
            "roles": [role_label(r) for r in sorted(roles.get(c.id, ()))],
            "current": None if t is None else {
                "ticket": t.display_number, "service": t.service.name, "step": t.step.name,
                "status": t.get_status_display(),
                "minutes": math.floor((now - t.called_at).total_seconds() / 60)
                if t.called_at else 0},
            "idle_minutes": idle,
            "held": held.get(c.id, 0),
        })
    return rows
