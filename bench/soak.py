"""``python -m bench soak``: several business days of a ward office, compressed, on real processes.

``python -m bench soak [--days 3] [--tickets 3000] [--rate 25] [--status-pages 300]
[--displays 20] [--bookings 60]``

Starts two server processes (uvicorn, or ``--server daphne``) and the scheduler
(``manage.py jobs_run``) on a fresh database beside the PostgreSQL in DATABASE_URL,
sharing a private redis-server of its own (restarted on the way; the machine's Redis
is never touched). The server processes run under libfaketime: their wall clock is
the office's, moved by this bench to each business day's morning, and between two
days to 04:00, so the night's jobs (slots ahead, retention, history) run as they
would; their monotonic clock is real, so asyncio's timers are unaffected. This
process computes the same dates.

Each day: the 20 counters (the demo's 8 and ``bench.day``'s 12 more) open; kiosks
issue the day's tickets at ``--rate`` per second (a key per press, retried on the
other process when an answer is lost); each counter calls the next ticket it may
serve and completes it until every line is empty; residents follow every n-th
ticket on a status page (``--status-pages`` a day) and ``--displays`` lobby
displays stay connected across all days (a separate process, ``bench.screens``);
residents book My Number pickups for later days through the public API. On the way
Redis is restarted (the middle day) and one of the two server processes is killed
with SIGKILL and started again (the last day). At the end of each day every screen
must show the database's state, and RSS, open file descriptors and database
connections of each process are sampled (/proc, pg_stat_activity); the event loop's
lag of each server process is the round trip of a WebSocket ping every half second.

Last line: ``{"bench": "soak", "days", "tickets", "lost", "duplicated",
"mismatched_screens", "rss_growth", "fds_growth", "db_connections_growth",
"loop_lag_p99_ms_start", "loop_lag_p99_ms_end", ...}``; growths are fractions of the
first day's figure (the largest over the processes). Target: every growth < 0.2,
lost = duplicated = mismatched_screens = 0.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bench.day import MIX
from bench.fanout import _percentile, _raise_fd_limit
from bench.issue import ISSUE_SERVICES
from bench.screens import ScreensProcess
from bench.servers import ROOT, RedisServer, ServerGroup, add_server_option

TOKYO = ZoneInfo("Asia/Tokyo")
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
MORNING = datetime.time(8, 31)  # the office opens at 8:30
NIGHT = datetime.time(4, 0)  # after the night's jobs (1:00, 2:30, 3:30), within their grace
NIGHT_JOBS = ("slots_generate", "personal_data_erase", "history_prune")
KIOSKS = 4
SERVICE_SECONDS = 0.05  # a counter's compressed time with a resident
IDLE_SECONDS = 0.5  # a counter with nobody to call looks again after this, then later
IDLE_MAX_SECONDS = 3.0
STUCK_SECONDS = 60  # a day's lines that no counter works on for this long are given up
WAITING = ("waiting", "called", "serving", "held")

SETUP = """
import json
from bench.day import EXTRA_COUNTERS
from demo.bookings import appointments_demo_load
from queueing.models import Counter, CounterService, Device, Office, Service
office = Office.objects.get(code="demo")
Service.objects.filter(office=office).update(available_from=None, available_until=None,
                                             daily_ticket_cap=None)
by_code = {{s.code: s for s in Service.objects.filter(office=office)}}
for number, label, kind, codes in EXTRA_COUNTERS:
    c = Counter.objects.create(office=office, number=number, label=label, kind=kind)
    for rank, code in enumerate(codes):
        CounterService.objects.create(counter=c, service=by_code[code], rank=rank)
for i in range({kiosks}):
    Device.objects.create(office=office, type="kiosk", key=f"soak-kiosk-{{i}}", name=f"kiosk {{i}}")
for i in range({displays}):
    Device.objects.create(office=office, type="display", key=f"soak-display-{{i}}",
                          name=f"display {{i}}")
