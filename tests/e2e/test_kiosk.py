"""Browser: take a ticket in English at the kiosk, see its QR code, open the status page
from the URL the QR encodes, watch it turn into "Please go to counter 1" live, leave."""

import re

import httpx
import pytest

from tests.e2e.conftest import wait_until
from tests.kiosk.test_ticket_page import qr_modules_for, qr_modules_in_svg

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
KIOSK = "/kiosk/demo-kiosk-key/"


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper of the same name, which would set up a test database
    for any test naming ``live_server`` (ours is a real server process on its own database),
    inside Playwright's event loop."""
    yield


@pytest.fixture(scope="module")
def staff_token(live_server):
    """A DRF token for the demo contractor, made in the live server's database."""
    out = live_server.manage("drf_create_token", "contractor").stdout
    return re.search(r"Generated token (\w+)", out).group(1)


def counter_id(live_server, number: int) -> int:
    out = live_server.manage(
        "shell", "-c",
        f"from queueing.models import Counter; print(Counter.objects.get(number={number}).id)",
    ).stdout
    return int(out.strip().splitlines()[-1])


def test_take_ticket_in_english_and_follow_it_from_the_qr_code(
        live_server, browser, screenshot, staff_token):
    kiosk = browser.new_page(viewport={"width": 1280, "height": 1000})
    kiosk.goto(live_server.url + KIOSK + "?lang=en")
    assert kiosk.locator("html").get_attribute("lang") == "en"
    kiosk.get_by_role("link", name="English").wait_for()
    screenshot(kiosk, "kiosk")

    kiosk.get_by_role("button", name="I need assistance").click()
    kiosk.locator("button.service", has_text="Certificate of residence").click()
    kiosk.wait_for_url(re.compile(r"/kiosk/demo-kiosk-key/ticket/[^/]+/"))
    qr = kiosk.locator("svg.qr")
    qr.wait_for(state="visible")
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["height"] >= 150
    assert kiosk.locator("#ticket-number").inner_text() == "A001"
    assert "Assistance requested" in kiosk.locator("#ticket").inner_text()
    url = qr.get_attribute("data-qr")
    assert url == live_server.url + re.search(r"/t/[^/]+/", url).group(0)
    # The QR code drawn in the browser encodes exactly that URL, module by module.
    assert qr_modules_in_svg(qr.evaluate("e => e.outerHTML")) == qr_modules_for(url)
    screenshot(kiosk, "ticket")

    # The 80 mm print view: only the ticket, the QR about 40 mm wide.
    kiosk.emulate_media(media="print")
    assert kiosk.locator("#done").is_hidden()
    width_mm = qr.bounding_box()["width"] * 25.4 / 96
    assert 35 <= width_mm <= 45
    kiosk.emulate_media(media="screen")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                             has_touch=True)
    phone.goto(url)
    assert phone.locator("#ticket-number").inner_text() == "A001"
    assert phone.locator("#service").inner_text() == "Certificate of residence"
    phone.wait_for_selector("#connection[data-live='1']")  # WebSocket connected
    assert phone.locator("#called").is_hidden()
    screenshot(phone, "status")

    # A counter calls the ticket: the page turns into the full-screen call, live.
    api = httpx.Client(base_url=live_server.url,
                       headers={"Authorization": f"Token {staff_token}"})
    called = api.post(f"/api/v1/counters/{counter_id(live_server, 1)}/call-next/").json()
    assert called["ticket"]["ticket"] == "A001"
    phone.locator("#called").wait_for(state="visible", timeout=10_000)
    assert phone.locator("#called-text").inner_text() == "Please go to counter 1"
    screenshot(phone, "status-called")
    kiosk.close()
    phone.close()


