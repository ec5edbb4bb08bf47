"""The counter API and the office snapshot answer only for the offices the account may
work at: a refusal is 403 with its code, before any body is read."""

from django.contrib.auth.models import User

from queueing.models import Counter, Service, Ticket
from tests.conftest import api_as


def counter_at(office, number: int) -> Counter:
    return Counter.objects.get(office=office, number=number)


def issue(office) -> None:
    from queueing import services

    services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))


def test_a_contractor_of_another_company_cannot_call_at_the_demo_office(office, contractor2):
    issue(office)
    client = api_as(contractor2)
    counter = counter_at(office, 1)
    for response in (client.post(f"/api/v1/counters/{counter.pk}/call-next/"),
                     client.get(f"/api/v1/counters/{counter.pk}/"),
                     client.post(f"/api/v1/counters/{counter.pk}/status/", {},
                                 format="json")):  # refused before the body is checked
        assert response.status_code == 403
        assert response.json()["code"] == "office_not_allowed"
    assert Ticket.objects.get().status == "waiting"


def test_a_contractor_of_the_right_company_calls_at_its_counter(office, contractor):
    issue(office)
    response = api_as(contractor).post(f"/api/v1/counters/{counter_at(office, 1).pk}/call-next/")
    assert response.status_code == 200
    assert response.json()["ticket"]["ticket"] == "A001"


def test_municipal_staff_of_one_office_cannot_act_at_another(branch, municipal):
    issue(branch)
    ticket = Ticket.objects.get(office=branch)
    client = api_as(municipal)
    call = client.post(f"/api/v1/counters/{counter_at(branch, 1).pk}/call-next/")
    cancel = client.post(f"/api/v1/counters/{counter_at(branch, 2).pk}/tickets/{ticket.pk}/"
                         "cancel/", {"reason": ""}, format="json")
    for response in (call, cancel):
        assert response.status_code == 403
        assert response.json()["code"] == "office_not_allowed"
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting"


def test_staff_cannot_issue_a_ticket_for_another_offices_service(branch, municipal):
    service = Service.objects.get(office=branch, code="juminhyo")
    response = api_as(municipal).post("/api/v1/tickets/", {"service": service.pk},
                                      format="json", HTTP_IDEMPOTENCY_KEY="scope-test-0001")
    assert response.status_code == 404
    assert not Ticket.objects.filter(office=branch).exists()


def test_the_office_snapshot_is_refused_for_another_office(branch, office, supervisor,
                                                           city_supervisor):
    issue(branch)
    refused = api_as(supervisor).get(f"/api/v1/offices/{branch.pk}/snapshot/")
    assert refused.status_code == 403 and refused.json()["code"] == "office_not_allowed"
    assert "A001" not in refused.content.decode()
    for user in (city_supervisor, User.objects.get(username="branch_supervisor")):
        assert api_as(user).get(f"/api/v1/offices/{branch.pk}/snapshot/").status_code == 200
    assert api_as(supervisor).get(f"/api/v1/offices/{office.pk}/snapshot/").status_code == 200
