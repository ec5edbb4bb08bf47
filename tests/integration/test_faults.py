"""Faults a city hall's morning must survive, tried on real server processes and private
services (a redis-server and a PostgreSQL cluster of the test's own, on free ports; the
machine's own are never stopped).

- Redis down: tickets are still issued, called and completed; every screen is told it
  is reconnecting, and within 10 s of Redis returning shows exactly the database's state.
- A server process killed (SIGKILL) during calls: no ticket lost or duplicated; its
  displays reconnect to the other process and show the right state.
- PostgreSQL down: the API answers 503 ``{code: "unavailable"}``, pages a plain "please
  wait" in their language; everything works again when it returns, without a restart.

The outages are shorter than the issue's 30 s and 20 s so that each test stays under a
minute: ``REDIS_OUTAGE_SECONDS`` and ``POSTGRES_OUTAGE_SECONDS``. What they prove does not
depend on the length (the probes and retries run every second).
"""

import json
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from bench.servers import ServerGroup
from demo.city_hall import KIOSK_KEY
from live.boards import display_view
from tests.integration.screens import DISPLAY_PATH, Screen, api_clients, service_id

pytestmark = pytest.mark.integration

REDIS_OUTAGE_SECONDS = 15
TICKETS_SCRIPT = (
    "import json; from queueing.models import Ticket;"
    "print(json.dumps(list(Ticket.objects.values_list("
    "'id', 'prefix', 'number', 'request_key', 'status', 'counter__number'))))"
)
BACK_WITHIN_SECONDS = 10  # every screen shows the database's state this soon after


def _issue(kiosk, base: str, service: int) -> dict:
    answer = kiosk.post(f"{base}/api/v1/tickets/", json={"service": service})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _display_truth(staff, base: str, shown: set[int]) -> dict:
    """What the demo display must show now: the office snapshot read from the database."""
    answer = staff.get(f"{base}/api/v1/offices/1/snapshot/")
    assert answer.status_code == 200, answer.text
    snapshot = answer.json()
    return {"version": snapshot["version"], "data": display_view(snapshot, shown=shown)}


def _status_truth(base: str, token: str, client) -> dict:
    """What the ticket's status page must show now, read from the database."""
    answer = client.get(f"{base}/api/v1/tickets/status/{token}/")
    assert answer.status_code == 200, answer.text
    return {"version": answer.json()["version"], "data": answer.json()}


def _shown(snapshot: dict) -> set[int]:
    return {s["service_id"] for s in snapshot["data"]["services"]}


def _without_estimates(state: dict) -> dict:
    """A display's state but its wait estimates, which a burst of calls refreshes only every
    ``DisplayBoard.REREAD_INTERVAL`` seconds (live/boards.py)."""
    data = state["data"]
    return {"version": state["version"], "calling": data["calling"],
            "recent_calls": data["recent_calls"],
            "waiting": [(s["service_id"], s["waiting"]) for s in data["services"]]}


def _is_link(live: bool):
    return lambda m: m["type"] == "link" and m["live"] is live


