"""The kiosk's lean issue path (api/kiosk_issue.py), driven through the real ASGI application.

Given the demo city hall on a real database (the path runs on its own connections, so
the tests commit), when a kiosk posts a ticket through
``config.asgi.application``: the plain case is answered by the lean path, with the
same body shape and headers as Django's; every other case reaches Django's view and
gets the same ``{code, detail}`` as before, with nothing written twice.
"""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async  # closes its connections
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from api import kiosk_issue
from config.asgi import application
from demo.city_hall import DISPLAY_KEY, KIOSK_KEY
from queueing import hours
from queueing.models import (
    CounterService,
    Device,
    Office,
    OfficeClosure,
    Service,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db(transaction=True)
ISSUE = "/api/v1/tickets/"
HOST = [(b"host", b"testserver")]


async def post(body, *, key=KIOSK_KEY, content_type=b"application/json", raw=False,
               request_key=None) -> tuple:
    """(status, JSON body, headers) of a POST through the whole ASGI application."""
    content = body if raw else json.dumps(body).encode()
    headers = [*HOST, (b"content-type", content_type),
               (b"content-length", str(len(content)).encode())]
    if request_key is not None:
        headers.append((b"idempotency-key", request_key.encode()))
    if key is not None:
        headers.append((b"authorization", f"Device {key}".encode()))
    comm = HttpCommunicator(application, "POST", ISSUE, body=content, headers=headers)
    response = await comm.get_response(timeout=10)
    return (response["status"], json.loads(response["body"] or b"null"),
            {k.decode().lower(): v.decode() for k, v in response["headers"]})


def _fresh_pool():
    """Requests Django serves here through the test's ASGI communicator leave their
    per-request thread's connection checked out of the pool; give each test a fresh one."""
    connections.close_all()
    if connections["default"].vendor == "postgresql":
        connections["default"].close_pool()


def service(code: str) -> Service:
    return Service.objects.get(office__code="demo", code=code)


@pytest.fixture
async def taken(monkeypatch):
    """Records whether the lean path answered (True) or handed the request on (False); the
    path is the event loop's on PostgreSQL, a worker thread's elsewhere. Closes the event
    loop's connections afterwards (each test has its own loop)."""
    answers = []
    if connections["default"].vendor == "postgresql":
        original = kiosk_issue.issue_for_kiosk_on_loop

        async def recording(request, *keys):
            answer = await original(request, *keys)
            answers.append(answer is not None)
            return answer

        monkeypatch.setattr(kiosk_issue, "issue_for_kiosk_on_loop", recording)
    else:
        original_sync = kiosk_issue.issue_for_kiosk

        def recording_sync(request, *keys):
            answer = original_sync(request, *keys)
            answers.append(answer is not None)
            return answer

        monkeypatch.setattr(kiosk_issue, "issue_for_kiosk", recording_sync)
    yield answers
    await kiosk_issue.kiosk_database_close()
    await sync_to_async(_fresh_pool)()


async def test_the_plain_case_is_issued_by_the_lean_path(office, taken):
    juminhyo = await sync_to_async(service)("juminhyo")
    status, body, headers = await post({"service": juminhyo.pk, "priority": 1, "language": "vi"})
    assert (status, taken) == (201, [True])
    ticket = await sync_to_async(Ticket.objects.select_related("step").get)(token=body["token"])
    assert body == {
        "id": ticket.pk, "ticket": "A001", "service_id": juminhyo.pk, "step": ticket.step.name,
        "step_kind": ticket.step.kind, "status": "waiting", "priority": 1, "counter": None,
        "issued_at": body["issued_at"], "version": body["version"], "token": ticket.token,
        "status_url": f"http://testserver/t/{ticket.token}/"}
    assert (ticket.priority, ticket.language) == (1, "vi")
    audit = await sync_to_async(TicketEvent.objects.get)(ticket=ticket)
    kiosk = await sync_to_async(Device.objects.get)(key=KIOSK_KEY)
    assert (audit.action, audit.device_id, audit.to_status) == ("issued", kiosk.pk, "waiting")
    office_row = await sync_to_async(Office.objects.get)(pk=office.pk)
    assert body["version"] == office_row.event_version


async def test_its_answer_carries_the_headers_of_djangos_answers(office, taken):
    juminhyo = await sync_to_async(service)("juminhyo")
    _, _, lean = await post({"service": juminhyo.pk})
    _, _, django = await post({"service": 0})  # refused: answered by Django's view
    assert taken == [True, False]
    for name in ["x-content-type-options", "x-frame-options", "referrer-policy",
                 "cross-origin-opener-policy", "content-security-policy", "content-type"]:
        assert lean[name] == django[name], name
    assert int(lean["content-length"]) > 0


async def test_the_lobby_display_gets_the_ticket_with_its_version(office, taken):
    display = WebsocketCommunicator(application, f"/ws/display/{DISPLAY_KEY}/",
                                    headers=[(b"origin", b"http://localhost")])
    assert (await display.connect())[0]
    snapshot = await display.receive_json_from(timeout=5)
    juminhyo = await sync_to_async(service)("juminhyo")
    _, body, _ = await post({"service": juminhyo.pk})
    frame = await display.receive_json_from(timeout=5)
    await display.disconnect()
    assert taken == [True]
    assert (frame["type"], frame["version"], frame["prev"]) == (
        "board", body["version"], snapshot["version"])
    waiting = next(s for s in frame["data"]["services"] if s["service_id"] == juminhyo.pk)
    assert waiting["waiting"] == 1


@pytest.mark.parametrize("case, status, code", [
    ("unknown key", 403, "authentication_failed"),
    ("revoked key", 403, "authentication_failed"),
    ("display key", 403, "forbidden"),
    ("bad field", 400, "invalid"),
    ("no such service", 404, "service_not_found"),
    ("not JSON", 400, "parse_error"),
    ("plain text body", 415, "unsupported_media_type"),
    ("closed service", 409, "service_closed"),
    ("office closed today", 409, "service_closed"),
    ("no counter serves it", 409, "service_not_served"),
    ("daily cap reached", 409, "service_sold_out"),
    ("paused kiosk", 409, "kiosk_paused"),
    ("rate limit", 429, "throttled"),
])
async def test_every_other_case_gets_djangos_answer_and_writes_nothing(
        office, case, status, code, monkeypatch, taken):
    juminhyo = await sync_to_async(service)("juminhyo")
    body, key, content_type, raw = {"service": juminhyo.pk}, KIOSK_KEY, b"application/json", False

    def change():
        kiosk = Device.objects.get(key=KIOSK_KEY)
        if case == "revoked key":
            kiosk.revoked = True
        if case == "paused kiosk":
            kiosk.paused = True
        kiosk.save()
        if case == "closed service":
            Service.objects.filter(pk=juminhyo.pk).update(available_until="00:00")
        if case == "office closed today":
            OfficeClosure.objects.create(office=office, date=timezone.localdate(), reason="点検")
        if case == "no counter serves it":
            CounterService.objects.filter(service=juminhyo).delete()
        if case == "daily cap reached":
            Service.objects.filter(pk=juminhyo.pk).update(daily_ticket_cap=0)

    await sync_to_async(change)()
    if case == "unknown key":
        key = "no-such-key"
    elif case == "display key":
        key = (await sync_to_async(Device.objects.get)(type="display", office=office)).key
    elif case == "bad field":
        body = {"service": juminhyo.pk, "language": "xx"}
    elif case == "no such service":
        body = {"service": 999999}
    elif case == "not JSON":
        body, raw = b"{not json", True
    elif case == "plain text body":
        body, raw, content_type = b'{"service": 1}', True, b"text/plain"
    elif case == "rate limit":
        monkeypatch.setattr(kiosk_issue.DeviceRateThrottle, "THROTTLE_RATES", {"kiosk": "1/min"})
        assert (await post(body))[0] == 201
    before = await sync_to_async(Ticket.objects.count)()
    got_status, answer, _ = await post(body, key=key, content_type=content_type, raw=raw)
    assert (got_status, answer["code"]) == (status, code)
    assert answer["detail"]
    assert await sync_to_async(Ticket.objects.count)() == before
    # The same request through Django's view alone gives the same answer.
    if case not in ("rate limit",):
        client = APIClient(HTTP_AUTHORIZATION=f"Device {key}")
        direct = await sync_to_async(client.generic)(
            "POST", ISSUE, body if raw else json.dumps(body), content_type.decode())
        assert (direct.status_code, direct.json()) == (got_status, answer)


async def test_a_body_too_large_for_the_lean_path_still_reaches_django(office, taken):
    juminhyo = await sync_to_async(service)("juminhyo")
    padded = {"service": juminhyo.pk, "padding": "x" * (kiosk_issue.MAX_BODY + 10)}
    status, body, _ = await post(padded)
    assert status == 201  # Django's view ignores the unknown field, as before
    assert taken == []  # the lean path never ran: the body was handed on unread
    assert await sync_to_async(Ticket.objects.filter(token=body["token"]).exists)()


async def test_a_retry_with_the_same_request_key_gets_the_same_ticket(office, taken):
    # Given a kiosk whose answer was lost after its ticket was issued
    juminhyo = await sync_to_async(service)("juminhyo")
    status, first, _ = await post({"service": juminhyo.pk}, request_key="press-0001-abcdef")
    assert (status, taken) == (201, [True])
    # When it sends the same request again, and then a new press
    again = await post({"service": juminhyo.pk}, request_key="press-0001-abcdef")
    other = await post({"service": juminhyo.pk}, request_key="press-0002-abcdef")
    # Then the retry gets the same ticket, the new press the next number
    assert again[0] == other[0] == 201
    assert (again[1]["id"], again[1]["ticket"], again[1]["token"]) == (
        first["id"], first["ticket"], first["token"])
    assert (first["ticket"], other[1]["ticket"]) == ("A001", "A002")
    assert await sync_to_async(Ticket.objects.count)() == 2
    assert await sync_to_async(TicketEvent.objects.filter(action="issued").count)() == 2


async def test_the_same_request_sent_eight_times_at_once_issues_one_ticket(postgres, office, taken):
    # (PostgreSQL: the test's in-memory SQLite locks whole tables between connections.)
    juminhyo = await sync_to_async(service)("juminhyo")
    answers = await asyncio.gather(*[
        post({"service": juminhyo.pk}, request_key="press-at-once-0001") for _ in range(8)])
    assert {status for status, _, _ in answers} == {201}
    assert len({body["id"] for _, body, _ in answers}) == 1
    assert await sync_to_async(Ticket.objects.count)() == 1
    assert True in taken  # one of them was issued on the lean path
    # The numbers stay gap-free: the tries that lost took no number.
    status, body, _ = await post({"service": juminhyo.pk})
    assert (status, body["ticket"]) == (201, "A002")


async def test_a_request_key_that_is_not_one_is_refused_without_echo(office, taken):
    juminhyo = await sync_to_async(service)("juminhyo")
    status, body, _ = await post({"service": juminhyo.pk}, request_key="<not a key>")
    assert (status, body["code"]) == (400, "bad_idempotency_key")
    assert "not a key" not in body["detail"]
    assert taken == []
    assert await sync_to_async(Ticket.objects.count)() == 0


async def test_a_service_with_a_daily_cap_is_issued_by_djangos_path_up_to_its_cap(
        postgres, office, taken):
    # (The event loop's path is PostgreSQL's; on SQLite the worker thread counts the cap.)
    # Given a service that gives out two tickets a day (its count needs a lock: Django's path)
    juminhyo = await sync_to_async(service)("juminhyo")
    await sync_to_async(Service.objects.filter(pk=juminhyo.pk).update)(daily_ticket_cap=2)
    # When a kiosk presses three times
    answers = [await post({"service": juminhyo.pk}) for _ in range(3)]
    # Then two tickets, then the refusal saying so; none of them on the lean path
    assert [status for status, _, _ in answers] == [201, 201, 409]
    assert answers[2][1]["code"] == "service_sold_out"
    assert taken == [False, False, False]
    assert await sync_to_async(Ticket.objects.count)() == 2


async def test_the_lean_path_reads_the_calendar_once_then_from_memory(
        postgres, office, taken, monkeypatch):
    # Given a process that has not read the office calendar yet
    reads = []
    original = hours.office_calendar

    def counted(**kwargs):
        reads.append(kwargs["office_id"])
        return original(**kwargs)

    monkeypatch.setattr(hours, "office_calendar", counted)
    juminhyo = await sync_to_async(service)("juminhyo")
    # When a kiosk presses twice
    first, second = await post({"service": juminhyo.pk}), await post({"service": juminhyo.pk})
    # Then both are issued on the lean path and the calendar was read once, for the first
    assert (first[0], second[0], taken) == (201, 201, [True, True])
    assert reads == [office.pk]
