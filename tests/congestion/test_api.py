"""The public JSON and the open data: CORS, the OpenAPI schema, errors as JSON (also for
CSV), the licence, and no personal data in any field of any row."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from queueing import services
from queueing.models import Counter, Service, Ticket

from .conftest import TODAY

pytestmark = pytest.mark.django_db
HOURLY = "/api/v1/open-data/demo/hourly/"
CONGESTION = "/api/v1/congestion/demo/"
ROW_FIELDS = {"date": str, "hour": int, "procedure": str, "procedure_name": str,
              "counter_kind": str, "arrivals": int, "served": int, "waits": int,
              "waited_p50_minutes": (float, type(None)), "waited_p90_minutes": (float, type(None))}
TICKET_NUMBER = re.compile(r"\b[A-Z]{1,2}\d{3}\b")


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["detail"], body


def _personal_strings(office) -> list[str]:
    """Everything that would identify a ticket, a booking or a person."""
    strings = []
    for t in Ticket.objects.filter(office=office):
        strings += [t.token, t.display_number] + ([t.booking_reference]
                                                  if t.booking_reference else [])
    for u in User.objects.all():
        strings += [s for s in (u.username, u.first_name, u.get_full_name(), u.email) if s]
    return strings


@pytest.fixture
def served_day(office, contractor, municipal, clock):
    """Yesterday at the demo office: certificates served, a move through both steps, a
    no-show, a resident who left, and a booking checked in (with its reference)."""
    yesterday = TODAY - datetime.timedelta(days=1)
    c1 = Counter.objects.get(office=office, number=1)
    c3 = Counter.objects.get(office=office, number=3)
    c6 = Counter.objects.get(office=office, number=6)

    def svc(code):
        return Service.objects.get(office=office, code=code)

    clock("09:00", yesterday)
    for counter, user in ((c1, contractor), (c3, contractor), (c6, municipal)):
        services.counter_set_status(counter=counter, by=user, status="open")
    certs = [services.ticket_issue(service=svc("juminhyo")) for _ in range(6)]
    services.ticket_issue(service=svc("juminhyo"), booking_reference="ABC-123456",
                          priority=Ticket.Priority.APPOINTMENT)
    move = services.ticket_issue(service=svc("tennyu"))
    leaving = services.ticket_issue(service=svc("juminhyo"))
    for i in range(7):
        clock(f"09:{10 + 4 * i:02d}", yesterday)
        t = services.ticket_call_next(counter=c1, by=contractor)
        if t.display_number == certs[-1].display_number:
            services.ticket_no_show(ticket=t, counter=c1, by=contractor)
            services.ticket_call_number(counter=c1, by=contractor,  # called again ...
                                        number=t.display_number)
            t.refresh_from_db()
            services.ticket_no_show(ticket=t, counter=c1, by=contractor)  # ... and gone
            continue
        clock(f"09:{12 + 4 * i:02d}", yesterday)
        services.ticket_complete(ticket=t, counter=c1, by=contractor)
    services.ticket_cancel(ticket=leaving)
    clock("09:40", yesterday)
    services.ticket_call_next(counter=c3, by=contractor)
    clock("09:55", yesterday)
    services.ticket_complete(ticket=move, counter=c3, by=contractor)  # to the review step
    clock("10:20", yesterday)
    services.ticket_call_next(counter=c6, by=municipal)
    clock("10:35", yesterday)
    services.ticket_complete(ticket=move, counter=c6, by=municipal)
    clock("10:30")
    return yesterday


def _rows(response) -> list[dict]:
    return response.json()["rows"]


# --- open data -------------------------------------------------------------------------


def test_hourly_open_data_counts_arrivals_served_and_waits(office, served_day):
    response = Client().get(HOURLY)
    assert response.status_code == 200
    body = response.json()
    assert body["date_from"] == (TODAY - datetime.timedelta(days=7)).isoformat()
    assert body["date_to"] == served_day.isoformat()
    assert body["timezone"] == "Asia/Tokyo"
    rows = {(r["hour"], r["procedure"], r["counter_kind"]): r for r in _rows(response)}
    certs = rows[(9, "juminhyo", "outsourced")]
    # 8 joined the line at 9:00 (6, the booking, the one who left); 7 were called at
    # 9:10, 9:14 ... 9:34, of whom 6 were handled (the last did not come, twice).
    assert certs["arrivals"] == 8 and certs["served"] == 6 and certs["waits"] == 7
    assert certs["waited_p50_minutes"] == 22.0 and certs["waited_p90_minutes"] == 34.0
    move_in = rows[(9, "tennyu", "outsourced")]
    review = rows[(9, "tennyu", "staff_only")]
    assert (move_in["arrivals"], move_in["served"], move_in["waits"]) == (1, 1, 1)
    assert (review["arrivals"], review["waits"]) == (1, 1)
    assert rows[(10, "tennyu", "staff_only")]["served"] == 1  # handled at 10:35
    assert move_in["waited_p50_minutes"] is None  # one wait: withheld, close to a person


def test_no_field_of_the_open_data_holds_personal_data(office, served_day):
    response = Client().get(HOURLY)
    body = response.json()
    assert set(body) == {"office", "licence", "attribution", "timezone", "date_from",
                         "date_to", "rows"}
    assert set(body["office"]) == {"code", "name"}
    assert set(body["licence"]) == {"name", "url"}
    procedures = dict(Service.objects.filter(office=office).values_list("code", "name"))
    assert body["rows"]
    for row in body["rows"]:
        assert set(row) == set(ROW_FIELDS), row
        for name, kind in ROW_FIELDS.items():
            assert isinstance(row[name], kind), (name, row)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["date"]) and 0 <= row["hour"] < 24
        assert procedures[row["procedure"]] == row["procedure_name"]
        assert row["counter_kind"] in ("outsourced", "staff_only")
        assert min(row["arrivals"], row["served"], row["waits"]) >= 0
        for value in row.values():
            assert not (isinstance(value, str) and TICKET_NUMBER.search(value)), row
    text = response.content.decode()
    for secret in _personal_strings(office):
        assert secret not in text, secret


def test_the_csv_holds_the_same_rows_and_nothing_personal(office, served_day):
    response = Client().get(HOURLY + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert 'rel="license"' in response["Link"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel in Japanese Windows reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    as_json = _rows(Client().get(HOURLY))
    assert len(rows) == len(as_json)
    assert list(rows[0]) == [*ROW_FIELDS, "licence"]
    for row, expected in zip(rows, as_json, strict=True):
        assert row["licence"] == "CC BY 4.0"
        assert row["procedure"] == expected["procedure"]
        assert int(row["arrivals"]) == expected["arrivals"]
        assert row["waited_p50_minutes"] == ("" if expected["waited_p50_minutes"] is None
                                             else str(expected["waited_p50_minutes"]))
    for secret in _personal_strings(office):
        assert secret not in text, secret


def test_the_licence_comes_from_the_settings(office, served_day, settings):
    settings.OPEN_DATA_LICENCE = "CC0 1.0"
    settings.OPEN_DATA_LICENCE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
    body = Client().get(HOURLY).json()
    assert body["licence"] == {"name": "CC0 1.0",
                               "url": "https://creativecommons.org/publicdomain/zero/1.0/"}
    assert body["attribution"] == office.name


@pytest.mark.parametrize("query, code", [
    ("?from=2026-06-08&to=2026-06-01", "bad_range"),
    ("?to=2026-06-10", "out_of_range"),  # today is not complete yet
    ("?from=1999-12-31&to=2000-01-01", "out_of_range"),
    ("?from=2026-01-01&to=2026-06-09", "range_too_long"),
    ("?from=0001-01-01&to=9999-12-31", "out_of_range"),
    ("?from=2026-02-30", "invalid"),
    ("?to=99999-01-01", "invalid"),
    ("?from=yesterday", "invalid"),
])
def test_dates_a_user_can_get_wrong_are_clear_json_errors(office, clock, query, code):
    for fmt in ("", "&format=csv"):
        q = query + fmt
        assert_error(Client().get(HOURLY + q), 400, code)


def test_an_unknown_format_is_a_clear_json_error(office):
    # DRF answers an unknown ?format= with a bare 404; ours says what to choose
    for path in (HOURLY, "/api/v1/open-data/0/hourly/"):
        response = Client().get(path + "?format=0")
        assert_error(response, 400, "unknown_format")
        assert "json" in response.json()["detail"] and "csv" in response.json()["detail"]


def test_an_unknown_office_is_a_json_404_even_for_csv(office):
    for path in ("/api/v1/open-data/nowhere/hourly/?format=csv", "/api/v1/congestion/nowhere/"):
        response = Client().get(path)
        assert_error(response, 404, "office_not_found")
        assert response["Access-Control-Allow-Origin"] == "*"


# --- the page as JSON ------------------------------------------------------------------


def test_the_congestion_json_says_what_the_page_says(office, history):
    services.ticket_issue(service=Service.objects.get(office=office, code="mynumber"))
    response = Client(HTTP_ORIGIN="https://www.city.example.jp").get(CONGESTION + "?lang=en")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["language"] == "en"
    now = {r["procedure"]: r for r in body["now"]}
    assert now["mynumber"] == {"procedure": "mynumber", "name": "My Number Card",
                               "waiting": 1, "expected_wait_minutes": None}
    assert body["day"]["date"] == TODAY.isoformat() and body["day"]["open"]
    hours = {h["hour"]: h for h in body["day"]["hours"]}
    assert hours[10]["actual"] == 1 and hours[11]["actual"] is None
    assert body["calendar"][0]["date"] == TODAY.isoformat()
    saturday = next(d for d in body["calendar"] if d["date"] == "2026-06-13")
    assert saturday["level"] == "closed" and saturday["level_text"] == "Office closed"
    assert len(body["best_times"]) == 5
    text = response.content.decode()
    for secret in _personal_strings(office):
        assert secret not in text, secret


def test_the_congestion_json_refuses_a_bad_date(office, clock):
    assert_error(Client().get(CONGESTION + "?date=2026-99-01"), 400, "invalid")
    assert_error(Client().get(CONGESTION + "?date=3000-01-01"), 400, "invalid")


def test_the_openapi_schema_documents_both_endpoints_and_the_csv(office):
    schema = Client().get("/api/schema/?format=json").json()
    hourly = schema["paths"]["/api/v1/open-data/{code}/hourly/"]["get"]
    assert set(hourly["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {p["name"] for p in hourly["parameters"]} >= {"from", "to", "format"}
    assert "400" in hourly["responses"] and "404" in hourly["responses"]
    assert "/api/v1/congestion/{code}/" in schema["paths"]