def test_redis_down_for_a_while_tickets_flow_screens_say_so_then_show_the_database(
    database_url, private_redis
):
    with ServerGroup(processes=2, database_url=database_url, redis_url=private_redis.url) as group:
        staff, kiosk = api_clients(group, "contractor")
        service = service_id(group, "juminhyo")
        issued = [_issue(kiosk, group.urls[i % 2], service) for i in range(4)]
        displays = [Screen(url, DISPLAY_PATH) for url in group.urls]
        pages = [Screen(url, f"/ws/ticket/{issued[3 - i]['token']}/")
                 for i, url in enumerate(group.urls)]
        shown = _shown(displays[0].first)

        private_redis.stop()
        down_at = time.monotonic()
        for screen in displays + pages:  # each is told that events stopped: "reconnecting"
            screen.next(_is_link(False), timeout=8)

        # The database is the truth: the morning goes on through both processes.
        issued += [_issue(kiosk, group.urls[i % 2], service) for i in range(3)]
        called = []
        for counter, url in ((1, group.urls[0]), (2, group.urls[1])):
            answer = staff.post(f"{url}/api/v1/counters/{counter}/call-next/")
            assert answer.status_code == 200, answer.text
            called.append(answer.json()["ticket"])
        done = staff.post(f"{group.urls[1]}/api/v1/counters/1/tickets/{called[0]['id']}/"
                          "complete/")
        assert done.status_code == 200, done.text
        # Meanwhile the displays follow the database by themselves (no event travels).
        for screen in displays:
            screen.next(lambda m: m["type"] == "board" and called[1]["ticket"] in {
                c["ticket"] for c in m["data"]["calling"]}, timeout=10)
            assert not screen.live

        time.sleep(max(0.0, REDIS_OUTAGE_SECONDS - (time.monotonic() - down_at)))
        private_redis.start()
        deadline = time.monotonic() + BACK_WITHIN_SECONDS
        for screen in displays + pages:
            screen.next(_is_link(True), timeout=max(0.1, deadline - time.monotonic()))
        for screen in displays:
            screen.shows(lambda: _display_truth(staff, group.url, shown), deadline)
        for screen, url in zip(pages, group.urls, strict=True):
            token = next(t["token"] for t in issued
                         if t["ticket"] == screen.first["data"]["ticket"])
            screen.shows(lambda token=token, url=url: _status_truth(url, token, kiosk), deadline)

        # Nothing lost: every ticket issued is there, numbered without a gap, and events
        # travel again.
        numbers = sorted(int(t["ticket"][1:]) for t in issued)
        assert numbers == list(range(1, len(issued) + 1))
        truth = _display_truth(staff, group.url, shown)["data"]
        assert {c["ticket"] for c in truth["calling"]} == {called[1]["ticket"]}
        waiting = next(s["waiting"] for s in truth["services"] if s["service_id"] == service)
        assert waiting == len(issued) - 2
        again = staff.post(f"{group.urls[0]}/api/v1/counters/1/call-next/")
        assert again.status_code == 200, again.text
        for screen in displays:
            frame = screen.next(lambda m: m["type"] == "board" and m["announce"])
            assert frame["announce"]["ticket"] == again.json()["ticket"]["ticket"]
        for screen in displays + pages:
            screen.close()


class Kiosk(threading.Thread):
    """Presses "issue" ``presses`` times, each with its own Idempotency-Key; an answer lost
    with its process is asked again of the other process with the same key."""

    def __init__(self, client, bases: list[str], service: int, presses: int):
        super().__init__(daemon=True)
        self.client, self.bases, self.service, self.presses = client, bases, service, presses
        self.answers: dict[str, dict] = {}  # request key -> the ticket it got
        self.retried = 0

    def run(self):
        base = self.bases[0]
        for _ in range(self.presses):
            key = uuid.uuid4().hex
            while key not in self.answers:
                try:
                    answer = self.client.post(f"{base}/api/v1/tickets/",
                                              json={"service": self.service},
                                              headers={"Idempotency-Key": key})
                except httpx.TransportError:  # the process died: the proxy's other upstream
                    base, self.retried = self.bases[-1], self.retried + 1
                    continue
                assert answer.status_code in (200, 201), answer.text
                self.answers[key] = answer.json()
            time.sleep(0.05)


