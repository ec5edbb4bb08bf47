"""The live sockets, driven through the real ASGI application (origin check, auth, routing).

Given the demo city hall, when tickets are issued and called through the
services, then each socket receives what its screen shows, in version order.
"""

import asyncio
import datetime
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from config.asgi import application
from demo.city_hall import DISPLAY_KEY
from live import consumers, hub
from queueing import events, services
from queueing.models import Counter, Device, Service, Ticket

ORIGIN = [(b"origin", b"http://localhost")]
pytestmark = pytest.mark.django_db(transaction=True)


async def connect(path: str, headers=None) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, path, headers=headers or ORIGIN)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def receive(comm: WebsocketCommunicator, timeout: float = 3) -> dict:
    return await comm.receive_json_from(timeout=timeout)


async def receive_until(comm, kind: str, timeout: float = 5) -> dict:
    """The next message of a type, skipping others."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await receive(comm, max(0.1, deadline - asyncio.get_running_loop().time()))
        if message["type"] == kind:
            return message


@database_sync_to_async
def issue(code: str = "juminhyo", language: str = "ja") -> Ticket:
    return services.ticket_issue(service=Service.objects.get(code=code), language=language)


@database_sync_to_async
def call_next(counter_number: int = 1, username: str = "municipal") -> Ticket:
    return services.ticket_call_next(
        counter=Counter.objects.get(number=counter_number), by=User.objects.get(username=username)
    )


@database_sync_to_async
def open_counters(*numbers: int) -> None:
    """Open counters first, so that a call is one event (calling a closed counter opens it)."""
    staff = User.objects.get(username="municipal")
    for number in numbers:
        services.counter_set_status(counter=Counter.objects.get(number=number), by=staff,
                                    status="open")


@database_sync_to_async
def complete(ticket: Ticket, counter_number: int = 1) -> Ticket:
    return services.ticket_complete(
        ticket=ticket, counter=Counter.objects.get(number=counter_number),
        by=User.objects.get(username="municipal"),
    )


async def test_display_gets_snapshot_on_connect(office):
    ticket = await issue()
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    message = await receive(comm)
    assert message["type"] == "snapshot"
    assert message["version"] >= 1
    juminhyo = next(s for s in message["data"]["services"] if s["service_id"] == ticket.service_id)
    assert juminhyo["waiting"] == 1
    await comm.disconnect()


async def test_call_reaches_display_as_its_new_board_with_the_counts(office):
    await open_counters(1, 2)
    await issue()
    await issue()
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    snapshot = await receive(comm)
    called = await call_next(counter_number=2)
    frame = await receive(comm)
    assert (frame["type"], frame["version"], frame["prev"]) == (
        "board", snapshot["version"] + 1, snapshot["version"])
    assert frame["announce"] == {"ticket": called.display_number, "counter": 2}
    assert [(c["ticket"], c["counter"]) for c in frame["data"]["calling"]] == [
        (called.display_number, 2)]
    juminhyo = next(s for s in frame["data"]["services"] if s["service_id"] == called.service_id)
    assert juminhyo["waiting"] == 1  # the count moves with the call, not after it
    await comm.disconnect()


async def test_lost_event_is_repaired_by_the_board_without_the_client_asking(office, monkeypatch):
    await open_counters(1, 2)
    await issue()
    await issue()
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    snapshot = await receive(comm)
    real_send = events._send
    monkeypatch.setattr(events, "_send", lambda group, message: None)  # the layer loses one
    first = await call_next(counter_number=1)
    monkeypatch.setattr(events, "_send", real_send)
    second = await call_next(counter_number=2)

    frame = await receive(comm)
    assert frame["version"] == snapshot["version"] + 2  # the board saw the gap...
    both = {(first.display_number, 1), (second.display_number, 2)}
    while {(c["ticket"], c["counter"]) for c in frame["data"]["calling"]} != both:
        frame = await receive(comm, timeout=5)  # ...and read the office again
    await comm.send_json_to({"type": "resync"})
    fresh = await receive_until(comm, "snapshot")
    assert {(c["ticket"], c["counter"]) for c in fresh["data"]["calling"]} == both
    await comm.disconnect()


async def test_sockets_of_a_process_share_one_board_and_leave_it_cleanly(office):
    first = await connect(f"/ws/display/{DISPLAY_KEY}/")
    second = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive(first)
    await receive(second)
    group = events.office_group(office.id)
    assert hub.hub().members(group) == 1  # one display board for both

    await first.disconnect()
    ticket = await issue()
    frame = await receive(second)
    assert frame["data"]["services"][0]["waiting"] == 1, ticket
    await second.disconnect()
    assert hub.hub().members(group) == 0


async def test_displays_of_a_process_share_one_read_per_change(office, monkeypatch):
    await open_counters(1, 2)
    from queueing import selectors as queue_selectors

    reads = []
    real = queue_selectors.office_snapshot

    def counted(**kwargs):
        reads.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(queue_selectors, "office_snapshot", counted)
    await issue()
    displays = [await connect(f"/ws/display/{DISPLAY_KEY}/") for _ in range(3)]
    first = [await receive(comm) for comm in displays]
    assert all(f["data"] == first[0]["data"] for f in first)
    assert len(reads) == 1

    called = await call_next(counter_number=1)
    for comm in displays:  # the call needs no read: it is applied to the board
        assert (await receive(comm))["announce"]["ticket"] == called.display_number
    await asyncio.sleep(0.5)
    assert len(reads) <= 2  # at most one more, for the estimates, shared by all three
    for comm in displays:
        await comm.disconnect()


async def test_event_committed_while_the_first_read_runs_is_in_the_snapshot(office,
                                                                            monkeypatch):
    import threading

    from queueing import selectors as queue_selectors

    await issue()
    gate = threading.Event()
    real = queue_selectors.office_snapshot

    def slow(**kwargs):
        data = real(**kwargs)
        gate.wait(5)  # the call below commits and reaches the hub meanwhile
        return data

    monkeypatch.setattr(queue_selectors, "office_snapshot", slow)
    comm = WebsocketCommunicator(application, f"/ws/display/{DISPLAY_KEY}/", headers=ORIGIN)
    connecting = asyncio.create_task(comm.connect())
    while hub.hub().members(events.office_group(office.id)) == 0:
        await asyncio.sleep(0.01)
    # Another thread than the read's (database_sync_to_async runs one thread at a time).
    called = await asyncio.to_thread(call_next.func, counter_number=1)
    await asyncio.sleep(0.3)
    gate.set()
    assert (await connecting)[0]
    snapshot = await receive(comm)
    assert snapshot["type"] == "snapshot" and snapshot["version"] == called.event_version
    assert [c["ticket"] for c in snapshot["data"]["calling"]] == [called.display_number]
    await comm.disconnect()


async def test_resync_requests_in_a_burst_cost_one_snapshot_a_second(office):
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive(comm)
    for _ in range(20):
        await comm.send_json_to({"type": "resync"})
    await receive_until(comm, "snapshot", timeout=3)
    assert await comm.receive_nothing(timeout=1.5)  # the other 19 folded into that one
    await comm.disconnect()


@pytest.mark.parametrize("key", ["no-such-key", "revoked", "kiosk"])
async def test_bad_display_key_is_refused_with_4403(office, key):
    if key == "revoked":
        await database_sync_to_async(Device.objects.filter(key=DISPLAY_KEY).update)(revoked=True)
        key = DISPLAY_KEY
    elif key == "kiosk":
        key = "demo-kiosk-key"  # a kiosk's key is not a display's
    comm = await connect(f"/ws/display/{key}/")
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


async def test_foreign_origin_is_refused(office):
    comm = WebsocketCommunicator(
        application, f"/ws/display/{DISPLAY_KEY}/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await comm.connect()
    assert not connected


async def test_unknown_ticket_token_is_refused_with_4404(office):
    comm = await connect("/ws/ticket/not-a-token/")
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4404}


async def test_yesterdays_ticket_token_is_refused_with_4404(office):
    import datetime

    old = await issue()
    await database_sync_to_async(Ticket.objects.filter(pk=old.pk).update)(
        business_day=old.business_day - datetime.timedelta(days=1))
    comm = await connect(f"/ws/ticket/{old.token}/")
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4404}


async def test_ticket_socket_gets_status_when_its_place_changes(office):
    before = await issue()
    mine = await issue()
    comm = await connect(f"/ws/ticket/{mine.token}/")
    snapshot = await receive(comm)
    assert snapshot["type"] == "snapshot"
    assert snapshot["data"]["ticket"] == mine.display_number
    assert snapshot["data"]["people_ahead"] == 1

    called = await call_next(counter_number=1)
    assert called.id == before.id
    # Another ticket's call is not forwarded; it only moves this one up.
    status = await receive(comm)
    assert status["type"] == "status" and status["data"]["people_ahead"] == 0

    await complete(called)  # at a counter, not in the line: nothing for this page
    if not await comm.receive_nothing(timeout=0.6):
        raise AssertionError(await receive(comm))
    await call_next(counter_number=1)  # now mine
    event = await receive_until(comm, "event")
    assert event["event"]["ticket_id"] == mine.id and event["event"]["action"] == "called"
    status = await receive_until(comm, "status")
    assert status["data"]["status"] == "called" and status["data"]["counter"] == 1
    await comm.disconnect()


async def test_ticket_socket_status_is_coalesced_in_a_burst(office):
    mine = await issue()
    comm = await connect(f"/ws/ticket/{mine.token}/")
    await receive(comm)
    for _ in range(5):  # residents who need assistance go ahead of mine, one by one
        await database_sync_to_async(services.ticket_issue)(
            service=mine.service, priority=Ticket.Priority.ASSISTANCE)
    messages = []
    while not await comm.receive_nothing(timeout=2.5):
        messages.append(await receive(comm))
    kinds = [m["type"] for m in messages]
    assert kinds.count("event") == 0  # other tickets' events are not forwarded
    assert 1 <= kinds.count("status") <= 2  # five events, at most one query a second
    assert messages[-1]["data"]["people_ahead"] == 5


async def test_a_ticket_socket_whose_own_event_was_lost_gets_its_status_at_the_next_gap(
        office, monkeypatch):
    """The Redis layer loses what is published while it reconnects, quicker than the hub's
    probe notices: the next event's version shows the gap, and the page reads its status."""
    mine = await issue()
    comm = await connect(f"/ws/ticket/{mine.token}/")
    await receive(comm)
    await open_counters(1)
    await receive_nothing_for_a_moment(comm)
    send = events._send
    monkeypatch.setattr(events, "_send", lambda group, message: None)  # lost on the way
    await call_next(counter_number=1)  # mine
    monkeypatch.setattr(events, "_send", send)
    await issue("inkan")  # another service's line: nothing this page shows, but a gap
    status = await receive_until(comm, "status")
    assert status["data"]["status"] == "called" and status["data"]["counter"] == 1
    await comm.disconnect()


