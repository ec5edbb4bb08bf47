"""Issuing from the kiosk goes through POST /api/v1/tickets/ with the device key:
403 for bad keys, per-device rate limit, validation errors, pause and hours."""

import datetime

import pytest
from rest_framework.test import APIClient

from api.devices import DeviceRateThrottle
from queueing.models import Device, Service, Ticket

pytestmark = pytest.mark.django_db
ISSUE = "/api/v1/tickets/"


def kiosk_api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    return client


def test_kiosk_issues_ticket_with_its_status_page_url(kiosk_client, juminhyo):
    response = kiosk_client.post(ISSUE, {"service": juminhyo.id, "priority": 1,
                                         "language": "vi"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["ticket"] == "A001"
    assert body["status_url"] == f"http://testserver/t/{body['token']}/"
    ticket = Ticket.objects.get(token=body["token"])
    assert (ticket.priority, ticket.language) == (1, "vi")


@pytest.mark.parametrize("key", ["unknown-key", "revoked"])
def test_unknown_or_revoked_key_gets_403(key, kiosk, juminhyo):
    if key == "revoked":
        kiosk.revoked = True
        kiosk.save()
        key = kiosk.key
    response = kiosk_api(key).post(ISSUE, {"service": juminhyo.id}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert not Ticket.objects.exists()


def test_issuing_is_rate_limited_per_device(monkeypatch, kiosk_client, kiosk, juminhyo, office):
    # What KIOSK_RATE=3/min sets; DRF reads the rates once, at import.
    monkeypatch.setattr(DeviceRateThrottle, "THROTTLE_RATES", {"kiosk": "3/min"})
    codes = [kiosk_client.post(ISSUE, {"service": juminhyo.id}, format="json").status_code
             for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = kiosk_client.post(ISSUE, {"service": juminhyo.id}, format="json").json()
    assert refused["code"] == "throttled"
    assert Ticket.objects.count() == 3
    # Another kiosk of the office has its own allowance.
    other = Device.objects.create(office=office, type=Device.Type.KIOSK, name="2階 発券機")
    assert kiosk_api(other.key).post(ISSUE, {"service": juminhyo.id},
                                     format="json").status_code == 201


@pytest.mark.parametrize("payload, field", [
    ({"service": "abc"}, "service"),
    ({}, "service"),
    ({"service": 1, "priority": 2}, "priority"),  # appointment priority only via check-in
    ({"service": 1, "language": "fr"}, "language"),
])
def test_invalid_input_gets_400_with_the_field(payload, field, kiosk_client, office):
    response = kiosk_client.post(ISSUE, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_service_of_another_office_is_not_found(kiosk_client, office):
    from queueing.models import Office, Step

    other = Office.objects.create(code="branch", name="支所")
    service = Service.objects.create(office=other, code="x", name="x", prefix="X")
    Step.objects.create(service=service, order=1, name="x", kind="outsourced")
    response = kiosk_client.post(ISSUE, {"service": service.id}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "service_not_found"


def test_service_outside_its_hours_is_refused(kiosk_client, office):
    service = Service.objects.get(office=office, code="mynumber")
    service.available_until = datetime.time(0, 0)
    service.save()
    response = kiosk_client.post(ISSUE, {"service": service.id}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "service_closed"


def test_paused_kiosk_refuses_with_its_message(kiosk_client, kiosk, juminhyo):
    kiosk.paused, kiosk.pause_message = True, "点検中"
    kiosk.save()
    response = kiosk_client.post(ISSUE, {"service": juminhyo.id}, format="json")
    assert response.status_code == 409
    assert response.json() == {"code": "kiosk_paused", "detail": "点検中"}


def test_the_refusal_says_why_and_when_the_service_opens_next(kiosk_client, office, clock):
    from queueing.models import OfficeHours

    for weekday in range(5):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=datetime.time(8, 30),
                                   closes=datetime.time(17, 15))
    clock.at("10:00", datetime.date(2026, 7, 20))  # 海の日
    service = Service.objects.get(office=office, code="koseki")
    response = kiosk_client.post(ISSUE, {"service": service.id}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "service_closed"
    assert "closed_today (holiday)" in body["detail"]
    assert "opens next at 2026-07-21 08:30" in body["detail"].lower()


def test_a_service_no_counter_serves_is_refused_with_its_own_code(kiosk_client, office):
    from queueing.models import CounterService

    service = Service.objects.get(office=office, code="koseki")
    CounterService.objects.filter(service=service).delete()
    response = kiosk_client.post(ISSUE, {"service": service.id}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "service_not_served")
    assert not Ticket.objects.filter(service=service).exists()


def test_a_booking_check_in_is_not_counted_against_the_daily_cap(office, clock):
    from queueing import services

    clock.at("10:00")
    service = Service.objects.get(office=office, code="koseki")
    service.daily_ticket_cap = 1
    service.save()
    services.ticket_issue(service=service, booking_reference="R-1")
    assert services.ticket_issue(service=service).number == 2  # the one walk-in of the day
    with pytest.raises(Exception) as refused:
        services.ticket_issue(service=service)
    assert refused.value.code == "service_sold_out"
