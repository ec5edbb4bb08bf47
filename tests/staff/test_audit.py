"""The supervisors' audit page (staff/audit.py): read and export, nothing to change."""

import pytest
from django.test import Client

from queueing import services
from queueing.models import SecurityAction, SecurityEvent

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_city_wide_supervisors_read_every_kind_of_record(office, city_supervisor, municipal):
    Client().post("/staff/login/", {"username": "municipal", "password": "wrong"})
    ticket = services.ticket_issue(service=office.services.get(code="juminhyo"))
    client = signed_in(city_supervisor)
    page = client.get("/supervisor/audit/").content.decode()
    assert "sign_in_failed" in page and "municipal" in page
    page = client.get("/supervisor/audit/?kind=tickets").content.decode()
    assert ticket.display_number in page and "issued" in page
    for kind in ("configuration", "counters", "bookings"):
        assert client.get(f"/supervisor/audit/?kind={kind}").status_code == 200


def test_the_export_is_csv_and_is_itself_recorded(office, city_supervisor):
    client = signed_in(city_supervisor)
    response = client.get("/supervisor/audit/?kind=security&csv=1")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith("at,kind,action")
    assert SecurityEvent.objects.filter(action=SecurityAction.AUDIT_EXPORTED,
                                        actor=city_supervisor).exists()


def test_an_office_supervisor_opens_the_audit_at_its_offices_tickets(office, supervisor):
    response = signed_in(supervisor).get("/supervisor/audit/")
    assert response.status_code == 200 and response.context["kind"] == "tickets"


@pytest.mark.parametrize("who", ["municipal", "contractor"])
def test_only_supervisors_see_the_audit(office, who, request):
    response = signed_in(request.getfixturevalue(who)).get("/supervisor/audit/")
    assert response.status_code == 403


def test_the_audit_page_offers_no_way_to_change_a_record(office, supervisor):
    client = signed_in(supervisor)
    assert client.post("/supervisor/audit/").status_code == 405
    assert "<form method=\"post\"" not in client.get("/supervisor/audit/").content.decode() \
        .split('<main id="main">')[1]
