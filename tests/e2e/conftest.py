"""Browser harness: a real uvicorn process on a fresh database, and Debian's Chromium.

``live_server`` starts uvicorn (PostgreSQL from DATABASE_URL when it is set,
else a temporary SQLite file) with the demo city hall loaded. ``browser`` is
Playwright's Chromium from /usr/bin/chromium; Playwright never downloads one.
Screenshots go to ``test-artifacts/screenshots`` (README's copies live in docs/).
"""

import os
from pathlib import Path

import httpx
import pytest

from bench.servers import ServerGroup

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FAILURES = SCREENSHOTS.parent / "failures"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper of the same name, which sets up a test database for
    any test naming ``live_server``: ours is a real server process on its own database, and
    that set-up would run inside Playwright's event loop."""
    yield


def server_group(**extra_env: str) -> ServerGroup:
    """One server process (uvicorn) with the demo data on a fresh database (PostgreSQL beside
    DATABASE_URL when it names one), with the Redis of REDIS_URL and extra environment."""
    url = os.environ.get("DATABASE_URL") or None
    if url and not url.startswith("postgres"):
        url = None
    return ServerGroup(processes=1, database_url=url,
                       redis_url=os.environ.get("REDIS_URL") or None, extra_env=extra_env)


@pytest.fixture(scope="module")
def smtp():
    """The test module's own SMTP server (aiosmtpd): ``(host, port, inbox)``."""
    from tests.conftest import smtp_running

    with smtp_running() as server:
        yield server


@pytest.fixture(scope="module")
def mailing_server(smtp):
    """A server with Django's SMTP backend pointed at the module's SMTP server (a module
    whose mail must arrive names it as its ``live_server``)."""
    host, port, _inbox = smtp
    with server_group(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                      EMAIL_HOST=host, EMAIL_PORT=str(port)) as group:
        yield group


@pytest.fixture(scope="module")
def live_server():
    """One server process with the demo data, shared by a test module; stopped afterwards."""
    group = server_group()
    with group:
        yield group


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in
# the main thread while it is open, and Django then refuses database work in that
# thread (SynchronousOnlyOperation) for every test that runs after a browser module,
# e.g. the PostgreSQL thread tests that pytest-django orders after these.
@pytest.fixture(scope="module")
def playwright_instance():
    """The Playwright driver (sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance, chromium_path):
    """Headless Debian Chromium."""
    b = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield b
    b.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def new_context(browser):
    """Browser contexts (a kiosk, a phone, a display...), closed after the test."""
    contexts = []

    def make(**kwargs):
        contexts.append(browser.new_context(**kwargs))
        return contexts[-1]

    yield make
    for context in contexts:
        context.close()


STAFF_PASSWORDS = {
    "contractor": "contractor-demo-pass",
    "municipal": "municipal-demo-pass",
    "supervisor": "supervisor-demo-pass",
}


@pytest.fixture
def staff_sign_in(browser, live_server):
    """Open a new browser context signed in as a demo account (typed into the login form).

    Returns ``(context, page)`` with the page on /staff/; contexts are closed after the test.
    """
    contexts = []

    def sign_in(username: str, *, locale: str = "ja-JP", viewport=None):
        context = browser.new_context(locale=locale,
                                      viewport=viewport or {"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(STAFF_PASSWORDS[username])
        page.locator("form.login button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/staff/")
        return context, page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, photograph every page still open (before fixtures close
    them) into test-artifacts/failures/, and name the files in the report."""
    outcome = yield
    report = outcome.get_result()
    browser = item.funcargs.get("browser") if report.when == "call" and report.failed else None
    if browser is None:
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    saved = []
    for i, page in enumerate(p for c in browser.contexts for p in c.pages):
        path = FAILURES / f"{item.name}-{i}.png"
        try:
            page.screenshot(path=str(path), timeout=5_000)
        except Exception as exc:  # noqa: BLE001 - a closed or hung page must not hide the failure
            saved.append(f"{page.url}: no screenshot ({exc.__class__.__name__})")
        else:
            saved.append(f"{page.url}: {path}")
    if saved:
        report.sections.append(("pages when the test failed", "\n".join(saved)))


def wait_until(page, expression: str, timeout: float = 10_000) -> None:
    """Wait until a JS expression is truthy in the page. Playwright's wait_for_function
    compiles its predicate with eval inside the page, which the pages' CSP (rightly)
    refuses; page.evaluate runs through the DevTools protocol instead."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)


def kiosk_ticket(base: str, *, code: str = "juminhyo", language: str = "ja") -> dict:
    """Issue a ticket of the demo office's service CODE through the kiosk API (as the demo
    kiosk); the API's answer (number, token, status link)."""
    services = httpx.get(f"{base}/api/v1/offices/1/services/", timeout=10).json()
    service = next(s["service_id"] for s in services if s["code"] == code)
    r = httpx.post(f"{base}/api/v1/tickets/", json={"service": service, "language": language},
                   headers={"Authorization": "Device demo-kiosk-key"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()
