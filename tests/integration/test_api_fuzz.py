"""Schemathesis fuzzes every operation of a real server: bad input never gives a 500, and every
error is JSON ``{code, detail}``.

Operations are looped here rather than through schema.parametrize(): its pytest plugin does
not run on pytest 9 yet ('Function' object has no attribute '_nodeid'). Each operation gets
inputs that fit the schema and inputs that break it (schemathesis' negative mode: wrong types,
out-of-range numbers, missing fields); a stateful run follows the schema's OpenAPI links (a
new ticket's token to its status and leave operations, a booking's token to its
cancellation, api/schema.py); and a list of hand-made bodies covers the classes of input that
once made the server fail: deep nesting, integers past 64 bits, the ends of the calendar,
a body past the limit, malformed multipart, another charset.

Requests carry a kiosk's device key for the kiosk endpoints and a municipal staff token
elsewhere, so the generated cases reach the services, not only the authentication layer.
"""

import json
import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from bench.servers import ServerGroup

TOKEN_SHELL = (
    "from rest_framework.authtoken.models import Token;"
    "from django.contrib.auth.models import User;"
    "print(Token.objects.get_or_create(user=User.objects.get(username='municipal'))[0].key)"
)
KIOSK_PATHS = ("/api/v1/tickets/", "/api/v1/kiosk/check-in/")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))  # per operation and mode


@pytest.fixture(scope="module")
def server():
    """A server process on a fresh database (PostgreSQL when DATABASE_URL is set)."""
    url = os.environ.get("DATABASE_URL") or None
    with ServerGroup(processes=1, database_url=url if url and url.startswith("postgres") else None,
                     extra_env={"KIOSK_RATE": "100000/s"}) as group:
        out = group.manage("shell", "-c", TOKEN_SHELL)
        group.staff_token = out.stdout.strip().splitlines()[-1]
        group.manage("appointments_demo")
        yield group


def auth_for(server, path: str, method: str) -> str:
    if path in KIOSK_PATHS and method.upper() == "POST":
        return "Device demo-kiosk-key"
    return f"Token {server.staff_token}"


def check(response, where) -> None:
    """No 5xx; every error JSON with a code and a detail."""
    assert response.status_code < 500, (where, response.status_code, response.text[:500])
    if response.status_code >= 400:
        assert "application/json" in str(response.headers.get("content-type", "")), (
            where, response.status_code, response.text[:300])
        body = response.json()
        assert isinstance(body, dict) and body.get("code") and body.get("detail"), (where, body)


def load(server):
    return schemathesis.openapi.from_url(server.url + "/api/schema/")


def test_every_operation_survives_valid_and_invalid_input(server):
    schema = load(server)
    operations = [result.ok() for result in schema.get_all_operations()]
    from api.urls import urlpatterns
    from congestion.api import urlpatterns as open_data

    documented = {op.path for op in operations}
    # every operation of /api/v1/
    assert len(documented) == len(urlpatterns) + len(open_data), documented

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case):
                response = case.call(base_url=server.url, headers={
                    "Authorization": auth_for(server, case.path, case.method)})
                check(response, (case.method, case.path, case.meta))

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing to break: an operation without parameters or body has no
                # negative cases (its positive run above covered it).
                assert mode is GenerationMode.NEGATIVE, operation.path


def test_the_schema_links_new_tickets_and_bookings_to_their_operations(server):
    raw = httpx.get(server.url + "/api/schema/?format=json").json()
    issued = raw["paths"]["/api/v1/tickets/"]["post"]["responses"]["201"]["links"]
    assert issued["TicketStatus"]["parameters"] == {"token": "$response.body#/token"}
    booked = raw["paths"]["/api/v1/bookings/"]["post"]["responses"]["201"]["links"]
    assert "BookingCancel" in booked


def test_following_the_links_stateful(server):
    machine = load(server).as_state_machine()

    class Links(machine):
        def get_call_kwargs(self, case):
            return {"base_url": server.url,
                    "headers": {"Authorization": auth_for(server, case.path, case.method)}}

        def validate_response(self, response, case, **kwargs):
            check(response, (case.method, case.path, "stateful"))

    Links.run(settings=settings(max_examples=max(10, EXAMPLES // 2), stateful_step_count=6,
                                deadline=None, database=None,
                                suppress_health_check=list(HealthCheck)))


HAND_MADE = [
    ("deep nesting", "application/json", "[" * 50_000 + "]" * 50_000),
    ("deep object", "application/json", '{"a":' * 5_000 + "1" + "}" * 5_000),
    ("integer past 64 bits", "application/json", json.dumps({"service": 2**70})),
    ("huge integer", "application/json", '{"service": 1' + "0" * 5000 + "}"),
    ("infinity", "application/json", '{"service": 1e999, "priority": Infinity}'),
    ("body past the limit", "application/json", json.dumps({"pad": "x" * 300_000})),
    ("not UTF-8", "application/json; charset=utf-8", b"\xff\xfe\x00{"),
    ("another charset", "application/json; charset=no-such-codec", '{"service": 1}'),
    ("malformed multipart", "multipart/form-data; boundary=zz", "--zz\r\nbroken"),
    ("multipart without boundary", "multipart/form-data", "x"),
    ("form with null bytes", "application/x-www-form-urlencoded", "reason=%00%00&number=A%00"),
    ("calendar's end", "application/json", json.dumps({
        "slot": 1, "notice_reference": "ABC-123456", "birth_date": "9999-12-31",
        "email": "a@example.jp"})),
    ("calendar's start", "application/json", json.dumps({
        "slot": 1, "notice_reference": "ABC-123456", "birth_date": "0001-01-01",
        "email": "a@example.jp"})),
    ("lone surrogate", "application/json", '{"reason": "\\ud800", "number": "\\udfff"}'),
]
TARGETS = ["/api/v1/tickets/", "/api/v1/kiosk/check-in/", "/api/v1/bookings/",
           "/api/v1/counters/1/call/", "/api/v1/counters/1/tickets/1/transfer/"]


@pytest.mark.parametrize("name,content_type,body", HAND_MADE, ids=[h[0] for h in HAND_MADE])
def test_hand_made_bodies_of_the_classes_that_once_failed(server, name, content_type, body):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for path in TARGETS:
            response = client.post(path, content=body, headers={
                "Content-Type": content_type, "Authorization": auth_for(server, path, "POST")})
            check(response, (name, path))


@pytest.mark.parametrize("path", [
    "/api/v1/no-such-operation/", "/api/v1/counters/99999999999999999999999/",
    "/api/v1/tickets/status/" + "x" * 5000 + "/", "/api/v1/offices/1/services/?lang=%00",
    "/api/v1/bookings/slots/demo/mynumber/?from=9999-12-31", "/api/v1/tickets/status/%ff/",
])
def test_odd_addresses_are_json_errors_too(server, path):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
            check(client.request(method, path, headers={
                "Authorization": f"Token {server.staff_token}"}), (method, path))
