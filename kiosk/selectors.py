"""Reads for the kiosk and the resident's status page."""

import datetime

from queueing import hours, numbering, selectors
from queueing.events import Action
from queueing.models import Device, Service, Ticket, TicketEvent


def kiosk_services(*, office_id: int, language: str, at: datetime.datetime) -> list[dict]:
    """The kiosk's service buttons: name, waiting, estimated wait, and whether it takes a
    ticket now; when not, why (``hours``' reason) and when it opens next."""
    services = {
        s.id: s
        for s in Service.objects.filter(office_id=office_id, active=True).only(
            "id", "office_id", "active", "available_from", "available_until",
            "reception_end_minutes", "daily_ticket_cap")
    }
    available = hours.services_availability(services=list(services.values()), at=at)
    rows = []
    for row in selectors.service_queues(office_id=office_id, language=language):
        availability = available[row["service_id"]]
        rows.append(
            {
                **row,
                "open": availability.open,
                "closed_reason": availability.reason,
                "closed_why": availability.why,
                "available_from": availability.opens_at,
                "available_until": availability.closes_at,
                "next_open": availability.next_open,
            }
        )
    return rows


def kiosk_last_ticket(*, device: Device) -> Ticket | None:
    """The last ticket this kiosk issued today (for a staff reprint), or None."""
    event = (
        TicketEvent.objects.filter(
            device=device, action=Action.ISSUED, ticket__business_day=numbering.business_day()
        )
        .select_related("ticket")
        .order_by("-at", "-id")
        .first()
    )
    return event.ticket if event else None


def kiosk_ticket(*, device: Device, token: str) -> Ticket | None:
    """A ticket of today at the kiosk's office, by token (the kiosk's ticket screen)."""
    ticket = selectors.ticket_by_token(token=token)
    if ticket is None or ticket.office_id != device.office_id:
        return None
    return ticket
