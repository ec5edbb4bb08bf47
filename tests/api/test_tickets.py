"""The REST API: role rules answer 403, bad input 400, missing 404, races 409, all as JSON."""

import pytest
from django.contrib.auth.models import User

from queueing import services
from queueing.models import Counter, Device, Service, Ticket
from tests.conftest import api_as


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def cid(number):
    return Counter.objects.get(office__code="demo", number=number).pk


def issue(code="juminhyo"):
    return services.ticket_issue(service=svc(code))


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["detail"], body


# --- kiosk --------------------------------------------------------------------------


def test_kiosk_issues_a_ticket_with_a_status_link(kiosk_client):
    r = kiosk_client.post("/api/v1/tickets/", {"service": svc("tennyu").pk, "language": "en"},
                          format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["ticket"] == "D001" and body["step_kind"] == "outsourced"
    assert body["status_url"].endswith(f"/t/{body['token']}/")
    assert Ticket.objects.get(token=body["token"]).language == "en"


def test_revoked_kiosk_key_is_refused(kiosk_client):
    Device.objects.filter(type="kiosk").update(revoked=True)
    r = kiosk_client.post("/api/v1/tickets/", {"service": svc("juminhyo").pk}, format="json")
    assert_error(r, 403, "authentication_failed")
    assert not Ticket.objects.exists()


def test_unknown_kiosk_key_is_refused(office):
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION="Device not-a-key")
    r = client.post("/api/v1/tickets/", {"service": svc("juminhyo").pk}, format="json")
    assert_error(r, 403, "authentication_failed")


def test_display_key_cannot_issue(office):
    client = api_as(None)
    client.credentials(HTTP_AUTHORIZATION="Device demo-display-key")
    r = client.post("/api/v1/tickets/", {"service": svc("juminhyo").pk}, format="json")
    assert r.status_code == 403


@pytest.mark.parametrize("body", [{}, {"service": "abc"}, {"service": -1},
                                  {"service": 1, "language": "xx"}, {"service": 1, "priority": 2}])
def test_bad_issue_input_is_a_400_with_fields(kiosk_client, body):
    r = kiosk_client.post("/api/v1/tickets/", body, format="json")
    assert_error(r, 400, "invalid")
    assert r.json()["fields"]


def test_malformed_json_is_a_400(kiosk_client):
    r = kiosk_client.post("/api/v1/tickets/", "{not json", content_type="application/json")
    assert_error(r, 400, "parse_error")


def test_unknown_service_is_a_404(kiosk_client):
    r = kiosk_client.post("/api/v1/tickets/", {"service": 999999}, format="json")
    assert_error(r, 404, "service_not_found")