class Console(threading.Thread):
    """A counter calling the next ticket and completing it until ``calls`` are completed,
    through one process and then, when that one is gone, the other."""

    def __init__(self, client, bases: list[str], counter: int, calls: int):
        super().__init__(daemon=True)
        self.client, self.bases, self.counter, self.calls = client, bases, counter, calls
        self.completed: set[int] = set()  # ids of the tickets it called and completed

    def run(self):
        base = self.bases[0]
        while len(self.completed) < self.calls:
            try:
                self._one(base)
            except httpx.TransportError:
                base = self.bases[-1]

    def _one(self, base: str) -> None:
        path = f"{base}/api/v1/counters/{self.counter}"
        answer = self.client.post(f"{path}/call-next/")
        if answer.status_code == 409:  # an answer lost with its process: the console reloads
            answer = self.client.get(f"{path}/")
            assert answer.status_code == 200, answer.text
            ticket = answer.json()["current"]
        else:
            assert answer.status_code == 200, answer.text
            ticket = answer.json()["ticket"]
        if ticket is None:
            time.sleep(0.1)
            return
        done = self.client.post(f"{path}/tickets/{ticket['id']}/complete/")
        assert done.status_code == 200, done.text
        self.completed.add(ticket["id"])


def test_a_process_killed_during_calls_loses_and_duplicates_no_ticket_and_its_displays_move(
    database_url, private_redis
):
    with ServerGroup(processes=2, database_url=database_url, redis_url=private_redis.url) as group:
        staff, kiosk = api_clients(group, "contractor")
        service = service_id(group, "juminhyo")
        first = [_issue(kiosk, url, service) for url in group.urls for _ in range(3)]
        doomed = [Screen(group.urls[0], DISPLAY_PATH) for _ in range(2)]
        survivor = Screen(group.urls[1], DISPLAY_PATH)
        shown = _shown(survivor.first)
        kiosk_thread = Kiosk(kiosk, group.urls, service, presses=16)
        consoles = [Console(staff, group.urls, 1, calls=6),
                    Console(staff, group.urls[::-1], 2, calls=6)]
        for thread in (kiosk_thread, *consoles):
            thread.start()
        while len(kiosk_thread.answers) < 8 or not consoles[0].completed:
            time.sleep(0.05)

        os.kill(group.pids()[0], signal.SIGKILL)  # mid-flight: a kiosk press, a call
        killed_at = time.monotonic()
        moved = []
        for screen in doomed:  # its sockets drop; the display reconnects to the other
            with pytest.raises(ConnectionClosed):
                screen.next(lambda m: False, timeout=10)
            moved.append(Screen(group.urls[1], DISPLAY_PATH))
        assert time.monotonic() - killed_at < BACK_WITHIN_SECONDS

        for thread in (kiosk_thread, *consoles):
            thread.join(timeout=40)
            assert not thread.is_alive()
        quiet_at = time.monotonic()
        for screen in (*moved, survivor):
            screen.shows(lambda: _display_truth(staff, group.urls[1], shown),
                         quiet_at + BACK_WITHIN_SECONDS, part=_without_estimates)
            screen.close()

        tickets = json.loads(group.manage("shell", "-c", TICKETS_SCRIPT).stdout.splitlines()[-1])
        by_key = {key: (id_, status) for id_, _, _, key, status, _ in tickets if key}
        # Every press got exactly one ticket, the one its answer named, retried or not.
        assert len(tickets) == len(first) + len(kiosk_thread.answers)
        assert {key: answer["id"] for key, answer in kiosk_thread.answers.items()} == {
            key: id_ for key, (id_, _) in by_key.items()}
        assert sorted(number for _, _, number, _, _, _ in tickets) == list(
            range(1, len(tickets) + 1))
        # No ticket went to two counters, and each the counters completed is completed.
        statuses = {id_: status for id_, _, _, _, status, _ in tickets}
        assert not consoles[0].completed & consoles[1].completed
        completed = consoles[0].completed | consoles[1].completed
        assert {statuses[i] for i in completed} == {"completed"}
        assert sorted(i for i, status in statuses.items() if status == "completed") == sorted(
            completed)


POSTGRES_OUTAGE_SECONDS = 20
PLEASE_WAIT = {"ja": "しばらくお待ちください", "en": "Please wait a moment", "vi": "Vui lòng đợi"}


