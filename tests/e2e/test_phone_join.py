"""Joining the queue from a phone (Web 整理券) in a real browser at a phone's size: the lobby
display shows the presence code and the QR code of the phone page; the resident opens it,
types the code, picks a service and lands on the ticket's status page."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

DISPLAY = "/display/demo-display-key/"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TIMEOUT = 10_000


def read_display(new_context, base: str) -> tuple[str, str]:
    """The code the lobby display shows and the address its QR code carries."""
    display = new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP").new_page()
    display.goto(base + DISPLAY)
    expect(display.locator("#join")).to_contain_text("スマートフォンで整理券")
    expect(display.locator("#join-code")).to_have_text(re.compile(r"^\d{4}$"))
    code = display.locator("#join-code").inner_text()
    url = display.locator("#join svg.qr").get_attribute("data-qr")
    return code, url


def test_joining_from_a_phone_with_the_code_the_lobby_display_shows(live_server, new_context,
                                                                      screenshot):
    code, join_url = read_display(new_context, live_server.url)
    assert join_url.endswith("/join/demo/")
    phone = new_context(locale="en-US", **PHONE)
    page, later = phone.new_page(), phone.new_page()
    page.goto(f"{join_url}?lang=en")
    later.goto(f"{join_url}?lang=en")  # a second tab, still showing the form
    expect(page.locator("h1")).to_have_text("Take a ticket on your phone")

    wrong = next(c for c in ("0000", "1111", "2222") if c != code)
    page.locator("#id_code").fill(wrong)
    page.get_by_role("button", name=re.compile("Certificate of residence")).click()
    expect(page.locator("#join-error")).to_contain_text("This code is wrong or has expired")

    page.locator("#id_code").fill(code)
    screenshot(page, "phone-join-en")
    page.get_by_role("button", name=re.compile("Certificate of residence")).click()
    page.wait_for_url(re.compile(r"/t/[^/]+/\?lang=en$"))
    expect(page.locator("#ticket-number")).to_have_text(re.compile(r"^A\d{3}$"))
    number, status_url = page.locator("#ticket-number").inner_text(), page.url

    # Pressing again (the other tab's form) shows the same ticket, not a second one.
    later.locator("#id_code").fill(code)
    later.get_by_role("button", name=re.compile("Certificate of residence")).click()
    later.wait_for_url(status_url)
    expect(later.locator("#ticket-number")).to_have_text(number)
    later.goto(f"{join_url}?lang=en")
    expect(later.locator("#held-number")).to_have_text(number)
    expect(later.locator("button.service")).to_have_count(0)

    page.locator("#leave").click()  # leave the line: the next run starts with no ticket
    page.locator("#leave-yes").click()
    expect(page.locator("#status")).to_have_attribute("data-status", "cancelled", timeout=TIMEOUT)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_phone_page_is_accessible(live_server, new_context, lang):
    page = new_context(locale={"ja": "ja-JP", "en": "en-US"}[lang], **PHONE).new_page()
    page.goto(f"{live_server.url}/join/demo/?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("button.service").first).to_be_visible()
    assert_accessible(page, f"the phone ticket page ({lang})")
    page.locator("#id_code").fill("0000" if lang == "ja" else "9999")
    page.locator("button.service").first.click()
    expect(page.locator("#join-error")).to_be_visible()
    assert_accessible(page, f"the phone ticket page with a refused code ({lang})")


def test_the_display_fetches_the_next_code_by_itself(live_server, new_context, screenshot):
    display = new_context(viewport={"width": 1920, "height": 1080}).new_page()
    display.goto(live_server.url + DISPLAY)
    expect(display.locator("#join-code")).to_have_text(re.compile(r"^\d{4}$"))
    screenshot(display, "display-phone-ticket-box", full_page=False)
    display.locator("#join-code").evaluate("e => { e.textContent = '----'; }")
    display.evaluate("() => window.madoguchiJoinCode.refresh()")
    expect(display.locator("#join-code")).to_have_text(re.compile(r"^\d{4}$"), timeout=TIMEOUT)