async def receive_nothing_for_a_moment(comm) -> None:
    """Drop what the socket was sent until it is quiet."""
    while not await comm.receive_nothing(timeout=0.5):
        await receive(comm)


async def test_ticket_socket_gets_no_status_when_nothing_it_shows_changed(office):
    mine = await issue()
    comm = await connect(f"/ws/ticket/{mine.token}/")
    await receive(comm)
    for _ in range(3):
        await issue()  # behind mine, and no counter open: place and estimate stay
    assert await comm.receive_nothing(timeout=1.5)
    await comm.disconnect()


async def test_counter_socket_refuses_anonymous_with_4401(office):
    comm = await connect(f"/ws/counter/{(await counter_id(1))}/")
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}


@database_sync_to_async
def counter_id(number: int) -> int:
    return Counter.objects.get(number=number).id


async def _staff_comm(consumer, kwargs: dict, user: User) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(consumer.as_asgi(), "/ws/", headers=ORIGIN)
    comm.scope["user"] = user
    comm.scope["url_route"] = {"kwargs": kwargs}
    connected, _ = await comm.connect()
    assert connected
    return comm


async def test_counter_socket_refuses_user_without_role_with_4403(office):
    nobody = await database_sync_to_async(User.objects.create_user)("nobody", password="x" * 12)
    comm = await _staff_comm(consumers.CounterConsumer, {"counter_id": await counter_id(1)},
                             nobody)
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