appointments_demo_load()
print(json.dumps({{"services": {{c: s.id for c, s in by_code.items()}},
                  "counters": list(Counter.objects.filter(office=office)
                                   .values_list("id", "kind").order_by("number"))}}))
"""
TOKENS = """
from rest_framework.authtoken.models import Token
from django.contrib.auth.models import User
print(" ".join(Token.objects.get_or_create(user=User.objects.get(username=u))[0].key
               for u in ("contractor", "municipal")))
"""


def business_days(after: datetime.date, n: int) -> list[datetime.date]:
    """The next ``n`` days after ``after`` on which a city hall opens (weekdays that are
    neither national holidays nor the year-end break, ``queueing.holidays``)."""
    from queueing.holidays import holiday_closed

    days, day = [], after
    while len(days) < n:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and not holiday_closed(day):
            days.append(day)
    return days


class Clock:
    """The wall clock of the processes under libfaketime: an offset in a file they read."""

    def __init__(self, path: Path):
        self.path = path

    def env(self) -> dict:
        """What a process needs to run on this clock."""
        return {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME_TIMESTAMP_FILE": str(self.path),
                "FAKETIME_CACHE_DURATION": "1", "DONT_FAKE_MONOTONIC": "1",
                "PYTHONPATH": str(ROOT / "bench" / "faketime")}

    def set(self, at: datetime.datetime, settle: bool = True) -> None:
        """Move the clock to ``at`` (it runs on from there at the real pace)."""
        offset = round(at.timestamp() - time.time())
        self.path.write_text(f"{offset:+d}\n")
        if settle:
            time.sleep(1.5)  # the processes re-read the file every second


# --- the residents, kiosks and counters -----------------------------------------------


class Day:
    """What one business day's threads share."""

    def __init__(self, index: int, tickets: int, rate: float, page_every: int,
                 pages: int):
        self.index, self.tickets, self.rate = index, tickets, rate
        self.page_every, self.pages_left = page_every, pages
        self.next_press = itertools.count()
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers: dict[str, dict] = {}  # request key -> the ticket it got
        self.unanswered = 0
        self.refused: dict[str, int] = {}
        self.completed = 0
        self.errors_5xx = 0
        self.pages: list[tuple[str, str]] = []  # (screen id, token)
        self.issue_ms: list[float] = []
        self.call_ms: list[float] = []

    def issued(self) -> int:
        with self.lock:
            return len(self.answers)


class Kiosk(threading.Thread):
    """A kiosk pressing "issue" on the day's schedule (``rate`` a second over all kiosks);
    an answer lost with its process is asked again of the other one with the same key."""

    def __init__(self, n: int, day: Day, bases: list[str], services: list[int],
                 weights: list[float], screens: ScreensProcess):
        super().__init__(daemon=True)
        self.n, self.day, self.bases, self.screens = n, day, bases, screens
        self.services, self.weights = services, weights
        self.rng = random.Random(n * 1000 + day.index)

    def run(self) -> None:
        import httpx

        client = httpx.Client(timeout=30, headers={"Authorization": f"Device soak-kiosk-{self.n}"})
        while (i := next(self.day.next_press)) < self.day.tickets:
            wait = self.day.started + i / self.day.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.press(client, i, self.rng.choices(self.services, weights=self.weights)[0])
        client.close()

    def press(self, client, i: int, service: int) -> None:
        key, base = uuid.uuid4().hex, self.n
        for _ in range(200):
            sent = time.monotonic()
            try:
                answer = client.post(f"{self.bases[base % 2]}/api/v1/tickets/",
                                     json={"service": service}, headers={"Idempotency-Key": key})
            except Exception:  # noqa: BLE001 - the process went: the proxy's other upstream
                base += 1
                time.sleep(0.1)
                continue
            if answer.status_code in (200, 201):
                ticket = answer.json()
                with self.day.lock:
                    self.day.issue_ms.append((time.monotonic() - sent) * 1000)
                    self.day.answers[key] = ticket
                    page = i % self.day.page_every == 0 and self.day.pages_left > 0
                    if page:
                        self.day.pages_left -= 1
                        sid = f"page-{self.day.index}-{i}"
                        self.day.pages.append((sid, ticket["token"]))
                if page:
                    self.screens.open([(sid, f"/ws/ticket/{ticket['token']}/", base % 2)])
                return
            if answer.status_code >= 500:
                with self.day.lock:
                    self.day.errors_5xx += 1
            if answer.status_code in (429, 503) or answer.status_code >= 500:
                time.sleep(0.2)
                continue
            with self.day.lock:
                code = answer.json().get("code", str(answer.status_code))
                self.day.refused[code] = self.day.refused.get(code, 0) + 1
            return
        with self.day.lock:
            self.day.unanswered += 1


