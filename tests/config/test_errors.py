"""Bad input never gets a 500: API errors are JSON {code, detail} (404 and 405 included),
pages answer with plain words in the page's language, nothing quotes an Individual Number."""

import json

import pytest
from django.test import Client

from tests.conftest import api_as

pytestmark = pytest.mark.django_db
NUMBER = "1234-5678-9012"


def assert_json_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] and body["detail"], body
    if code:
        assert body["code"] == code, body
    return body


def test_an_unknown_api_address_is_a_json_404(office):
    assert_json_error(Client().get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_json_error(Client().get("/api/v1/counters/99999999999999999999/"), 404)


def test_a_wrong_method_is_a_json_405(office, kiosk_client):
    assert_json_error(kiosk_client.delete("/api/v1/tickets/"), 405, "method_not_allowed")
    assert_json_error(api_as(None).patch("/api/v1/bookings/"), 405, "method_not_allowed")


def test_deeply_nested_json_is_refused(office, kiosk_client):
    deep = "[" * 20_000 + "]" * 20_000
    r = kiosk_client.post("/api/v1/tickets/", deep, content_type="application/json")
    assert_json_error(r, 400, "parse_error")


def test_a_body_past_the_limit_is_refused(office, kiosk_client):
    big = json.dumps({"service": 1, "pad": "x" * 200_000})
    assert_json_error(kiosk_client.post("/api/v1/tickets/", big,
                                        content_type="application/json"), 413, "too_large")


@pytest.mark.parametrize("body", [
    '{"service": 99999999999999999999999999}', '{"service": 1e999}', '{"service": NaN}',
    '{"service": -1}', '"text"', "[]", "\xff\xfe",
])
def test_odd_json_values_are_a_400(office, kiosk_client, body):
    r = kiosk_client.post("/api/v1/tickets/", body.encode("latin-1"),
                          content_type="application/json; charset=nonsense")
    assert_json_error(r, 400)


def test_a_malformed_multipart_body_is_json(office, kiosk_client):
    r = kiosk_client.generic("POST", "/api/v1/tickets/", b"--x\r\nbroken",
                             content_type="multipart/form-data; boundary=x")
    assert_json_error(r, 415, "unsupported_media_type")


def test_a_refused_value_is_never_quoted_in_an_api_error(office, kiosk_client):
    r = kiosk_client.post("/api/v1/tickets/", {"service": NUMBER, "language": NUMBER},
                          format="json")
    assert_json_error(r, 400)
    assert "1234" not in r.content.decode()
    r = api_as(None).post("/api/v1/bookings/", {"slot": 1, "notice_reference": NUMBER,
                                                "birth_date": "1990-01-01"}, format="json")
    body = assert_json_error(r, 400, "individual_number")
    assert "1234" not in json.dumps(body)


@pytest.mark.parametrize("query", [
    "from=9999-12-31&to=9999-12-31", "from=0001-01-01", "from=2026-02-30", "from=²⁰²⁶-01-01",
    "office=99999999999999999999999", "office=²", "to=9999-12-31",
])
def test_dates_and_ids_at_the_ends_of_the_range_on_supervisor_pages(office, supervisor, query):
    client = Client()
    client.force_login(supervisor)
    for page in ("history", "contract", "audit"):
        response = client.get(f"/supervisor/{page}/?{query}")
        assert response.status_code in (200, 403), (page, query, response.status_code)
        assert "9999" not in response.content.decode().split("<main", 1)[-1]


@pytest.mark.parametrize("path", [
    "/book/demo/mynumber/9999-12-31/", "/book/demo/mynumber/0001-01-01/",
    "/book/demo/mynumber/2026-13-45/", "/staff/bookings/demo/?date=9999-12-31",
    "/staff/bookings/demo/?date=0001-01-01",
])
def test_booking_pages_with_dates_at_the_ends_of_the_calendar(office, supervisor, path):
    client = Client()
    client.force_login(supervisor)
    assert client.get(path).status_code in (200, 404)


def test_an_unknown_page_says_so_in_the_pages_language(office):
    r = Client().get("/no-such-page/?lang=en")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")
    assert "This page does not exist." in r.content.decode()
    r = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ja")
    assert "このページはありません" in r.content.decode()


def test_a_wrong_method_on_a_page_gets_plain_words(office, supervisor):
    client = Client()
    client.force_login(supervisor)
    r = client.post("/supervisor/history/?lang=en")
    assert r.status_code == 405 and "does not accept that kind of request" in r.content.decode()


@pytest.mark.parametrize("folder", ["ja", "ja_Easy", "zh_Hans", "ko", "vi", "pt_BR", "es"])
def test_every_error_page_message_is_translated(folder):
    import gettext
    from pathlib import Path

    from django.utils import translation

    from config import errors
    from queueing import privacy

    locale = Path(__file__).resolve().parents[2] / "locale" / folder / "LC_MESSAGES"
    with open(locale / "django.mo", "rb") as f:
        catalog = gettext.GNUTranslations(f)
    with translation.override("en"):
        english = [*errors._page_messages().values(), str(privacy.MESSAGE)]
    english += ["Too many wrong sign-ins.", "Sign-in is locked for this account or this "
                "address for a while. Please try again later, or ask an administrator."]
    untranslated = [m for m in english if catalog.gettext(m) == m]
    assert not untranslated, untranslated
