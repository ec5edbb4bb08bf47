"""POST /api/v1/tickets/status/<token>/rating/: a completed visit's satisfaction rating, by
the status link (no sign-in); every refusal is JSON {code, detail} and never quotes an
Individual Number."""

import pytest

from queueing import services
from queueing.models import Counter, Service, TicketRating
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(office, contractor):
    ticket = services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"),
                                   language="en")
    counter = Counter.objects.get(office=office, number=1)
    services.ticket_call_number(counter=counter, by=contractor, number=ticket.display_number)
    return services.ticket_complete(ticket=ticket, counter=counter, by=contractor)


def _rate(ticket, body):
    return api_as(None).post(f"/api/v1/tickets/status/{ticket.token}/rating/", body,
                             format="json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["detail"], body
    return body


def test_a_resident_rates_the_completed_visit_without_signing_in(completed):
    r = _rate(completed, {"score": 5, "comment": "Quick and kind"})
    assert r.status_code == 201, r.content
    assert (r.json()["status"], r.json()["rated"]) == ("completed", True)
    rating = TicketRating.objects.get()
    assert (rating.ticket_id, rating.score, rating.comment) == (completed.id, 5,
                                                                "Quick and kind")


def test_the_status_says_whether_the_visit_is_rated(completed):
    status = api_as(None).get(f"/api/v1/tickets/status/{completed.token}/").json()
    assert status["rated"] is False
    _rate(completed, {"score": 3})
    assert api_as(None).get(f"/api/v1/tickets/status/{completed.token}/").json()["rated"]


def test_a_second_rating_is_refused(completed):
    assert _rate(completed, {"score": 4}).status_code == 201
    assert_error(_rate(completed, {"score": 1}), 409, "already_rated")
    assert TicketRating.objects.get().score == 4


def test_a_waiting_ticket_cannot_be_rated(office):
    ticket = services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    assert_error(_rate(ticket, {"score": 5}), 409, "not_completed")


@pytest.mark.parametrize("body", [{}, {"score": 0}, {"score": 6}, {"score": "five"},
                                  {"score": 3, "comment": "x" * 201}])
def test_bad_input_is_a_400_with_the_fields(completed, body):
    assert "fields" in assert_error(_rate(completed, body), 400, "invalid")
    assert not TicketRating.objects.exists()


def test_a_comment_with_an_individual_number_is_refused_without_echoing_it(completed):
    r = _rate(completed, {"score": 2, "comment": "私の番号 1234-5678-9012"})
    assert_error(r, 400, "individual_number")
    assert "5678" not in r.content.decode()
    assert not TicketRating.objects.exists()


def test_an_unknown_link_is_a_404(office):
    r = api_as(None).post("/api/v1/tickets/status/no-such-token/rating/", {"score": 5},
                          format="json")
    assert_error(r, 404, "not_found")
