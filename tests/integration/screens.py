"""Clients of real server processes for the multi-process and fault tests: a lobby display's
and a status page's socket, the staff and kiosk API clients, the frames a screen is pushed.
"""

import json
import time

import httpx
from websockets.sync.client import connect

from bench.screens import ScreenState
from bench.servers import ServerGroup

ORIGIN = "http://127.0.0.1"
DISPLAY_PATH = "/ws/display/demo-display-key/"
TOKEN_SCRIPT = (
    "from rest_framework.authtoken.models import Token;"
    "from django.contrib.auth.models import User;"
    "print(Token.objects.get_or_create(user=User.objects.get(username='{user}'))[0].key)"
)


def open_socket(base: str, path: str):
    """A socket of a live screen and the snapshot it starts with."""
    ws = connect(base.replace("http://", "ws://") + path, origin=ORIGIN, open_timeout=10)
    first = json.loads(ws.recv(timeout=10))
    assert first["type"] == "snapshot", first
    return ws, first


def open_display(base: str):
    """The demo lobby display's socket on that server, and its first snapshot."""
    return open_socket(base, DISPLAY_PATH)


def next_frame(ws, until, timeout: float = 10) -> dict:
    """The next frame the screen is pushed for which ``until(frame)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if until(message):
            return message


def next_call(ws, timeout: float = 10) -> dict:
    """The next board frame that calls out a ticket."""
    return next_frame(ws, lambda m: m["type"] == "board" and m["announce"], timeout)


def api_clients(group: ServerGroup, user: str = "municipal"):
    """An API client with the user's token, and one with the demo kiosk's device key."""
    token = group.manage("shell", "-c", TOKEN_SCRIPT.format(user=user)
                         ).stdout.strip().splitlines()[-1]
    staff = httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=20)
    kiosk = httpx.Client(headers={"Authorization": "Device demo-kiosk-key"}, timeout=20)
    return staff, kiosk


def service_id(group: ServerGroup, code: str) -> int:
    """The id of the demo office's service with that code."""
    out = group.manage("shell", "-c", (
        "from queueing.models import Service;"
        f"print(Service.objects.get(office__code='demo', code='{code}').id)"))
    return int(out.stdout.strip().splitlines()[-1])


class Screen(ScreenState):
    """A live screen's socket that remembers what it shows (``ScreenState``: the state of its
    last snapshot, board or status frame, and whether the server last said its events
    reach it)."""

    def __init__(self, base: str, path: str):
        self.ws, first = open_socket(base, path)
        super().__init__(first)

    def next(self, until, timeout: float = 10) -> dict:
        """The next frame for which ``until(frame)`` holds (every frame read is noted)."""
        return next_frame(self.ws, lambda m: self.note(m) or until(m), timeout)

    def shows(self, truth, deadline: float, part=lambda state: state) -> None:
        """Wait until the state shown now (after every frame already sent) equals
        ``truth()`` (in ``part`` of it); fail at ``deadline`` with both."""
        while True:
            self._drain()
            if part(self.state) == part(expected := truth()):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the screen shows {self.state}, the database {expected}")
            try:
                self.next(lambda m: m["type"] in self.STATES, timeout=min(left, 1.0))
            except TimeoutError:
                continue

    def _drain(self) -> None:
        while True:
            try:
                self.note(json.loads(self.ws.recv(timeout=0.05)))
            except TimeoutError:
                return

    def close(self) -> None:
        """Close the socket."""
        self.ws.close()