def test_resident_leaves_after_confirming(live_server, browser):
    issued = httpx.post(live_server.url + "/api/v1/tickets/",
                        json={"service": 1, "language": "es"},
                        headers={"Authorization": "Device demo-kiosk-key"})
    assert issued.status_code == 201, issued.text
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(issued.json()["status_url"] + "?lang=en")
    phone.get_by_role("button", name="I am leaving").click()
    phone.get_by_role("button", name="No, keep my ticket").click()
    assert phone.locator("#leave").is_visible()  # nothing happened
    phone.get_by_role("button", name="I am leaving").click()
    phone.get_by_role("button", name="Yes, cancel my ticket").click()
    phone.get_by_text("This ticket has been cancelled.").wait_for()
    assert phone.locator("#leave").is_hidden()
    status = httpx.get(live_server.url + f"/api/v1/tickets/status/{issued.json()['token']}/")
    assert status.json()["status"] == "cancelled"
    phone.close()


def test_unknown_status_link_is_a_friendly_404_in_spanish(live_server, browser):
    page = browser.new_page()
    response = page.goto(live_server.url + "/t/no-such-ticket/?lang=es")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Turno no encontrado"
    page.close()


def test_scanned_unknown_booking_says_so_and_offers_a_walk_in_ticket(live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(live_server.url + KIOSK + "?lang=en")
    # A scanner types the code and presses Enter, wherever the focus is.
    page.locator("h1").click()  # focus on nothing in particular
    page.keyboard.type("ZZZZ-9999")
    page.keyboard.press("Enter")
    message = page.locator("#message")
    message.wait_for(state="visible")
    wait_until(page, "document.getElementById('message').textContent !== 'Printing your ticket…'")
    assert message.inner_text() == "We could not find this booking."
    offer = page.get_by_role("button", name="Take a ticket without a booking")
    assert offer.is_visible()
    offer.click()
    assert message.is_hidden()
    page.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_kiosk_and_status_page_pass_axe_wcag_aa(live_server, browser, lang):
    from axe_playwright_python.sync_playwright import Axe

    issued = httpx.post(live_server.url + "/api/v1/tickets/", json={"service": 2, "language": lang},
                        headers={"Authorization": "Device demo-kiosk-key"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    for url in [f"{KIOSK}?lang={lang}", f"{KIOSK}ticket/{token}/?lang={lang}",
                f"/t/{token}/", f"/kiosk/demo-kiosk-key/maintenance/?lang={lang}",
                "/t/unknown/"]:
        page.goto(live_server.url + url)
        results = Axe().run(page, options=options)
        assert results.violations_count == 0, (url, results.generate_report())
    page.close()


BOOKINGS = """
import datetime
from django.utils import timezone
from appointments.models import Booking, Schedule, Slot
from queueing.models import Office, Service
office = Office.objects.get(code="demo")
service = Service.objects.get(office=office, code="mynumber")
schedule, _ = Schedule.objects.get_or_create(office=office, service=service)
now = timezone.now().replace(second=0, microsecond=0)
for reference, minutes in (("KQKQ-2345", -2), ("MNMN-3456", -20)):
    start = now + datetime.timedelta(minutes=minutes)
    slot = Slot.objects.create(schedule=schedule, start=start,
                               end=start + datetime.timedelta(minutes=30),
                               capacity=2, seats_taken=1)
    Booking.objects.create(slot=slot, office=office, service=service, status="booked",
                           reference=reference, party_size=1, language="en",
                           created_at=now, booked_at=now)
"""


def test_scanned_booking_checks_in_or_says_it_is_too_late(live_server, browser):
    # Slots started 2 and 20 minutes ago: inside and past the 5-minute lateness rule.
    # The window decides, not the calendar day: the test holds just after midnight too.
    result = live_server.manage("shell", "-c", BOOKINGS, check=False)
    assert result.returncode == 0, result.stderr
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(live_server.url + KIOSK + "?lang=vi")
    page.locator("h1").click()
    page.keyboard.type("MNMN-3456")
    page.keyboard.press("Enter")
    page.get_by_text("Bạn đã quá giờ hẹn nên lượt đặt trước đã bị hủy.").wait_for()
    assert page.get_by_role("button", name="Lấy số không cần đặt lịch").is_visible()

    page.locator("h1").click()
    page.keyboard.type("KQKQ-2345")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ticket/[^/]+/"))
    assert page.locator("#ticket-number").inner_text().startswith("M")
    assert page.locator("svg.qr").is_visible()
    page.close()
