"""A refused check-in offers a walk-in ticket only when one can be issued at that moment
(``queueing.hours``); otherwise the answer says what to do instead, in the kiosk's language."""

import datetime

import pytest
from django.utils import timezone

from appointments.models import Booking, Slot
from appointments.references import booking_code_new
from queueing.models import Device, Service, Ticket

pytestmark = pytest.mark.django_db
CHECK_IN = "/api/v1/kiosk/check-in/"


@pytest.fixture
def late(schedule, clock):
    """10:00: a resident booked for 09:50 (more than 5 minutes late) at the kiosk."""
    clock.at("10:00")
    start = timezone.now() - datetime.timedelta(minutes=10)
    slot = Slot.objects.create(schedule=schedule, start=start, capacity=2, seats_taken=1,
                               end=start + datetime.timedelta(minutes=30))
    return Booking.objects.create(slot=slot, office=schedule.office, service=schedule.service,
                                  status="booked", reference=booking_code_new(), party_size=1,
                                  language="en", created_at=start - datetime.timedelta(days=5))


def hours(service: Service, opens=None, closes=None) -> None:
    Service.objects.filter(pk=service.pk).update(available_from=opens, available_until=closes)


def check_in(kiosk_client, reference: str, language: str = "en"):
    """The kiosk's check-in call (its page asks in the kiosk's language too)."""
    response = kiosk_client.post(CHECK_IN, {"reference": reference, "language": language},
                                 format="json", HTTP_ACCEPT_LANGUAGE=language)
    return response.status_code, response.json()


def test_a_late_arrival_is_offered_a_walk_in_ticket_while_the_service_takes_them(
        kiosk_client, late):
    hours(late.service)  # no own hours: open
    status, body = check_in(kiosk_client, late.reference)
    assert (status, body["code"]) == (409, "too_late")
    assert body["walk_in"] == {"possible": True, "advice": ""}
    assert "take a ticket instead" in body["detail"]


def test_after_reception_ended_no_walk_in_is_offered_and_the_answer_says_what_to_do(
        kiosk_client, late):
    hours(late.service, closes=datetime.time(9, 30))
    status, body = check_in(kiosk_client, late.reference)
    assert (status, body["code"], body["walk_in"]["possible"]) == (409, "too_late", False)
    assert body["walk_in"]["advice"] == ("No ticket without a booking can be issued now. "
                                         "Please ask a staff member, or book another time.")
    assert "take a ticket" not in body["detail"]
    assert body["detail"].endswith("Please ask a staff member, or book another time.")
    assert not Ticket.objects.exists()


def test_before_walk_in_hours_the_advice_gives_the_time_in_the_kiosks_language(
        kiosk_client, late):
    hours(late.service, opens=datetime.time(10, 30))
    status, body = check_in(kiosk_client, late.reference, language="ja")
    assert body["walk_in"]["possible"] is False
    assert "10:30" in body["walk_in"]["advice"] and "職員" in body["walk_in"]["advice"]


def test_a_paused_kiosk_offers_no_walk_in(kiosk_client, late):
    hours(late.service)
    Device.objects.filter(key="demo-kiosk-key").update(paused=True)
    status, body = check_in(kiosk_client, late.reference)
    assert body["walk_in"] == {"possible": False, "advice": (
        "No ticket can be issued at this kiosk now. Please ask a staff member.")}


def test_an_unknown_code_offers_a_walk_in_only_if_some_service_of_the_office_is_open(
        kiosk_client, late):
    office_services = Service.objects.filter(office=late.office)
    office_services.update(available_from=None, available_until=datetime.time(9))
    status, body = check_in(kiosk_client, "ZZZZ-ZZZZ")
    assert (status, body["code"], body["walk_in"]["possible"]) == (404, "booking_not_found",
                                                                   False)
    office_services.filter(code="tennyu").update(available_until=None)
    assert check_in(kiosk_client, "ZZZZ-ZZZZ")[1]["walk_in"]["possible"] is True


def test_a_refusal_with_no_walk_in_step_carries_no_offer(kiosk_client, late, clock):
    clock.at("09:00")  # 50 minutes early: come back later, no ticket to offer
    status, body = check_in(kiosk_client, late.reference)
    assert (status, body["code"]) == (409, "too_early")
    assert "walk_in" not in body
