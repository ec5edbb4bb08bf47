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

import copy
import datetime
import math
from collections import defaultdict

from django.db.models import Min
from django.utils import timezone

from . import estimates, events, numbering, routing
from .models import Counter, Device, Kind, Office, Service, Step, Ticket, TicketEvent

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
    """What a resident's status page shows: number, service, place, estimate; no personal data."""
    return _status(
        ticket,
        version=office_version(office_id=ticket.office_id),
        ahead=people_ahead(ticket=ticket),
        wait=estimates.ticket_wait_minutes(ticket=ticket),
        language=language,
    )


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
               "priority", "language", "counter_id", "issued_at")
    )
    for t in tickets:
        t.service, t.step = services[t.service_id], steps[t.step_id]
        t.counter = counters.get(t.counter_id)
    ahead = _places(tickets)
    waits = estimates.ticket_wait_minutes_all(office_id=office_id, ticket_ids=list(ahead))
    return {
        "version": version,
        "by_token": {
            t.token: _status(t, version=version, ahead=ahead.get(t.id, 0),
                             wait=waits.get(t.id))
            for t in tickets
        },
    }


def _status(ticket: Ticket, *, version: int, ahead: int, wait: int | None,
            language: str | None = None) -> dict:
    lang = language or ticket.language
    waiting = ticket.status == Ticket.Status.WAITING
    return {
        "version": version,
        "ticket": ticket.display_number,
        "service": ticket.service.name_in(lang),
        "service_id": ticket.service_id,
        "step": ticket.step.name,
        "step_kind": ticket.step.kind,
        "status": ticket.status,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "people_ahead": ahead if waiting else 0,
        "estimated_wait_minutes": wait if waiting else 0,
        "language": ticket.language,
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
    recent = (
        TicketEvent.objects.filter(
            ticket__office_id=office_id,
            ticket__business_day=today,
            action__in=events.CALLS,
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
            {"number": c.number, "label": c.label, "kind": c.kind, "status": c.status}
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
                row["status"] = event["status"]
        return new
    new["calling"] = [c for c in new["calling"] if c["ticket"] != event["ticket"]]
    if event["status"] in Ticket.AT_COUNTER:
        new["calling"].append({"ticket": event["ticket"], "service_id": event["service_id"],
                               "counter": event["counter"], "status": event["status"],
                               "called_at": event["called_at"]})
        new["calling"].sort(key=lambda c: c["called_at"] or "", reverse=True)
    if events.is_call(event):
        new["recent_calls"].insert(0, {"ticket": event["ticket"],
                                       "service_id": event["service_id"],
                                       "counter": event["counter"], "at": event["at"]})
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

    The booking reference is detail: a contractor sees it only for the ticket
    its counter is serving (``routing.visible_detail``), never for the line.
    """
    current = (
        Ticket.objects.filter(counter=counter, status__in=Ticket.AT_COUNTER)
        .select_related("service", "step")
        .first()
    )
    line = routing.waiting_line(counter=counter).select_related("service", "step")[:50]
    held = (routing.serves(counter=counter)
            .filter(status=Ticket.Status.HELD, business_day=numbering.business_day())
            .select_related("service", "step"))

    def row(t: Ticket) -> dict:
        return _ticket_row(t, detail=routing.visible_detail(ticket=t, counter=counter, user=user))

    return {
        "counter": {"id": counter.id, "number": counter.number, "kind": counter.kind,
                    "status": counter.status, "label": counter.label},
        "current": row(current) if current else None,
        "waiting": [row(t) for t in line],
        "held": [row(t) for t in held],
    }


def _ticket_row(t: Ticket, *, detail: bool) -> dict:
    return {
        "id": t.id,
        "ticket": t.display_number,
        "service": t.service.name,
        "service_id": t.service_id,
        "step": t.step.name,
        "step_kind": t.step.kind,
        "status": t.status,
        "priority": t.priority,
        "issued_at": t.issued_at.isoformat(),
        "booking_reference": t.booking_reference if detail else "",
    }


def office_live_figures(*, office_id: int, now: datetime.datetime | None = None) -> dict:
    """Per service: waiting, longest wait, estimate, alert; per counter kind: open/idle/serving."""
    now = now or timezone.now()
    day = numbering.business_day(now)
    waiting = (
        Ticket.objects.filter(office_id=office_id, business_day=day, status=Ticket.Status.WAITING)
        .values("service_id")
        .annotate(oldest=Min("step_entered_at"))
    )
    counts = defaultdict(int)
    for row in Ticket.objects.filter(
        office_id=office_id, business_day=day, status=Ticket.Status.WAITING
    ).values_list("service_id", flat=True):
        counts[row] += 1
    oldest = {r["service_id"]: r["oldest"] for r in waiting}
    estimate = estimates.new_ticket_wait_minutes(office_id=office_id)
    services, alerts = [], []
    for s in Service.objects.filter(office_id=office_id, active=True):
        longest = (
            math.floor((now - oldest[s.id]).total_seconds() / 60) if s.id in oldest else 0
        )
        alert = longest > s.target_wait_minutes
        row = {
            "service_id": s.id, "name": s.name, "prefix": s.prefix,
            "waiting": counts.get(s.id, 0), "longest_wait_minutes": longest,
            "estimated_wait_minutes": estimate.get(s.id),  # None: no open counter serves it
            "target_wait_minutes": s.target_wait_minutes, "alert": alert,
        }
        services.append(row)
        if alert:
            alerts.append(row)
    busy = set(
        Ticket.objects.filter(office_id=office_id, status__in=Ticket.AT_COUNTER)
        .values_list("counter_id", flat=True)
    )
    kinds = {k: {"kind": k, "label": Kind(k).staff_label, "open": 0, "idle": 0, "serving": 0,
                 "break": 0, "closed": 0} for k in Kind.values}
    for c in Counter.objects.filter(office_id=office_id).values("id", "kind", "status"):
        row = kinds[c["kind"]]
        row[c["status"]] += 1
        if c["id"] in busy:
            row["serving"] += 1
        elif c["status"] == Counter.Status.OPEN:
            row["idle"] += 1
    return {"at": now, "services": services, "kinds": list(kinds.values()), "alerts": alerts}