class Console(threading.Thread):
    """A counter calling the next ticket it may serve and completing it, until the day's
    lines are empty; through one process and, when that one is gone, the other."""

    def __init__(self, counter_id: int, token: str, day: Day, bases: list[str], home: int):
        super().__init__(daemon=True)
        self.counter_id, self.token, self.day, self.bases = counter_id, token, day, bases
        self.base = home

    def run(self) -> None:
        import httpx

        self.client = httpx.Client(timeout=30, headers={"Authorization": f"Token {self.token}"})
        idle = IDLE_SECONDS
        while not self.day.stop.is_set():
            sent = time.monotonic()
            ticket = self._call()
            with self.day.lock:
                self.day.call_ms.append((time.monotonic() - sent) * 1000)
            if ticket is None:  # nobody this counter may serve: look again later and later
                self.day.stop.wait(idle)
                idle = min(IDLE_MAX_SECONDS, idle * 1.5)
                continue
            idle = IDLE_SECONDS
            time.sleep(SERVICE_SECONDS)
            self._complete(ticket)
        self.client.close()

    def _path(self) -> str:
        return f"{self.bases[self.base % 2]}/api/v1/counters/{self.counter_id}"

    def _ask(self, method: str, suffix: str, **kwargs):
        """The answer, asked again (of the other process when this one is gone) until there
        is one that is not a server error."""
        while True:
            try:
                answer = self.client.request(method, self._path() + suffix, **kwargs)
            except Exception:  # noqa: BLE001 - the process went
                self.base += 1
                time.sleep(0.1)
                continue
            if answer.status_code < 500:
                return answer
            with self.day.lock:
                self.day.errors_5xx += 1
            time.sleep(0.2)

    def _call(self) -> dict | None:
        answer = self._ask("POST", "/call-next/")
        if answer.status_code == 409:  # an answer lost with its process: the console reloads
            return self._ask("GET", "/").json()["current"]
        if answer.status_code != 200:
            raise RuntimeError(f"call-next: {answer.status_code} {answer.text[:300]}")
        return answer.json()["ticket"]

    def _complete(self, ticket: dict) -> None:
        answer = self._ask("POST", f"/tickets/{ticket['id']}/complete/")
        if answer.status_code == 409:  # done already (its answer was lost)?
            current = self._ask("GET", "/").json()["current"]
            if current and current["id"] == ticket["id"]:
                raise RuntimeError(f"complete refused: {answer.text[:300]}")
        elif answer.status_code != 200:
            raise RuntimeError(f"complete: {answer.status_code} {answer.text[:300]}")
        with self.day.lock:
            self.day.completed += 1


