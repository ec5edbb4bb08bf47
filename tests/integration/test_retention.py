"""Retention, end to end on PostgreSQL: after the retention time nothing personal survives in
any table, log line or audit record, and the anonymous counts stay."""

import datetime
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from appointments import services as bookings
from appointments.models import Booking
from kiosk import notices
from queueing import retention, services
from queueing.models import Counter, Service, TicketEvent
from tests.appointments.conftest import at

pytestmark = pytest.mark.integration

NOTICE, EMAIL, PHONE = "ZQX-987654", "unique.resident@example.jp", "09087654321"
BIRTH = datetime.date(1951, 7, 23)
NOTE = "山田花子さん 書類不足"  # a staff member's free text naming a resident
HANDOFF_NOTE = "佐藤次郎さんの委任状あり"  # a note for the next counter naming another
STATUS_PAGE_EMAIL = "waiting.resident@example.jp"  # left on a ticket's status page
MARKERS = [NOTICE, EMAIL, PHONE, "087654321", "1951-07-23", "山田花子", "佐藤次郎",
           STATUS_PAGE_EMAIL]


def every_text_in_the_database() -> str:
    """Every value of every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalog
            chunks += [repr(row) for row in cursor.fetchall()]
    return "\n".join(chunks)


@pytest.mark.django_db
def test_nothing_personal_survives_retention(postgres, office, schedule, slot_factory,
                                             municipal, caplog):
    caplog.set_level(logging.DEBUG)
    slot = slot_factory(at(timezone.localdate() + datetime.timedelta(days=10), 10))
    booking = bookings.booking_create(slot=slot, notice_reference=NOTICE, birth_date=BIRTH,
                                      email=EMAIL, phone=PHONE, by=municipal)
    bookings.bookings_notify()
    assert mail.outbox and mail.outbox[0].to == [EMAIL]
    bookings.booking_cancel(booking=booking, by=municipal, reason=NOTE)
    ticket = services.ticket_issue(service=Service.objects.get(office=office, code="tennyu"))
    services.ticket_notice_opt_in(ticket=ticket, email=STATUS_PAGE_EMAIL)
    counter = Counter.objects.get(office=office, number=3)
    services.ticket_call_number(counter=counter, by=municipal, number=ticket.display_number)
    assert notices.ticket_notices_send()["called"] == 1
    assert mail.outbox[-1].to == [STATUS_PAGE_EMAIL]
    services.ticket_transfer(ticket=ticket, counter=counter, by=municipal, reason=NOTE,
                             note=HANDOFF_NOTE)
    Client().post("/staff/login/", {"username": EMAIL, "password": "x"})  # typed by mistake
    text = every_text_in_the_database()
    # The data is there while it is needed
    assert NOTICE in text and NOTE in text and HANDOFF_NOTE in text and STATUS_PAGE_EMAIL in text

    later = slot.start + datetime.timedelta(days=365)
    erased = retention.personal_data_erase(now=later)
    assert erased["bookings"] == 1 and erased["ticket_notes"] >= 1
    assert erased["ticket_notice_addresses"] == 1

    text = every_text_in_the_database()
    found = [m for m in MARKERS if m in text]
    assert not found, found
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [m for m in MARKERS if m in logged]
    # The anonymous counts stay: the booking, its audit rows, the ticket and its events.
    erased_booking = Booking.objects.get(pk=booking.pk)
    assert erased_booking.status == "cancelled" and erased_booking.erased_at == later
    assert erased_booking.events.count() == 3
    assert TicketEvent.objects.filter(ticket=ticket).count() == 4  # the opt-in's included


@pytest.mark.django_db
def test_one_failing_eraser_does_not_stop_the_others(postgres, office, monkeypatch):
    def broken(*, now):
        raise RuntimeError("disk full")

    monkeypatch.setitem(retention.ERASERS, "broken", broken)
    result = retention.personal_data_erase()
    assert result["broken"] == "failed" and result["bookings"] == 0


@pytest.mark.django_db
def test_the_nightly_command_runs_every_eraser(postgres, office, capsys):
    call_command("personal_data_erase")
    assert '"bookings": 0' in capsys.readouterr().out
