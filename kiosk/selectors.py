"""Reads for the kiosk and the resident's status page."""

import datetime

from django.utils import timezone

from queueing import numbering, selectors
from queueing.models import Device, Service, Ticket, TicketEvent
from queueing.services import service_is_open


def kiosk_services(*, office_id: int, language: str, at: datetime.datetime) -> list[dict]:
    """The kiosk's service buttons: name, waiting, estimated wait, and whether it is open now."""
    hours = {
        s.id: s
        for s in Service.objects.filter(office_id=office_id, active=True).only(
            "id", "active", "available_from", "available_until"
        )
    }
    local = timezone.localtime(at).time()
    rows = []
    for row in selectors.service_queues(office_id=office_id, language=language):
        service = hours[row["service_id"]]
        is_open = service_is_open(service=service, at=at)
        closed_reason = ""
        if not is_open:
            if service.available_from and local < service.available_from:
                closed_reason = "not_yet"
            elif service.available_until and local >= service.available_until:
                closed_reason = "ended"
            else:
                closed_reason = "closed"
        rows.append(
            {
                **row,
                "open": is_open,
                "closed_reason": closed_reason,
                "available_from": service.available_from,
                "available_until": service.available_until,
            }
        )
    return rows


def kiosk_last_ticket(*, device: Device) -> Ticket | None:
    """The last ticket this kiosk issued today (for a staff reprint), or None."""
    event = (
        TicketEvent.objects.filter(
            device=device, action="issued", ticket__business_day=numbering.business_day()
        )
        .select_related("ticket")
        .order_by("-at", "-id")
        .first()
    )
    return event.ticket if event else None


def status_page_ticket(*, token: str) -> Ticket | None:
    """The ticket behind a status page link; None when unknown or of an earlier day (expired)."""
    if not token or len(token) > 64:
        return None
    return (
        Ticket.objects.select_related("service", "step", "counter", "office")
        .filter(token=token, business_day__gte=numbering.business_day())
        .first()
    )


def kiosk_ticket(*, device: Device, token: str) -> Ticket | None:
    """A ticket of today at the kiosk's office, by token (the kiosk's ticket screen)."""
    ticket = status_page_ticket(token=token)
    if ticket is None or ticket.office_id != device.office_id:
        return None
    return ticket