class Bookings(threading.Thread):
    """Residents booking My Number pickups on later days through the public API."""

    def __init__(self, day: Day, bases: list[str], n: int, seconds: float):
        super().__init__(daemon=True)
        self.day, self.bases, self.n, self.seconds = day, bases, n, seconds
        self.statuses: dict[int, int] = {}

    def run(self) -> None:
        import httpx

        rng = random.Random(self.day.index)
        client = httpx.Client(timeout=30)
        slots: list[dict] = []
        for i in range(self.n):
            if self.day.stop.wait(self.seconds / max(1, self.n)):
                break
            base = self.bases[i % 2]
            try:
                if i % 10 == 0 or not slots:
                    listed = client.get(f"{base}/api/v1/bookings/slots/demo/mynumber/")
                    slots = [s for s in listed.json() if s["seats_left"] > 0] if (
                        listed.status_code == 200) else []
                if not slots:
                    self.statuses[0] = self.statuses.get(0, 0) + 1  # nothing to book
                    continue
                slot = rng.choice(slots)
                answer = client.post(f"{base}/api/v1/bookings/", json={
                    "slot": slot["id"], "notice_reference": f"SK{self.day.index}-{i:06d}",
                    "birth_date": "1980-01-01", "email": f"soak{self.day.index}-{i}@example.jp",
                    "party_size": 1})
                code = answer.status_code
            except Exception:  # noqa: BLE001 - the process went (the restart)
                code = 599
            self.statuses[code] = self.statuses.get(code, 0) + 1
        client.close()


# --- what is measured -------------------------------------------------------------------


def _proc_sample(pid: int, db_port: int) -> dict:
    """RSS (MB), open file descriptors and TCP connections to the database of a process."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    inodes = set()
    fds = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        fds += 1
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    db = 0
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = row.split()
            if int(cols[2].rsplit(":", 1)[1], 16) == db_port and cols[9] in inodes:
                db += 1
    return {"rss_mb": round(rss, 1), "fds": fds, "db_connections": db}


def _growth(first: float, last: float) -> float:
    return round((last - first) / max(first, 1), 3)


class Database:
    """Reads of the bench's database (psycopg, outside the servers)."""

    def __init__(self, url: str):
        self.url = url

    def rows(self, sql: str, *args) -> list[tuple]:
        """The rows of one query."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, args).fetchall()

    def open_tickets(self, day: datetime.date) -> int:
        """Tickets of the day still waiting, called, serving or held."""
        return self.rows("SELECT count(*) FROM queueing_ticket WHERE business_day = %s "
                         "AND status = ANY(%s)", day, list(WAITING))[0][0]

    def connections(self) -> int:
        """Connections to this database (every process of the group)."""
        return self.rows("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                         "current_database() AND pid <> pg_backend_pid()")[0][0]

    def job_runs(self, job_ids: tuple[str, ...]) -> dict[str, int]:
        """How many runs of these jobs the scheduler recorded."""
        rows = self.rows("SELECT job_id, count(*) FROM django_apscheduler_djangojobexecution "
                         "WHERE job_id = ANY(%s) GROUP BY job_id", list(job_ids))
        return {job: dict(rows).get(job, 0) for job in job_ids}


def _screens_check(screens: ScreensProcess, bases: list[str], staff, seconds: float,
                   pages: dict[str, str]) -> tuple[int, list]:
    """Wait until every open screen shows the database's state; the screens that still do
    not after ``seconds`` (with what they show and what the database says).

    Each round reads the status pages' truths first (their tickets are done for the day,
    so each is read until it is right once; under load 300 reads take a while), then what
    the screens show and the office snapshot together, so a display is compared with a
    snapshot of the same moment. A display's estimates follow a change of open counters
    within ``DisplayBoard.REREAD_INTERVAL`` + ``PUSH_READ_AFTER`` (12 s)."""
    from live.boards import display_view

    deadline = time.monotonic() + seconds
    truths: dict[str, dict] = {}
    right: set[str] = set()
    while True:
        for sid, token in pages.items():
            if sid not in right:
                truth = staff.get(f"{bases[0]}/api/v1/tickets/status/{token}/").json()
                truths[sid] = {k: v for k, v in truth.items() if k != "version"}
        states = screens.states()
        snapshot = staff.get(f"{bases[0]}/api/v1/offices/1/snapshot/").json()
        wrong = []
        for sid, shown in states.items():
            if sid in right:
                continue
            if not shown["connected"] or shown["state"] is None:
                wrong.append((sid, "not connected", shown["error"]))
                continue
            if sid in pages:  # a status page: its ticket's status (the version moves on)
                truth = truths[sid]
                seen = {k: v for k, v in shown["state"]["data"].items() if k != "version"}
            else:  # a display: the office snapshot, narrowed to its services
                services = {s["service_id"] for s in shown["first"]["data"]["services"]}
                truth = {"version": snapshot["version"],
                         "data": display_view(snapshot, shown=services)}
                seen = shown["state"]
            if seen != truth:
                wrong.append((sid, seen, truth))
            elif sid in pages:
                right.add(sid)
        if not wrong or time.monotonic() > deadline:
            return len(wrong), wrong[:3]
        time.sleep(1.0)


def _fail(message: str) -> int:
    print(json.dumps({"bench": "soak", "error": message}))
    return 2


def main(argv: list[str]) -> int:
    """Run the soak and print its JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench soak")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=3000, help="tickets a day")
    parser.add_argument("--rate", type=float, default=25.0, help="tickets issued a second")
    parser.add_argument("--status-pages", type=int, default=300, help="status pages a day")
    parser.add_argument("--displays", type=int, default=20)
    parser.add_argument("--bookings", type=int, default=60, help="bookings a day")
    parser.add_argument("--redis-down", type=float, default=5.0,
                        help="seconds Redis stays down when it is restarted")
    add_server_option(parser)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        return _fail("set DATABASE_URL=postgres://... (two processes share one database)")
    if not LIBFAKETIME.exists():
        return _fail(f"{LIBFAKETIME} is missing: apt-get install libfaketime")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # for live.boards.display_view, the display's narrowing of the snapshot
    import httpx

    _raise_fd_limit()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    days = business_days(datetime.datetime.now(TOKYO).date(), args.days)
    tmp = tempfile.TemporaryDirectory(prefix="madoguchi-soak-")
    clock = Clock(Path(tmp.name) / "faketime")
    clock.set(datetime.datetime.combine(days[0], MORNING, TOKYO), settle=False)
    redis = RedisServer()
    redis.start()
    group = ServerGroup(processes=2, server=args.server, database_url=database_url,
                        redis_url=redis.url, jobs=True,
                        extra_env={**clock.env(), "KIOSK_RATE": "1000000/min",
                                   "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                                   "LOG_LEVEL": "ERROR"})
    screens = None
    try:
        with group:
            screens = ScreensProcess(group.urls)
            result = _run(args, days, clock, redis, group, screens, httpx)
    finally:
        if screens is not None:
            screens.stop()
        redis.stop()
        tmp.cleanup()
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))
    ok = (result["lost"] == result["duplicated"] == result["mismatched_screens"] == 0
          and all(result[k] < 0.2 for k in ("rss_growth", "fds_growth",
                                            "db_connections_growth")))
    return 0 if ok else 1