async def test_contractor_cannot_watch_a_staff_only_counter(office):
    user = await database_sync_to_async(User.objects.get)(username="contractor")
    comm = await _staff_comm(consumers.CounterConsumer, {"counter_id": await counter_id(6)},
                             user)
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


async def test_counter_socket_gets_its_view_and_each_change_pushed(office):
    user = await database_sync_to_async(User.objects.get)(username="contractor")
    comm = await _staff_comm(consumers.CounterConsumer, {"counter_id": await counter_id(1)},
                             user)
    snapshot = await receive(comm)
    assert snapshot["type"] == "snapshot" and snapshot["data"]["waiting"] == []
    ticket = await issue()
    frame = await receive_until(comm, "board")
    assert [t["ticket"] for t in frame["data"]["waiting"]] == [ticket.display_number]
    assert frame["prev"] == snapshot["version"] and frame["version"] > snapshot["version"]
    await call_next(counter_number=1, username="contractor")
    frame = await receive_until(comm, "board")
    assert frame["data"]["current"]["ticket"] == ticket.display_number
    assert frame["data"]["waiting"] == []
    await comm.disconnect()


async def test_counter_socket_ignores_services_the_counter_does_not_serve(office):
    user = await database_sync_to_async(User.objects.get)(username="contractor")
    comm = await _staff_comm(consumers.CounterConsumer, {"counter_id": await counter_id(1)},
                             user)
    await receive(comm)
    await issue(code="tennyu")  # counter 1 serves certificates, not 転入届
    assert await comm.receive_nothing(timeout=0.6)
    await comm.disconnect()


