"""Device keys (api/devices.py): kiosks and displays authenticate without user accounts."""

import pytest
from rest_framework.test import APIClient

from demo.city_hall import DISPLAY_KEY, KIOSK_KEY
from queueing.models import Service, Ticket

pytestmark = pytest.mark.django_db
ISSUE = "/api/v1/tickets/"


def device(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    return client


def juminhyo() -> int:
    return Service.objects.get(office__code="demo", code="juminhyo").id


def test_a_display_key_cannot_issue_tickets(office):
    response = device(DISPLAY_KEY).post(ISSUE, {"service": juminhyo()}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("key", ["x" * 500, "", "\u3042" * 10])
def test_odd_keys_are_refused_in_plain_json(office, key):
    response = device(key).post(ISSUE, {"service": juminhyo()}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] in {"authentication_failed", "not_authenticated",
                                       "forbidden"}


def test_the_kiosk_key_issues_and_the_schema_documents_the_key(office):
    assert device(KIOSK_KEY).post(ISSUE, {"service": juminhyo()},
                                  format="json").status_code == 201
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["deviceKey"]["in"] == "header"