def _run(args, days, clock, redis, group, screens, httpx) -> dict:
    setup = json.loads(group.manage("shell", "-c", SETUP.format(
        kiosks=KIOSKS, displays=args.displays)).stdout.strip().splitlines()[-1])
    tokens = group.manage("shell", "-c", TOKENS).stdout.strip().splitlines()[-1]
    contractor, municipal = tokens.split()
    token_of = {"outsourced": contractor, "staff_only": municipal}
    codes = [c for c in ISSUE_SERVICES if c in setup["services"]]
    services = [setup["services"][c] for c in codes]
    weights = [MIX.get(c, (0.05,))[0] for c in codes]
    db = Database(group.env()["DATABASE_URL"])
    db_port = urlsplit(db.url).port or 5432
    staff = httpx.Client(timeout=30, headers={"Authorization": f"Token {municipal}"})
    screens.open([(f"display-{i}", f"/ws/display/soak-display-{i}/", i % 2)
                  for i in range(args.displays)])

    # The faults, each once, in the middle of a day: Redis on the middle day, the process
    # on the last (both on the last when there are fewer than three).
    redis_day = min(len(days) - 1, len(days) // 2) if len(days) >= 3 else len(days) - 1
    faults = {(redis_day, 0.35): "redis", (len(days) - 1, 0.65): "process"}
    per_day, samples, lags = [], [], []
    all_answers: dict[str, dict] = {}
    unanswered = mismatched = completed = errors_5xx = 0
    refused: dict[str, int] = {}
    booking_statuses: dict[int, int] = {}
    wrong_examples: list = []
    for index, day in enumerate(days):
        night_started = time.monotonic()
        if index:  # the night before: the daily jobs run, then the morning
            before = db.job_runs(NIGHT_JOBS)
            clock.set(datetime.datetime.combine(day, NIGHT, TOKYO))
            deadline = time.monotonic() + 90
            while any(n <= before[j] for j, n in db.job_runs(NIGHT_JOBS).items()):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the night's jobs did not run: {db.job_runs(NIGHT_JOBS)}")
                time.sleep(1)
            clock.set(datetime.datetime.combine(day, MORNING, TOKYO))
        night_seconds = round(time.monotonic() - night_started, 1)
        screens.lags()  # the lag of this day only
        for counter_id, kind in setup["counters"]:
            answer = httpx.post(f"{group.urls[counter_id % 2]}/api/v1/counters/{counter_id}/"
                                "status/", json={"status": "open"}, timeout=30,
                                headers={"Authorization": f"Token {token_of[kind]}"})
            if answer.status_code != 200:
                raise RuntimeError(f"counter {counter_id} did not open: {answer.text[:300]}")
        today = Day(index, args.tickets, args.rate,
                    page_every=max(1, args.tickets // max(1, args.status_pages)),
                    pages=args.status_pages)
        kiosks = [Kiosk(n, today, group.urls, services, weights, screens) for n in range(KIOSKS)]
        counters = [Console(cid, token_of[kind], today, group.urls, cid)
                    for cid, kind in setup["counters"]]
        bookings = Bookings(today, group.urls, args.bookings, args.tickets / args.rate)
        threads = [*kiosks, *counters, bookings]
        for thread in threads:
            thread.start()
        pending = {k: v for k, v in faults.items() if k[0] == index}
        fault_log = {}
        while any(k.is_alive() for k in kiosks):
            for (_, share), what in list(pending.items()):
                if today.issued() >= share * args.tickets:
                    del pending[(index, share)]
                    fault_log[what] = _fault(what, group, redis, args.redis_down)
            time.sleep(0.2)
        issued_at = progress_at = time.monotonic()
        done = today.completed
        while db.open_tickets(day) and time.monotonic() - progress_at < STUCK_SECONDS:
            time.sleep(0.5)
            if today.completed != done:  # the counters are still working through the lines
                done, progress_at = today.completed, time.monotonic()
        today.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        drained = round(time.monotonic() - issued_at, 1)
        for counter_id, kind in setup["counters"]:
            httpx.post(f"{group.urls[0]}/api/v1/counters/{counter_id}/status/",
                       json={"status": "closed"}, timeout=30,
                       headers={"Authorization": f"Token {token_of[kind]}"})
        pages = dict(today.pages)
        wrong, examples = _screens_check(screens, group.urls, staff, 60, pages)
        mismatched += wrong
        wrong_examples += examples
        screens.close(list(pages))
        time.sleep(2)
        lag = screens.lags()
        lags.append({base: round(_percentile(v, 99), 1) for base, v in lag.items()})
        lag_p50 = {base: round(_percentile(v, 50), 1) for base, v in lag.items()}
        pids = {f"server-{i}": pid for i, pid in enumerate(group.pids())}
        pids["jobs"] = group.jobs_pid()
        sample = {name: _proc_sample(pid, db_port) for name, pid in pids.items()}
        sample["database_connections"] = db.connections()
        samples.append(sample)
        all_answers.update(today.answers)
        unanswered += today.unanswered
        completed += today.completed
        errors_5xx += today.errors_5xx
        for code, n in today.refused.items():
            refused[code] = refused.get(code, 0) + n
        for code, n in bookings.statuses.items():
            booking_statuses[code] = booking_statuses.get(code, 0) + n
        per_day.append({"day": day.isoformat(), "issued": len(today.answers),
                        "issue_seconds": round(issued_at - today.started, 1),
                        "drain_seconds": drained, "status_pages": len(pages),
                        "issue_ms_p50_p99": [round(_percentile(today.issue_ms, q), 1)
                                             for q in (50, 99)],
                        "call_next_ms_p50_p99": [round(_percentile(today.call_ms, q), 1)
                                                 for q in (50, 99)],
                        "mismatched_screens": wrong, "faults": fault_log,
                        "loop_lag_p99_ms": lags[-1], "loop_lag_p50_ms": lag_p50,
                        "night_seconds": night_seconds, "sample": sample})
        print(json.dumps({**per_day[-1], "wrong_screens": examples}), file=sys.stderr,
              flush=True)

    lost, duplicated, tickets = _count(db, all_answers, days)
    lost += unanswered
    first, last = samples[0], samples[-1]
    names = [n for n in first if n != "database_connections"]

    def worst(metric: str) -> float:
        return max(_growth(first[n][metric], last[n][metric]) for n in names)

    def total(metric: str) -> float:
        # Summed over the processes: the screens' sockets move from the killed process to
        # the other one and stay there, which is no leak.
        return _growth(sum(first[n][metric] for n in names), sum(last[n][metric] for n in names))

    return {
        "bench": "soak",
        "days": len(days),
        "tickets": tickets,
        "lost": lost,
        "duplicated": duplicated,
        "mismatched_screens": mismatched,
        "rss_growth": worst("rss_mb"),
        "fds_growth": total("fds"),
        "db_connections_growth": _growth(first["database_connections"],
                                         last["database_connections"]),
        "loop_lag_p99_ms_start": max(lags[0].values()),
        "loop_lag_p99_ms_end": max(lags[-1].values()),
        "completed_steps": completed,
        "errors_5xx": errors_5xx,
        "refused": refused,
        "bookings": {str(k): v for k, v in sorted(booking_statuses.items())},
        "night_job_runs": db.job_runs(NIGHT_JOBS),
        "per_day": per_day,
        "wrong_screens": wrong_examples[:3],
        "displays": args.displays,
        "status_pages_a_day": args.status_pages,
    }


def _fault(what: str, group: ServerGroup, redis: RedisServer, redis_down: float) -> dict:
    """Restart Redis (down for ``redis_down`` seconds) or kill server process 0 (SIGKILL) and start
    it again; how long it took."""
    t0 = time.monotonic()
    if what == "redis":
        redis.stop()
        time.sleep(redis_down)
        redis.start()
    else:
        group.restart(0)
    return {"seconds": round(time.monotonic() - t0, 1)}


def _count(db: Database, answers: dict[str, dict], days: list[datetime.date]
           ) -> tuple[int, int, int]:
    """(lost, duplicated, tickets) from the database: a ticket answered but not stored, or
    not completed by the day's end, is lost; a second ticket for one press, a number given
    twice, or a press answered with another ticket than the one stored is a duplicate."""
    rows = db.rows("SELECT id, prefix, number, business_day, request_key, status "
                   "FROM queueing_ticket WHERE business_day = ANY(%s)", days)
    by_id = {r[0]: r for r in rows}
    lost = sum(1 for a in answers.values() if a["id"] not in by_id)
    lost += sum(1 for r in rows if r[5] != "completed")
    keys: dict[str, list[int]] = {}
    numbers: dict[tuple, int] = {}
    for id_, prefix, number, day, key, _ in rows:
        if key:
            keys.setdefault(key, []).append(id_)
        numbers[(prefix, number, day)] = numbers.get((prefix, number, day), 0) + 1
    duplicated = sum(len(ids) - 1 for ids in keys.values())
    duplicated += sum(n - 1 for n in numbers.values())
    duplicated += sum(1 for key, a in answers.items() if keys.get(key, [a["id"]])[0] != a["id"])
    return lost, duplicated, len(rows)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