def test_kiosk_is_rate_limited(kiosk_client, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # (It used to restore the rate from the overridden settings: 3/min for every later test.)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"kiosk": "3/min"})
    codes = [kiosk_client.post("/api/v1/tickets/", {"service": svc("juminhyo").pk},
                               format="json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert Ticket.objects.count() == 3


# --- role rules at the counter ------------------------------------------------------


def test_anonymous_cannot_call(office):
    issue()
    assert_error(api_as(None).post(f"/api/v1/counters/{cid(1)}/call-next/"), 403,
                 "not_authenticated")


def test_user_without_role_cannot_call(office):
    nobody = User.objects.create_user("visitor", password="visitor-pass-123")
    issue()
    assert_error(api_as(nobody).post(f"/api/v1/counters/{cid(1)}/call-next/"), 403,
                 "no_staff_role")


def test_kiosk_key_cannot_call(kiosk_client):
    issue()
    assert kiosk_client.post(f"/api/v1/counters/{cid(1)}/call-next/").status_code == 403


def test_contractor_cannot_call_next_at_staff_counter(contractor):
    issue("fukushi")
    assert_error(api_as(contractor).post(f"/api/v1/counters/{cid(7)}/call-next/"), 403,
                 "counter_not_allowed")


def test_contractor_cannot_open_a_staff_counter_view(contractor):
    assert_error(api_as(contractor).get(f"/api/v1/counters/{cid(6)}/"), 403,
                 "counter_not_allowed")


def test_contractor_cannot_call_staff_only_ticket_by_number(contractor):
    t = issue("fukushi")
    r = api_as(contractor).post(f"/api/v1/counters/{cid(1)}/call/",
                                {"number": t.display_number}, format="json")
    assert_error(r, 403, "step_not_allowed_here")


def test_contractor_cannot_cancel_staff_only_ticket(contractor):
    t = issue("fukushi")
    r = api_as(contractor).post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/cancel/", {},
                                format="json")
    assert_error(r, 403, "step_not_allowed_here")


def test_contractor_cannot_change_a_staff_counters_status(contractor):
    r = api_as(contractor).post(f"/api/v1/counters/{cid(6)}/status/", {"status": "open"},
                                format="json")
    assert_error(r, 403, "counter_not_allowed")


def test_user_without_role_cannot_read_the_office_snapshot(office):
    nobody = User.objects.create_user("visitor", password="visitor-pass-123")
    assert_error(api_as(nobody).get(f"/api/v1/offices/{office.pk}/snapshot/"), 403,
                 "no_staff_role")


def test_user_without_role_cannot_issue_without_a_kiosk(office):
    nobody = User.objects.create_user("visitor", password="visitor-pass-123")
    r = api_as(nobody).post("/api/v1/tickets/", {"service": svc("juminhyo").pk}, format="json")
    assert_error(r, 403, "no_staff_role")


# --- a whole visit through the API --------------------------------------------------


def test_two_step_visit_through_the_api(contractor, municipal):
    t = issue("tennyu")
    c3, c6 = api_as(contractor), api_as(municipal)
    r = c3.post(f"/api/v1/counters/{cid(3)}/call-next/")
    assert r.status_code == 200 and r.json()["ticket"]["ticket"] == "D001"
    assert c3.post(f"/api/v1/counters/{cid(3)}/tickets/{t.pk}/start/").status_code == 200
    r = c3.post(f"/api/v1/counters/{cid(3)}/tickets/{t.pk}/transfer/",
                {"reason": "審査へ"}, format="json")
    assert r.status_code == 200 and r.json()["step_kind"] == "staff_only"
    r = c6.post(f"/api/v1/counters/{cid(6)}/call-next/")
    assert r.json()["ticket"]["ticket"] == "D001" and r.json()["ticket"]["counter"] == 6
    r = c6.post(f"/api/v1/counters/{cid(6)}/tickets/{t.pk}/complete/")
    assert r.json()["status"] == "completed"


def test_empty_line_answers_null_ticket(contractor):
    r = api_as(contractor).post(f"/api/v1/counters/{cid(1)}/call-next/")
    assert r.status_code == 200 and r.json()["ticket"] is None


def test_second_action_on_a_closed_ticket_is_a_409(contractor):
    t = issue()
    client = api_as(contractor)
    client.post(f"/api/v1/counters/{cid(1)}/call-next/")
    client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/complete/")
    r = client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/complete/")
    assert_error(r, 409, "not_at_this_counter")


def test_unknown_action_and_ids_are_404(contractor):
    t = issue()
    client = api_as(contractor)
    assert client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/explode/").status_code == 404
    assert_error(client.post(f"/api/v1/counters/{cid(1)}/tickets/999999/start/"), 404,
                 "not_found")
    assert_error(client.post("/api/v1/counters/999999/call-next/"), 404, "not_found")


def test_transfer_to_unknown_service_is_404_and_loses_nothing(contractor):
    t = issue()
    client = api_as(contractor)
    client.post(f"/api/v1/counters/{cid(1)}/call-next/")
    r = client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/transfer/",
                    {"reason": "x", "to_service": 999999}, format="json")
    assert_error(r, 404, "service_not_found")
    t.refresh_from_db()
    assert t.status == "called" and t.counter.number == 1


def test_resident_status_and_leave_by_token(office):
    first, t = issue(), issue()
    client = api_as(None)
    r = client.get(f"/api/v1/tickets/status/{t.token}/")
    body = r.json()
    assert r.status_code == 200 and body["people_ahead"] == 1 and body["ticket"] == "A002"
    assert first.token not in r.content.decode()
    assert client.post(f"/api/v1/tickets/status/{t.token}/leave/").json()["status"] == "cancelled"
    assert_error(client.get("/api/v1/tickets/status/nope/"), 404, "not_found")


def test_resident_says_on_my_way_by_token_and_the_console_view_shows_it(office, contractor):
    from queueing import selectors
    from queueing.models import TicketEvent

    t = issue()
    client = api_as(None)
    r = client.post(f"/api/v1/tickets/status/{t.token}/on-my-way/")
    assert r.status_code == 200, r.content
    assert r.json()["on_my_way"] is True and r.json()["status"] == "waiting"
    client.post(f"/api/v1/tickets/status/{t.token}/on-my-way/")  # again: nothing new
    assert TicketEvent.objects.filter(ticket=t, action="on_my_way").count() == 1
    view = selectors.counter_view(counter=Counter.objects.get(pk=cid(1)), user=contractor)
    assert [row["on_my_way"] for row in view["waiting"] if row["id"] == t.pk] == [True]
    client.post(f"/api/v1/tickets/status/{t.token}/leave/")  # giving up: the same leave
    assert_error(client.post(f"/api/v1/tickets/status/{t.token}/on-my-way/"), 409,
                 "not_waiting")


def test_resident_leaves_an_email_address_kept_only_on_the_ticket(office):
    from queueing.models import TicketEvent, TicketNotice

    t = issue()
    url = f"/api/v1/tickets/status/{t.token}/notice/"
    r = api_as(None).post(url, {"email": " Resident@Example.jp "}, format="json")
    assert r.status_code == 200 and r.json()["notified"] is True, r.content
    assert TicketNotice.objects.get(ticket=t).email == "Resident@Example.jp"
    event = TicketEvent.objects.get(ticket=t, action="notice_opted_in")
    assert "Resident" not in event.reason  # the audit row never holds the address
    assert "Resident" not in api_as(None).get(f"/api/v1/tickets/status/{t.token}/").content.decode()


@pytest.mark.parametrize("email, code", [
    ("not-an-address", "invalid_email"),
    ("a@example.jp\r\nBcc: everyone@example.jp", "invalid_email"),  # a header added
    ('"a b"@example.jp', "invalid_email"),  # quoted: not the plain form
    ("a@example.jp, b@example.jp", "invalid_email"),
    ("123456789012@example.jp", "individual_number"),  # never an Individual Number
])
def test_an_address_that_is_not_plain_is_refused_and_not_stored(office, email, code):
    from queueing.models import TicketNotice

    t = issue()
    r = api_as(None).post(f"/api/v1/tickets/status/{t.token}/notice/", {"email": email},
                          format="json")
    assert_error(r, 400, code)
    assert not TicketNotice.objects.exists()
    assert "123456789012" not in r.content.decode()


def test_openapi_schema_is_served(office):
    r = api_as(None).get("/api/schema/")
    assert r.status_code == 200 and b"/api/v1/counters/{counter_id}/call-next/" in r.content


def test_contractor_sees_booking_reference_only_for_the_ticket_it_serves(contractor, municipal):
    from queueing.models import Ticket as T

    mine = services.ticket_issue(service=svc("mynumber"), priority=T.Priority.APPOINTMENT,
                                 booking_reference="ABCD-1234")
    services.ticket_issue(service=svc("mynumber"), priority=T.Priority.APPOINTMENT,
                          booking_reference="WXYZ-9876")
    view = api_as(contractor).get(f"/api/v1/counters/{cid(5)}/").json()
    assert [r["booking_reference"] for r in view["waiting"]] == ["", ""]
    api_as(contractor).post(f"/api/v1/counters/{cid(5)}/call-next/")
    view = api_as(contractor).get(f"/api/v1/counters/{cid(5)}/").json()
    assert view["current"]["id"] == mine.id and view["current"]["booking_reference"] == "ABCD-1234"
    assert [r["booking_reference"] for r in view["waiting"]] == [""]
    staff_view = api_as(municipal).get(f"/api/v1/counters/{cid(5)}/").json()
    assert [r["booking_reference"] for r in staff_view["waiting"]] == ["WXYZ-9876"]


def test_api_docs_page_loads_its_assets_from_this_server(office):
    from django.test import Client

    html = Client().get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html


def test_status_link_uses_the_public_address_when_set(kiosk_client, settings):
    settings.PUBLIC_BASE_URL = "https://madoguchi.city.example.jp/"
    r = kiosk_client.post("/api/v1/tickets/", {"service": svc("juminhyo").pk}, format="json")
    body = r.json()
    assert body["status_url"] == f"https://madoguchi.city.example.jp/t/{body['token']}/"


# --- units recorded at the end of a step -------------------------------------------------


def _called(client, number=1, code="juminhyo"):
    t = issue(code)
    client.post(f"/api/v1/counters/{cid(number)}/call-next/")
    return t


def test_complete_records_the_units_given_or_the_steps_defaults(contractor):
    from queueing.models import Unit, WorkUnit

    client = api_as(contractor)
    copies = Unit.objects.get(office__code="demo", code="juminhyo-copy")
    t = _called(client)
    r = client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/complete/",
                    {"units": [{"unit": copies.pk, "quantity": 3}]}, format="json")
    assert r.status_code == 200
    t2 = _called(client)
    client.post(f"/api/v1/counters/{cid(1)}/tickets/{t2.pk}/complete/")  # one key: defaults
    got = sorted(WorkUnit.objects.values_list("event__ticket_id", "quantity"))
    assert got == [(t.pk, 3), (t2.pk, 1)]


