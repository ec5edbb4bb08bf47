"""Live updates across real server processes sharing PostgreSQL and Redis.

Each test starts its own redis-server on a free port (one of them stops it to
prove the outage path, and a server of its own hears no other run's events),
and stops it by its process id. The Redis in REDIS_URL is only checked to be
reachable, so these tests skip or fail like every other service test.
"""

import json
import time

import pytest

from bench.servers import ServerGroup
from tests.integration.screens import api_clients, next_call, next_frame, open_display, service_id

pytestmark = pytest.mark.integration
# The Redis channel of office 1's group for a REDIS_URL ending in /0 (config/settings.py).
OFFICE_1_CHANNEL = "asgi.db0__group__office.1"


def test_call_through_one_process_reaches_displays_on_both(database_url, private_redis):
    with ServerGroup(processes=2, database_url=database_url, redis_url=private_redis.url) as group:
        staff, kiosk = api_clients(group)
        service = service_id(group, "juminhyo")
        issued = kiosk.post(f"{group.urls[1]}/api/v1/tickets/", json={"service": service})
        assert issued.status_code == 201, issued.text
        display_a, snap_a = open_display(group.urls[0])
        display_b, snap_b = open_display(group.urls[1])

        called = staff.post(f"{group.urls[0]}/api/v1/counters/1/call-next/")
        assert called.status_code == 200, called.text
        ticket = called.json()["ticket"]

        for ws, snap in ((display_a, snap_a), (display_b, snap_b)):
            message = next_call(ws)
            assert message["announce"] == {"ticket": ticket["ticket"], "counter": 1}
            assert message["version"] == ticket["version"] > snap["version"]
            ws.close()


def test_redis_down_tickets_still_flow_and_displays_resync_when_it_is_back(
    database_url, private_redis
):
    with ServerGroup(processes=2, database_url=database_url, redis_url=private_redis.url) as group:
        staff, kiosk = api_clients(group)
        service = service_id(group, "juminhyo")
        for _ in range(3):
            assert kiosk.post(f"{group.url}/api/v1/tickets/", json={"service": service}
                              ).status_code == 201
        display_a, _ = open_display(group.urls[0])
        display_b, _ = open_display(group.urls[1])
        first = staff.post(f"{group.urls[0]}/api/v1/counters/1/call-next/").json()["ticket"]
        seen = {id(ws): next_call(ws)["version"] for ws in (display_a, display_b)}

        private_redis.stop()
        # The database is the truth: issuing and calling still work without Redis.
        issued = kiosk.post(f"{group.urls[1]}/api/v1/tickets/", json={"service": service})
        assert issued.status_code == 201, group.log_text()[-3000:]
        lost = staff.post(f"{group.urls[1]}/api/v1/counters/2/call-next/")
        assert lost.status_code == 200, lost.text
        lost = lost.json()["ticket"]

        private_redis.start()
        # Each process's layer reconnects and subscribes again to the office group.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            numsub = private_redis.cli("PUBSUB", "NUMSUB", OFFICE_1_CHANNEL).split()
            if len(numsub) == 2 and int(numsub[1]) >= 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the processes did not subscribe again: {numsub}\n{group.log_text()}")

        done = staff.post(f"{group.urls[0]}/api/v1/counters/1/tickets/{first['id']}/complete/")
        assert done.status_code == 200, done.text
        third = staff.post(f"{group.urls[0]}/api/v1/counters/1/call-next/")
        assert third.status_code == 200, third.text
        third = third.json()["ticket"]
        both = {lost["ticket"], third["ticket"]}
        for ws in (display_a, display_b):  # the same sockets, open through the outage
            message = next_call(ws)
            assert message["version"] > seen[id(ws)] + 1  # events were lost meanwhile...
            # ...and the board reads the office again by itself, without the page asking
            # (during the outage it reads the database every few seconds, so the frame of
            # the call may already show both; link frames carry no board).
            def shows_both(m):
                return m["type"] == "board" and {
                    c["ticket"] for c in m["data"]["calling"]} == both

            if not shows_both(message):
                next_frame(ws, shows_both)
            ws.send(json.dumps({"type": "resync"}))
            while (snapshot := json.loads(ws.recv(timeout=10)))["type"] != "snapshot":
                pass
            assert {c["ticket"] for c in snapshot["data"]["calling"]} == both
            ws.close()