async def test_dashboard_socket_is_for_supervisors_only(office):
    user = await database_sync_to_async(User.objects.get)(username="municipal")
    comm = await _staff_comm(consumers.DashboardConsumer, {"office_id": office.id}, user)
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


async def test_dashboard_socket_pushes_the_rendered_figures(office):
    user = await database_sync_to_async(User.objects.get)(username="supervisor")
    comm = await _staff_comm(consumers.DashboardConsumer, {"office_id": office.id}, user)
    snapshot = await receive(comm)
    assert "住民票の写し" in snapshot["data"]["html"]
    await issue()
    frame = await receive_until(comm, "board", timeout=5)
    assert frame["version"] > snapshot["version"] and "<table>" in frame["data"]["html"]
    await comm.disconnect()


async def test_unknown_client_message_gets_clear_error(office):
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive(comm)
    await comm.send_to(text_data="not json")
    error = await receive(comm)
    assert error["type"] == "error" and error["code"] == "unknown_message"
    await comm.disconnect()


async def test_display_stays_subscribed_past_group_expiry(office, settings, monkeypatch):
    from channels.layers import InMemoryChannelLayer, channel_layers

    layer = InMemoryChannelLayer(group_expiry=1)  # the in-memory layer forgets groups after 1 s
    monkeypatch.setitem(channel_layers.backends, "default", layer)
    monkeypatch.setattr(hub, "GROUP_REFRESH_SECONDS", 0.3)
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive(comm)
    await asyncio.sleep(2.5)  # well past the layer's expiry
    await issue()
    frame = await receive(comm)
    assert frame["type"] == "board" and frame["data"]["services"][0]["waiting"] == 1
    await comm.disconnect()


# --- no personal data ---------------------------------------------------------------------


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    else:
        yield str(value)


async def test_display_and_status_payloads_hold_no_personal_data(office):
    @database_sync_to_async
    def secrets_of_the_day():
        staff = User.objects.get(username="municipal")
        staff.email = "hanako@city.example.jp"
        staff.save()
        return staff

    staff = await secrets_of_the_day()
    other = await issue(code="tennyu")
    await database_sync_to_async(Ticket.objects.filter(pk=other.pk).update)(
        booking_reference="BK-SECRET-77")
    mine = await issue(code="tennyu")
    display = await connect(f"/ws/display/{DISPLAY_KEY}/")
    status = await connect(f"/ws/ticket/{mine.token}/")
    staff_user = await database_sync_to_async(User.objects.get)(username="municipal")
    payloads = [await receive(display), await receive(status)]
    await call_next(counter_number=3, username="municipal")
    payloads.append(await receive_until(display, "board"))
    payloads.append(await receive_until(status, "status"))
    await display.disconnect()
    await status.disconnect()

    text = json.dumps(payloads, ensure_ascii=False)
    forbidden = [staff.username, staff.first_name, staff.last_name, staff.email,
                 staff_user.get_full_name(), "BK-SECRET-77", other.token, mine.token]
    for secret in forbidden:
        assert secret and secret not in text, secret
    keys = set()
    for p in payloads:
        keys.update(k for k in _strings(p) if k in {"token", "booking_reference", "actor",
                                                     "email", "username", "first_name"})
    assert keys == set()


async def test_revoking_a_display_key_closes_its_open_socket_within_seconds(office):
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive_until(comm, "snapshot")
    device = await database_sync_to_async(Device.objects.get)(key=DISPLAY_KEY)
    await database_sync_to_async(services.device_revoke)(device=device, by=None)
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


async def test_a_revocation_whose_event_was_lost_still_closes_the_socket(office, monkeypatch):
    monkeypatch.setattr(events, "_send", lambda group, message: None)  # the layer lost it
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive_until(comm, "snapshot")
    device = await database_sync_to_async(Device.objects.get)(key=DISPLAY_KEY)
    await database_sync_to_async(services.device_revoke)(device=device, by=None)
    assert await comm.receive_nothing(timeout=0.5)
    board = next(iter(hub.loop_state()["boards"].values()))
    await board.periodic()  # what the board's minute loop runs
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}


