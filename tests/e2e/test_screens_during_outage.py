"""Browser, against a real server process on a Redis of the test's own that the test stops:
the lobby display and a resident's status page say they are reconnecting while events
cannot reach the server, and say they are live again (showing the database's calls)
when Redis is back (the frames: tests/integration/test_faults.py)."""

import httpx
import pytest

from bench.servers import ServerGroup
from demo.city_hall import DISPLAY_KEY, KIOSK_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper (see tests/e2e/conftest.py)."""
    yield


def test_display_and_status_page_say_reconnecting_while_redis_is_down(
    database_url, private_redis, browser
):
    with ServerGroup(processes=1, database_url=database_url,
                     redis_url=private_redis.url) as group:
        kiosk = httpx.Client(headers={"Authorization": f"Device {KIOSK_KEY}"}, timeout=20)
        ticket = kiosk.post(f"{group.url}/api/v1/tickets/", json={"service": 1}).json()
        context = browser.new_context(locale="ja-JP")
        display = context.new_page()
        display.goto(f"{group.url}/display/{DISPLAY_KEY}/")
        status = context.new_page()
        status.goto(f"{group.url}/t/{ticket['token']}/")
        for page in (display, status):
            page.wait_for_function("document.querySelector('#connection, #offline') !== null")
        status.wait_for_selector("#connection[data-live='1']", timeout=10000)
        display.wait_for_selector("#offline", state="hidden", timeout=10000)

        private_redis.stop()
        display.wait_for_selector("#offline", state="visible", timeout=8000)
        status.wait_for_selector("#connection[data-live='0']", timeout=8000)

        private_redis.start()
        display.wait_for_selector("#offline", state="hidden", timeout=10000)
        status.wait_for_selector("#connection[data-live='1']", timeout=10000)
        context.close()
