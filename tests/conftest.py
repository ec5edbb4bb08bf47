"""Shared fixtures: the demo city hall, staff users per role, API clients, real services.

A test that needs PostgreSQL, Redis or Chromium asks for the matching fixture.
Without ``REQUIRE_SERVICES`` it skips with the reason; with
``REQUIRE_SERVICES=1`` (CI) a missing service fails the test instead.
"""

import contextlib
import datetime
import os
import shutil
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def need(condition: bool, reason: str) -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) when a real service is missing."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_kiosk_rate_limit():
    """The kiosk rate limit counts in the process's memory: each test starts with none."""
    from django.core.cache import caches

    caches["per-process"].clear()


@pytest.fixture
def postgres(django_db_blocker):
    """Asserts the test database is PostgreSQL (set DATABASE_URL=postgres://...)."""
    from django.db import connection

    need(connection.vendor == "postgresql",
         "this test needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def redis_url():
    """The Redis in REDIS_URL, checked to answer PING."""
    url = os.environ.get("REDIS_URL", "")
    ok = False
    if url:
        import redis

        try:
            ok = redis.Redis.from_url(url, socket_timeout=2).ping()
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            ok = False
    need(ok, f"this test needs Redis: set REDIS_URL (now {url!r}) to a reachable server")
    return url


@pytest.fixture
def private_redis(redis_url):
    """A redis-server of the test's own on a free port, which the test may stop and start."""
    from bench.servers import RedisServer

    need(bool(shutil.which("redis-server")), "redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres(postgres):
    """A PostgreSQL cluster of the test's own on a free port, which the test may stop and
    start (never the machine's own)."""
    from bench.servers import PG_BIN, PostgresCluster

    need((PG_BIN / "initdb").exists(), f"PostgreSQL's initdb is not in {PG_BIN} (set PG_BIN)")
    cluster = PostgresCluster()
    cluster.init()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def database_url(postgres):
    """The base PostgreSQL URL, for tests that start their own server processes."""
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def chromium_path():
    """Path of Debian's Chromium for Playwright (never a downloaded browser)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    need(bool(path), "browser tests need Chromium: apt-get install -y chromium")
    return path


@pytest.fixture
def office(db):
    """The demo city hall (DOMAIN.md services, 8 counters, kiosk, display, accounts)."""
    from demo.city_hall import demo_load

    return demo_load()


@pytest.fixture
def contractor(office):
    """A contractor (委託) account."""
    return User.objects.get(username="contractor")


@pytest.fixture
def municipal(office):
    """A municipal staff (職員) account."""
    return User.objects.get(username="municipal")


@pytest.fixture
def supervisor(office):
    """A supervisor account."""
    return User.objects.get(username="supervisor")


@pytest.fixture
def contractor2(office):
    """A contractor account of another company, which holds no contract at the demo office."""
    return User.objects.get(username="contractor2")


@pytest.fixture
def branch(office):
    """A branch office (北支所) beside the demo city hall: an outsourced counter 1 and a staff
    counter 2 serving 住民票の写し, its contract held by contractor2's company, and its own
    supervisor (branch_supervisor). The demo accounts other than contractor2 have no part here."""
    from queueing.models import (
        Contract,
        ContractorStaff,
        Counter,
        CounterService,
        Kind,
        Office,
        OfficeStaff,
        Service,
        Step,
    )

    branch = Office.objects.create(code="kita", name="みどり市役所 北支所")
    service = Service.objects.create(office=branch, code="juminhyo", prefix="A",
                                     name="住民票の写し")
    Step.objects.create(service=service, order=1, name="証明書交付", kind=Kind.OUTSOURCED)
    for number, kind in ((1, Kind.OUTSOURCED), (2, Kind.STAFF_ONLY)):
        counter = Counter.objects.create(office=branch, number=number, label=f"北 {number}",
                                         kind=kind)
        CounterService.objects.create(counter=counter, service=service, rank=0)
    today = datetime.date.today()
    Contract.objects.create(
        office=branch, name="北支所 窓口業務委託契約",
        company=ContractorStaff.objects.get(user__username="contractor2").company,
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today + datetime.timedelta(days=400))
    boss = User.objects.create_user("branch_supervisor", password="branch-demo-pass")
    boss.groups.add(*User.objects.get(username="supervisor").groups.all())
    OfficeStaff.objects.create(user=boss, office=branch)
    return branch


@pytest.fixture
def city_supervisor(office):
    """A city-wide supervisor (全庁): in the supervisor and city_supervisor groups, belonging
    to no office in particular."""
    from django.contrib.auth.models import Group

    from queueing.roles import CITY_WIDE_GROUP

    user = User.objects.create_user("city_supervisor", password="city-demo-pass")
    user.groups.add(Group.objects.get(name=CITY_WIDE_GROUP))
    return user


@pytest.fixture
def clerk(office):
    """A test client signed in to the admin as the demo superuser, asking for Japanese."""
    from django.test import Client

    from demo.city_hall import ADMIN

    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(User.objects.get(username=ADMIN[0]))
    return client


def api_as(user) -> APIClient:
    """An API client signed in as the user (None: anonymous)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def kiosk_client(office):
    """An API client sending the demo kiosk's device key."""
    from demo.city_hall import KIOSK_KEY

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {KIOSK_KEY}")
    return client


class Clock:
    """The time the services read (``timezone.now``), set step by step (Asia/Tokyo)."""

    DAY = datetime.date(2026, 6, 10)

    def __init__(self, monkeypatch):
        from django.utils import timezone

        self.now = None
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, hhmm: str, day: datetime.date | None = None) -> None:
        """Set the clock to hh:mm of the day (the fixture day by default) in Asia/Tokyo."""
        h, m = map(int, hhmm.split(":"))
        self.now = datetime.datetime.combine(
            day or self.DAY, datetime.time(h, m), ZoneInfo("Asia/Tokyo")).astimezone(datetime.UTC)


@pytest.fixture
def clock(monkeypatch):
    """A clock the test sets: ``clock.at("09:30")``."""
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _no_presence_sweep_in_the_test_process(settings):
    """The in-process sweep (live/sweeps.py) runs in real servers; a test that wants it runs
    it itself (it would pause counters under other tests' feet, on their event loops)."""
    settings.COUNTER_PRESENCE_SWEEP_SECONDS = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Demo accounts are re-created per test; PBKDF2 would cost seconds each time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def booking_rate_for_tests(monkeypatch):
    """Tests book from one address many times (and the Redis cache keeps the count across
    runs); the per-address limit has its own tests, which set a low rate."""
    from api.bookings import BookingRateThrottle

    monkeypatch.setattr(BookingRateThrottle, "THROTTLE_RATES", {"booking": "1000000/hour"})


class SmtpInbox:
    """What a real SMTP server (aiosmtpd, on a free port of 127.0.0.1) received."""

    def __init__(self):
        import threading

        self.messages: list = []  # email.message.EmailMessage, in arrival order
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        """aiosmtpd's handler: keep the parsed message."""
        from email import message_from_bytes, policy

        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 OK"

    def to(self, address: str) -> list:
        """The messages addressed to that address."""
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, address: str, count: int, timeout: float = 10.0) -> list:
        """Wait until that many messages to the address arrived; the messages."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.to(address)) >= count, timeout)
        return self.to(address)


@contextlib.contextmanager
def smtp_running():
    """A real SMTP server (aiosmtpd) on a free port while the block runs: ``(host, port,
    inbox)``. Skips (fails under REQUIRE_SERVICES=1) without aiosmtpd."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        need(False, "this test needs aiosmtpd (pip install aiosmtpd)")
    from bench.servers import free_port

    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield "127.0.0.1", controller.port, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server for the test: ``(host, port, inbox)``; stopped afterwards."""
    with smtp_running() as server:
        yield server


@pytest.fixture
def smtp_mail(settings, smtp_server):
    """Django's SMTP backend sending to the test's SMTP server; the server's inbox."""
    host, port, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = host, port
    return inbox
