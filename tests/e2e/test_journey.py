"""The journey that must always work, in one real browser against one real server process.

1. A resident takes a ticket at the kiosk in English; the printed view shows the QR code.
2. The resident's phone (a second browser context) opens the status page from that QR's URL.
3. A contractor signs into the console at an outsourced counter and calls next; the lobby
   display (a third context) shows the number and counter, and the status page says
   "go to counter N".
4. The contractor transfers the ticket to a staff-only step; municipal staff call and
   complete it; the display and status page follow.

Every wait is Playwright's ``expect`` with a timeout of a few seconds: the screens must
follow by themselves (WebSocket), without a reload. Latency is measured by the fan-out
benchmark, not here.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KIOSK = "/kiosk/demo-kiosk-key/"
DISPLAY = "/display/demo-display-key/"
TIMEOUT = 10_000  # ms: screens follow within a second or two; the margin is for a loaded CI box
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def call_row(display, number: str):
    """The lobby display's "now calling" entry for NUMBER."""
    return display.locator("#calling li").filter(
        has=display.locator(".number", has_text=re.compile(rf"^{number}$")))


def expect_display_calls(display, number: str, counter: int) -> None:
    """The display shows NUMBER called to COUNTER, and announces it (chime and voice text)."""
    row = call_row(display, number)
    expect(row).to_have_count(1, timeout=TIMEOUT)
    expect(row.locator(".counter")).to_contain_text(f"{counter}番窓口")
    spoken = re.sub(r"^([A-Z]+)0*", r"\1", number)  # D001 is read "D1"
    expect(display.locator("#announce")).to_contain_text(
        f"受付番号 {spoken}番の方、{counter}番窓口へお越しください", timeout=TIMEOUT)


def open_console(page, base: str, number: int) -> None:
    """From /staff/, open counter NUMBER's console and wait for its live first render."""
    page.get_by_role("link", name=f"{number}番窓口").click()
    page.wait_for_url(f"{base}/staff/counter/*/")
    expect(page.locator("#counter-status")).not_to_be_empty(timeout=TIMEOUT)
    expect(page.locator("#connection")).to_contain_text("Live", timeout=TIMEOUT)


def test_resident_is_served_by_contractor_then_staff(live_server, new_context, staff_sign_in,
                                                     screenshot):
    base = live_server.url

    # 1. The kiosk, switched to English by the resident; 転入届 has an outsourced
    #    reception step, then a staff-only review step.
    page = new_context(locale="ja-JP", viewport={"width": 1280, "height": 800}).new_page()
    page.goto(base + KIOSK)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    screenshot(page, "journey-kiosk", full_page=False)
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("button.service", has_text="Moving in").click()
    page.wait_for_url(re.compile(r"/kiosk/demo-kiosk-key/ticket/[^/]+/"))
    number = page.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"D\d{3}", number), number
    qr = page.locator("svg.qr")
    expect(qr).to_be_visible()
    status_url = qr.get_attribute("data-qr")
    screenshot(page, "journey-ticket", full_page=False)
    assert re.fullmatch(re.escape(base) + r"/t/[^/]+/", status_url), status_url
    page.emulate_media(media="print")  # what the ticket printer gets
    expect(qr).to_be_visible()
    expect(page.locator("#ticket-number")).to_have_text(number)
    expect(page.locator("#done")).to_be_hidden()
    page.emulate_media(media="screen")

    # 2. The phone opens the URL the QR code carries; the lobby display is on.
    phone = new_context(locale="en-US", **PHONE).new_page()
    phone.goto(status_url)
    expect(phone.locator("#ticket-number")).to_have_text(number)
    expect(phone.locator("#service")).to_have_text("Moving in (residence registration)")
    expect(phone.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    expect(phone.locator("#called")).to_be_hidden()
    screenshot(phone, "journey-status", full_page=False)
    display = new_context(viewport={"width": 1280, "height": 800}).new_page()
    display.goto(base + DISPLAY)
    # The display's socket is open and its first snapshot drawn (state.version is set).
    wait_until(display, "window.madoguchiDisplay && madoguchiDisplay.state.version !== null",
               timeout=TIMEOUT)
    expect(call_row(display, number)).to_have_count(0)

    # 3. The contractor calls next at outsourced counter 3.
    _, contractor = staff_sign_in("contractor")
    open_console(contractor, base, 3)
    expect(contractor.locator("#line")).to_contain_text(number, timeout=TIMEOUT)
    contractor.locator("#btn-call-next").click()
    expect(contractor.locator("#current-number")).to_have_text(number, timeout=TIMEOUT)
    expect_display_calls(display, number, 3)
    expect(phone.locator("#called")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#called-text")).to_have_text("Please go to counter 3")
    # Photograph the new call's highlight, held still (it blinks for a few seconds).
    display.evaluate(
        "() => document.getAnimations().forEach(a => { a.pause(); a.currentTime = 200; })")
    screenshot(display, "display", full_page=False)
    screenshot(contractor, "journey-console", full_page=False)
    screenshot(phone, "journey-status-called", full_page=False)

    # 4. The resident is at the counter; the reception step is done and the ticket moves on
    #    to the staff-only review, with a reason, through the queue.
    contractor.keyboard.press("s")
    expect(phone.locator("#status-text")).to_have_text(
        "You are being served at counter 3.", timeout=TIMEOUT)
    contractor.get_by_label("回付先").select_option("")
    reason = contractor.get_by_label("理由 (選ぶか入力)")
    reason.fill("審査・決定が必要 (needs review and decision)")
    contractor.get_by_role("button", name="回付する").click()
    expect(contractor.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#status-text")).to_have_text(
        "Please wait. We will call your number.", timeout=TIMEOUT)
    expect(phone.locator("#called")).to_be_hidden()
    expect(call_row(display, number)).to_have_count(0, timeout=TIMEOUT)
    # The hybrid rule: the staff-only step is not in any outsourced counter's line.
    expect(contractor.locator("#line")).not_to_contain_text(number)

    _, staff = staff_sign_in("municipal")
    open_console(staff, base, 6)
    expect(staff.locator("#line")).to_contain_text(number, timeout=TIMEOUT)
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text(number, timeout=TIMEOUT)
    expect_display_calls(display, number, 6)
    expect(phone.locator("#called")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#called-text")).to_have_text("Please go to counter 6")
    staff.keyboard.press("s")
    expect(phone.locator("#status-text")).to_have_text(
        "You are being served at counter 6.", timeout=TIMEOUT)
    staff.keyboard.press("c")
    expect(staff.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#status-text")).to_have_text(
        "Thank you. Your visit is complete.", timeout=TIMEOUT)
    expect(phone.locator("#leave-row")).to_be_hidden()
    expect(call_row(display, number)).to_have_count(0, timeout=TIMEOUT)