@pytest.mark.parametrize("units, code", [
    ([{"unit": 999999, "quantity": 1}], "unit_not_found"),
    ([{"unit": "x", "quantity": 1}], "invalid"),
    ([{"unit": 1, "quantity": 100}], "invalid"),
    ("三通", "invalid"),
])
def test_bad_units_are_a_400_and_nothing_changes(contractor, units, code):
    client = api_as(contractor)
    t = _called(client)
    r = client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/complete/", {"units": units},
                    format="json")
    assert_error(r, 400, code)
    assert Ticket.objects.get(pk=t.pk).status == "called"


def test_counter_hours_are_measured_never_recorded(contractor):
    from queueing.models import Unit

    client = api_as(contractor)
    hours = Unit.objects.get(office__code="demo", code="counter-hour")
    t = _called(client)
    r = client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/complete/",
                    {"units": [{"unit": hours.pk, "quantity": 1}]}, format="json")
    assert_error(r, 400, "unit_not_found")


def test_hold_without_a_reason_is_a_400(contractor):
    client = api_as(contractor)
    t = _called(client)
    assert_error(client.post(f"/api/v1/counters/{cid(1)}/tickets/{t.pk}/hold/", {},
                             format="json"), 400, "invalid")


def test_a_public_status_answer_holds_no_hand_off(contractor, client):
    c3 = api_as(contractor)
    t = _called(c3, number=3, code="tennyu")
    c3.post(f"/api/v1/counters/{cid(3)}/tickets/{t.pk}/transfer/",
            {"reason": "審査・決定が必要", "note": "転出証明書あり"}, format="json")
    body = client.get(f"/api/v1/tickets/status/{t.token}/").json()
    assert body["next_step"]["name"] == "審査・決定"
    assert "転出証明書" not in repr(body) and "審査・決定が必要" not in repr(body)
