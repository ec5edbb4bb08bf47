"""Every WebSocket route x every role and device, read from live/routing.py: who is let in,
who is refused with which close code. A route without a rule fails the first test."""

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from config.asgi import application
from demo.city_hall import DISPLAY_KEY
from live.routing import websocket_urlpatterns
from queueing import services
from queueing.models import Counter, Device, Office, Service, Ticket

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")
# contractor2: a contractor of another company, with no contract at the demo office.
ROLES = ["anonymous", "contractor", "contractor2", "municipal", "supervisor", "admin", "kiosk",
         "display", "revoked"]
STAFF = {"contractor", "contractor2", "municipal", "supervisor", "admin"}
RULES = {
    "ws/display/<str:key>/": {"display"},
    "ws/ticket/<str:token>/": set(ROLES),  # the token of today's ticket is the credential
    # counter 1 is outsourced: contractors of the company with the contract too
    "ws/counter/<id:counter_id>/": STAFF - {"contractor2"},
    "ws/dashboard/<id:office_id>/": {"supervisor", "admin"},
}


def test_every_socket_route_has_a_rule():
    assert {str(p.pattern) for p in websocket_urlpatterns} == set(RULES)


@database_sync_to_async
def world() -> dict:
    office = Office.objects.get(code="demo")
    revoked = services.device_create(office=office, type=Device.Type.DISPLAY, name="old",
                                     by=None)
    services.device_revoke(device=revoked, by=None)
    ticket = services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    cookies = {}
    for role in STAFF:
        client = Client()
        client.force_login(User.objects.get(username=role))
        cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"office_id": office.pk, "counter_id": Counter.objects.get(office=office,
                                                                     number=1).pk,
            "token": ticket.token, "cookies": cookies, "revoked": revoked.key}


def path_for(route: str, w: dict, role: str) -> str:
    key = {"display": DISPLAY_KEY, "kiosk": "demo-kiosk-key", "revoked": w["revoked"]}.get(
        role, "no-such-key")
    return "/" + (route.replace("<str:key>", key).replace("<str:token>", w["token"])
                  .replace("<id:counter_id>", str(w["counter_id"]))
                  .replace("<id:office_id>", str(w["office_id"])))


async def attempt(path: str, cookie: str | None) -> str:
    headers = [ORIGIN]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect()
    assert connected
    first = await comm.receive_output(timeout=5)
    await comm.disconnect()
    if first["type"] == "websocket.close":
        return f"refused {first['code']}"
    return "in"


async def test_each_role_gets_in_exactly_where_its_rule_says(office):
    w = await world()
    wrong = []
    for role in ROLES:
        for pattern in websocket_urlpatterns:
            route = str(pattern.pattern)
            got = await attempt(path_for(route, w, role), w["cookies"].get(role))
            want = "in" if role in RULES[route] else "refused"
            if not got.startswith(want) or (want == "refused" and got[-4:] not in (
                    "4401", "4403", "4404")):
                wrong.append(f"{role} {route}: {got}, rule says {want}")
    assert not wrong, "\n".join(wrong)


@database_sync_to_async
def yesterdays_ticket() -> Ticket:
    ticket = services.ticket_issue(service=Service.objects.get(code="juminhyo"))
    Ticket.objects.filter(pk=ticket.pk).update(
        business_day=ticket.business_day - datetime.timedelta(days=1))
    return ticket


async def test_a_status_link_is_valid_for_its_business_day_only_in_page_api_and_socket(office):
    today = await database_sync_to_async(services.ticket_issue)(
        service=await database_sync_to_async(Service.objects.get)(code="juminhyo"))
    old = await yesterdays_ticket()
    client = Client()
    get = database_sync_to_async(client.get)
    for ticket, page, api, socket in (
            (today, 200, 200, "in"), (old, 404, 404, "refused 4404")):
        assert (await get(f"/t/{ticket.token}/")).status_code == page
        response = await get(f"/api/v1/tickets/status/{ticket.token}/")
        assert response.status_code == api
        if api == 404:
            assert response.json()["code"] == "not_found"
        assert await attempt(f"/ws/ticket/{ticket.token}/", None) == socket


async def test_a_staff_socket_closes_when_its_session_ends(office, monkeypatch):
    from django.contrib.sessions.models import Session

    from live import consumers

    monkeypatch.setattr(consumers, "SESSION_CHECK_SECONDS", 0.2)
    w = await world()
    comm = WebsocketCommunicator(application, f"/ws/counter/{w['counter_id']}/", headers=[
        ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={w['cookies']['municipal']}"
                 .encode())])
    assert (await comm.connect())[0]
    assert (await comm.receive_json_from(timeout=5))["type"] == "snapshot"
    # Idle past STAFF_IDLE_MINUTES: the session store lets it go.
    await database_sync_to_async(
        Session.objects.filter(session_key=w["cookies"]["municipal"]).delete)()
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}