async def test_frames_too_large_or_too_deep_get_a_clear_error(office):
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive(comm)
    for text in ("[" * 3000 + "]" * 3000, json.dumps({"type": "resync", "pad": "x" * 10000})):
        await comm.send_to(text_data=text)
        error = await receive(comm)
        assert error["type"] == "error" and error["code"] == "unknown_message"
    await comm.disconnect()


# --- counter presence over the console's socket ---------------------------------------


@database_sync_to_async
def _session_for(username: str):
    """A saved session signing the user in, as the browser's cookie would carry."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY

    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY], store[HASH_SESSION_KEY] = str(user.pk), user.get_session_auth_hash()
    store.save()
    return user, store


async def _console(username: str, number: int):
    user, session = await _session_for(username)
    comm = WebsocketCommunicator(consumers.CounterConsumer.as_asgi(), "/ws/", headers=ORIGIN)
    comm.scope.update(user=user, session=session,
                      url_route={"kwargs": {"counter_id": await counter_id(number)}})
    connected, _ = await comm.connect()
    assert connected
    await receive_until(comm, "snapshot")
    return comm, user, session


@database_sync_to_async
def _counter(number: int) -> Counter:
    return Counter.objects.get(number=number)


@database_sync_to_async
def _presences(number: int) -> list[tuple]:
    from queueing.models import CounterPresence

    return list(CounterPresence.objects.filter(counter__number=number).order_by("id")
                .values_list("role", "left_reason", "seen_at"))


async def test_a_console_staffs_its_counter_and_closing_it_pauses_after_the_grace(office):
    # Given a contractor's console at counter 1, which then calls a resident
    comm, user, _ = await _console("contractor", 1)
    assert (await _counter(1)).staffed
    assert [(r, why) for r, why, _ in await _presences(1)] == [("contractor", "")]
    ticket = await issue()
    await call_next(counter_number=1, username="contractor")
    # When the console closes without signing out
    await comm.disconnect()
    # Then it still counts for the grace time (a reload), and after it the counter pauses
    # and the resident goes back to their place in line
    assert await database_sync_to_async(services.counter_presence_expire)() == []
    later = (await database_sync_to_async(lambda: Ticket.objects.get(pk=ticket.pk))()).called_at
    from django.utils import timezone

    expired = await database_sync_to_async(services.counter_presence_expire)(
        now=timezone.now() + datetime.timedelta(seconds=31))
    assert [c.number for c in expired] == [1]
    counter = await _counter(1)
    assert (counter.status, counter.staffed) == ("break", False)
    back = await database_sync_to_async(lambda: Ticket.objects.get(pk=ticket.pk))()
    assert (back.status, back.counter_id, later is not None) == ("waiting", None, True)


async def test_a_heartbeat_keeps_the_console_present(office):
    comm, _, _ = await _console("municipal", 6)
    [(_, _, seen)] = await _presences(6)
    await asyncio.sleep(0.05)
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_nothing(timeout=0.5)  # no error frame, the socket stays
    [(_, why, seen_again)] = await _presences(6)
    assert why == "" and seen_again > seen
    await comm.disconnect()


async def test_an_expired_session_closes_the_console_with_4401_and_pauses_at_once(office):
    comm, user, session = await _console("contractor", 1)
    await database_sync_to_async(services.counter_set_status)(
        counter=await _counter(1), by=user, status="open")
    await database_sync_to_async(session.delete)()  # the session expired (or signed out)
    await comm.send_json_to({"type": "heartbeat"})
    # The board frame of the opening may still be on its way (under load it comes after
    # the session is gone): the socket's next close is the answer.
    output = await comm.receive_output(timeout=3)
    while output["type"] == "websocket.send":
        output = await comm.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}
    counter = await _counter(1)
    assert (counter.status, counter.staffed) == ("break", False)
    assert ("contractor", "session_expired") in [(r, why) for r, why, _ in await _presences(1)]


async def test_a_swept_console_that_beats_again_is_present_again(office):
    from django.utils import timezone

    comm, _, _ = await _console("contractor", 2)
    # The laptop slept past the timeout: the sweep unstaffed the counter...
    await database_sync_to_async(services.counter_presence_expire)(
        now=timezone.now() + datetime.timedelta(minutes=6))
    assert not (await _counter(2)).staffed
    # ...and when it wakes, its next heartbeat makes it present again (still paused).
    await comm.send_json_to({"type": "heartbeat"})
    await asyncio.sleep(0.5)
    assert (await _counter(2)).staffed
    await comm.disconnect()


async def test_other_screens_may_send_heartbeats_too(office):
    comm = await connect(f"/ws/display/{DISPLAY_KEY}/")
    await receive(comm)
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()
