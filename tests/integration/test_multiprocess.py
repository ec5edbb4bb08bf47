"""Live updates across real daphne processes sharing PostgreSQL and Redis.

Each test starts its own redis-server on a free port (one of them stops it to
prove the outage path, and a server of its own hears no other run's events),
and stops it by its process id. The Redis in REDIS_URL is only checked to be
reachable, so these tests skip or fail like every other service test.
"""

import json
import shutil
import subprocess
import time

import httpx
import pytest
from websockets.sync.client import connect

from bench.servers import ServerGroup, free_port

pytestmark = pytest.mark.integration
# The Redis channel of office 1's group for a REDIS_URL ending in /0 (config/settings.py).
OFFICE_1_CHANNEL = "asgi.db0__group__office.1"
ORIGIN = "http://127.0.0.1"
TOKEN_SCRIPT = (
    "from rest_framework.authtoken.models import Token;"
    "from django.contrib.auth.models import User;"
    "print(Token.objects.get_or_create(user=User.objects.get(username='municipal'))[0].key)"
)


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cli(self, *args: str) -> str:
        result = subprocess.run(["redis-cli", "-p", str(self.port), *args],
                                capture_output=True, text=True)
        return result.stdout.strip()


@pytest.fixture
def private_redis(redis_url):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def _display(base: str):
    ws = connect(base.replace("http://", "ws://") + "/ws/display/demo-display-key/",
                 origin=ORIGIN, open_timeout=10)
    first = json.loads(ws.recv(timeout=10))
    assert first["type"] == "snapshot"
    return ws, first


def _next_frame(ws, until, timeout: float = 10) -> dict:
    """The next frame the display is pushed for which ``until(frame)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if until(message):
            return message


def _next_call(ws, timeout: float = 10) -> dict:
    return _next_frame(ws, lambda m: m["type"] == "board" and m["announce"], timeout)


def _clients(group: ServerGroup):
    token = group.manage("shell", "-c", TOKEN_SCRIPT).stdout.strip().splitlines()[-1]
    staff = httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=20)
    kiosk = httpx.Client(headers={"Authorization": "Device demo-kiosk-key"}, timeout=20)
    return staff, kiosk


def _service_id(group: ServerGroup, code: str) -> int:
    out = group.manage("shell", "-c", (
        "from queueing.models import Service;"
        f"print(Service.objects.get(office__code='demo', code='{code}').id)"))
    return int(out.stdout.strip().splitlines()[-1])


def test_call_through_one_process_reaches_displays_on_both(database_url, private_redis):
    with ServerGroup(processes=2, database_url=database_url, redis_url=private_redis.url) as group:
        staff, kiosk = _clients(group)
        service = _service_id(group, "juminhyo")
        issued = kiosk.post(f"{group.urls[1]}/api/v1/tickets/", json={"service": service})
        assert issued.status_code == 201, issued.text
        display_a, snap_a = _display(group.urls[0])
        display_b, snap_b = _display(group.urls[1])

        called = staff.post(f"{group.urls[0]}/api/v1/counters/1/call-next/")
        assert called.status_code == 200, called.text
        ticket = called.json()["ticket"]

        for ws, snap in ((display_a, snap_a), (display_b, snap_b)):
            message = _next_call(ws)
            assert message["announce"] == {"ticket": ticket["ticket"], "counter": 1}
            assert message["version"] == ticket["version"] > snap["version"]
            ws.close()


def test_redis_down_tickets_still_flow_and_displays_resync_when_it_is_back(
    database_url, private_redis
):
    with ServerGroup(processes=2, database_url=database_url, redis_url=private_redis.url) as group:
        staff, kiosk = _clients(group)
        service = _service_id(group, "juminhyo")
        for _ in range(3):
            assert kiosk.post(f"{group.url}/api/v1/tickets/", json={"service": service}
                              ).status_code == 201
        display_a, _ = _display(group.urls[0])
        display_b, _ = _display(group.urls[1])
        first = staff.post(f"{group.urls[0]}/api/v1/counters/1/call-next/").json()["ticket"]
        seen = {id(ws): _next_call(ws)["version"] for ws in (display_a, display_b)}

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
            message = _next_call(ws)
            assert message["version"] > seen[id(ws)] + 1  # events were lost meanwhile...
            # ...and the board reads the office again by itself, without the page asking.
            _next_frame(ws, lambda m: {c["ticket"] for c in m["data"]["calling"]} == both)
            ws.send(json.dumps({"type": "resync"}))
            while (snapshot := json.loads(ws.recv(timeout=10)))["type"] != "snapshot":
                pass
            assert {c["ticket"] for c in snapshot["data"]["calling"]} == both
            ws.close()
