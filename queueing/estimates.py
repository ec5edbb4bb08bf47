"""Estimated waiting time: one estimator for kiosk, displays, status pages and dashboard.

From recent service times of the service's current step (today, Asia/Tokyo)
and the counters open for it; the configured default service time until a
few services have been timed.
"""

import datetime
from statistics import mean

from django.db.models import Count, Q

from . import numbering
from .models import Counter, Kind, Service, Ticket, TicketEvent

RECENT = 20  # service times considered
MIN_SAMPLES = 3  # below this, blend in the configured default


def service_minutes(*, service: Service, kind: str, day: datetime.date | None = None) -> float:
    """Mean minutes a counter of this kind spends on one ticket of the service, recently."""
    day = day or numbering.business_day()
    done = (
        TicketEvent.objects.filter(
            ticket__office_id=service.office_id,
            ticket__business_day=day,
            from_step__service=service,
            from_step__kind=kind,
            action__in=["completed", "step_completed", "transferred"],
            from_status__in=[Ticket.Status.SERVING, Ticket.Status.CALLED],
        )
        .order_by("-at")
        .values_list("ticket_id", "at")[:RECENT]
    )
    samples = []
    for ticket_id, done_at in done:
        called = (
            TicketEvent.objects.filter(
                ticket_id=ticket_id, action__in=["called", "resumed"], at__lte=done_at
            )
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        if called is not None:
            samples.append((done_at - called).total_seconds() / 60)
    default = float(service.default_service_minutes)
    if not samples:
        return default
    if len(samples) < MIN_SAMPLES:
        weight = len(samples) / MIN_SAMPLES
        return weight * mean(samples) + (1 - weight) * default
    return mean(samples)


def open_counters(*, service: Service, kind: str) -> int:
    """How many open counters of this kind serve the service."""
    return Counter.objects.filter(
        office_id=service.office_id, kind=kind, status=Counter.Status.OPEN,
        counterservice__service=service,
    ).count()


def wait_minutes(*, service: Service, people_ahead: int, kind: str = Kind.OUTSOURCED) -> int:
    """Estimated minutes until someone with ``people_ahead`` before them is called."""
    counters = max(1, open_counters(service=service, kind=kind))
    return round(people_ahead * service_minutes(service=service, kind=kind) / counters)


def waiting_by_step(*, office_id: int) -> dict[int, int]:
    """Waiting tickets per step id of an office, today."""
    rows = (
        Ticket.objects.filter(
            office_id=office_id, business_day=numbering.business_day(),
            status=Ticket.Status.WAITING,
        )
        .values("step_id")
        .annotate(n=Count("id", filter=Q(status=Ticket.Status.WAITING)))
    )
    return {r["step_id"]: r["n"] for r in rows}