def _signed_in(group: ServerGroup, user: str) -> httpx.Client:
    """A client signed in to the staff pages. The cookies are Secure (production settings)
    and the test speaks plain HTTP, so it says it came through TLS (nginx's header) and
    sends them itself."""
    https = {"X-Forwarded-Proto": "https"}
    client = httpx.Client(base_url=group.url, timeout=20, headers=https)
    csrf = client.get("/staff/login/").cookies["csrftoken"]
    answer = client.post("/staff/login/", data={
        "username": user, "password": f"{user}-demo-pass", "csrfmiddlewaretoken": csrf},
        headers={"Cookie": f"csrftoken={csrf}",
                 "Referer": group.url.replace("http:", "https:") + "/staff/login/"})
    assert answer.status_code == 302, answer.text[:2000]
    client.headers["Cookie"] = f"sessionid={answer.cookies['sessionid']}"
    return client


def _answers_while_down(group: ServerGroup, staff, kiosk, token: str,
                        signed_in: httpx.Client) -> None:
    """Every kind of request once, side by side: the API says 503 unavailable, pages say
    please wait in their language, a signed-in page too (its session is in the database)."""
    base = group.url
    api = [lambda: kiosk.post(f"{base}/api/v1/tickets/", json={"service": 1}),
           lambda: kiosk.get(f"{base}/api/v1/tickets/status/{token}/"),
           lambda: staff.post(f"{base}/api/v1/counters/1/call-next/"),
           lambda: staff.get(f"{base}/api/v1/offices/1/snapshot/")]
    pages = {f"/kiosk/{KIOSK_KEY}/": "ja", f"/t/{token}/?lang=en": "en",
             f"/t/{token}/?lang=vi": "vi"}
    with ThreadPoolExecutor(max_workers=len(api) + len(pages)) as pool:
        api_answers = list(pool.map(lambda call: call(), api))
        page_answers = list(pool.map(lambda path: httpx.get(f"{base}{path}", timeout=20), pages))
    for answer in api_answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json()["code"] == "unavailable" and answer.json()["detail"]
        assert answer.headers["Retry-After"]
    page_answers.append(signed_in.get("/staff/"))
    for page, language in zip(page_answers, [*pages.values(), "ja"], strict=True):
        assert page.status_code == 503, page.text[:2000]
        assert page.headers["Content-Type"].startswith("text/html")
        assert PLEASE_WAIT[language] in page.text and "Traceback" not in page.text


def test_postgres_down_the_api_says_unavailable_pages_say_please_wait_then_all_works_again(
    private_postgres
):
    with ServerGroup(processes=1, database_url=private_postgres.url,
                     extra_env={"DB_POOL_TIMEOUT": "1"}) as group:
        staff, kiosk = api_clients(group, "contractor")
        service = service_id(group, "juminhyo")
        before = _issue(kiosk, group.url, service)
        signed_in = _signed_in(group, "supervisor")
        assert signed_in.get("/staff/").status_code == 200

        private_postgres.stop()
        try:
            down_at, rounds = time.monotonic(), 0
            while time.monotonic() - down_at < POSTGRES_OUTAGE_SECONDS or rounds < 2:
                _answers_while_down(group, staff, kiosk, before["token"], signed_in)
                rounds += 1
        finally:  # the group drops its database on the way out
            private_postgres.start()

        # The same process, without a restart, works again within seconds.
        deadline = time.monotonic() + BACK_WITHIN_SECONDS
        while (answer := kiosk.post(f"{group.url}/api/v1/tickets/", json={"service": service})
               ).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert answer.status_code == 201, answer.text
        assert int(answer.json()["ticket"][1:]) == int(before["ticket"][1:]) + 1
        called = staff.post(f"{group.url}/api/v1/counters/1/call-next/")
        assert called.status_code == 200, called.text + group.log_text()[-3000:]
        assert kiosk.get(f"{group.url}/api/v1/tickets/status/{before['token']}/"
                         ).json()["status"] == "called"
        for path in (f"/kiosk/{KIOSK_KEY}/", f"/t/{before['token']}/"):
            assert httpx.get(f"{group.url}{path}", timeout=20).status_code == 200
