"""Browser, against a server process started with KIOSK_RATE=3/min: the per-device rate
limit and staff maintenance mode reach the resident as plain words, in their language."""

import httpx
import pytest

from bench.servers import ServerGroup

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
KEY = "demo-kiosk-key"


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper (see tests/e2e/test_kiosk.py)."""
    yield


@pytest.fixture(scope="module")
def server():
    """A server process whose kiosks may issue 3 tickets a minute."""
    with ServerGroup(processes=1, extra_env={"KIOSK_RATE": "3/min"}) as group:
        yield group


def test_rate_limited_kiosk_tells_the_resident_to_wait(server, browser):
    codes = [httpx.post(server.url + "/api/v1/tickets/", json={"service": 1},
                        headers={"Authorization": f"Device {KEY}"}).status_code
             for _ in range(3)]
    assert codes == [201, 201, 201]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server.url}/kiosk/{KEY}/?lang=pt-br")
    page.locator("button.service").first.click()
    page.get_by_text("Muitas senhas em pouco tempo. Aguarde um momento e tente novamente."
                     ).wait_for()
    assert "/ticket/" not in page.url
    page.close()


def test_staff_pause_the_kiosk_and_residents_see_why(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server.url}/kiosk/{KEY}/?lang=en")
    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Username").fill("municipal")
    page.get_by_label("Password").fill("municipal-demo-pass")
    page.get_by_label("Message for residents while paused").fill("プリンター用紙を交換しています")
    page.get_by_role("button", name="Pause issuing").click()
    page.get_by_role("status").get_by_text("Ticket issuing is paused.").wait_for()
    page.get_by_role("link", name="Back to the kiosk").click()
    page.get_by_text("プリンター用紙を交換しています").wait_for()
    assert page.locator("button.service").first.is_disabled()

    page.get_by_role("link", name="Staff").click()
    page.get_by_label("Username").fill("municipal")
    page.get_by_label("Password").fill("municipal-demo-pass")
    page.get_by_role("button", name="Resume issuing").click()
    page.get_by_text("Ticket issuing has resumed.").wait_for()
    page.close()
