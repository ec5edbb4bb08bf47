"""The lobby poster for phone tickets in a real browser: a supervisor opens it from the
dashboard, its QR code carries the office's join URL, that URL opens the phone ticket page,
and axe finds nothing serious (the poster is in Japanese with the English beside it)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import PHONE, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
TIMEOUT = 10_000


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
def test_supervisor_prints_the_lobby_poster_whose_qr_opens_the_phone_ticket_page(
        live_server, staff_sign_in, new_context, screenshot, locale):
    _context, page = staff_sign_in("supervisor", locale=locale)
    page.goto(f"{live_server.url}/supervisor/")
    page.locator("#join-poster-link").click()
    page.wait_for_url(f"{live_server.url}/supervisor/join-poster/*")
    qr = page.locator("#join-poster svg.qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 300, box  # 110 mm on paper: large, from a few steps away
    url = qr.get_attribute("data-qr")
    assert url == f"{live_server.url}/join/demo/"
    expect(page.locator("#join-poster")).to_contain_text("Take a ticket on your phone")
    expect(page.locator("#join-poster")).to_contain_text("受付時間")
    assert_accessible(page, f"the lobby poster for phone tickets ({locale})")
    if locale == "ja-JP":
        page.emulate_media(media="print")
        screenshot(page, "join-poster")
    phone = new_context(locale="ja-JP", **PHONE).new_page()
    response = phone.goto(url)
    assert response.status == 200
    expect(phone.locator("h1")).to_be_visible(timeout=TIMEOUT)
