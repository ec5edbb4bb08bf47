"""Told when the turn is near, in a real browser against a real server process and a real
SMTP server (aiosmtpd) the test starts.

A resident follows their ticket on a phone-sized status page and leaves an e-mail
address; a contractor calls tickets at counter 1 until the resident is the office's
number ahead: the page asks them back to the lobby and the scheduled job's command
(``manage.py ticket_notices_send``, what jobs/schedule.py runs) sends "your turn is
near" once, however often it runs. The resident says "I am on my way" and the mark
appears on the contractor's console; when the ticket is called, "you are being called
to counter 1" arrives, once. axe checks the page with its new parts in ja and en.
"""

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import kiosk_ticket, wait_until
from tests.e2e.test_accessibility import PHONE, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
TIMEOUT = 10_000
ADDRESS = "resident.on.phone@example.jp"
NEAR_TURN_AHEAD = 3  # the demo office's Office.near_turn_ahead (the default)


@pytest.fixture(scope="module")
def live_server(mailing_server):
    """A server with Django's SMTP backend pointed at the test's SMTP server."""
    return mailing_server


def _issue(base: str, *, language: str = "ja") -> dict:
    return kiosk_ticket(base, language=language)


def _ahead(base: str, ticket: dict) -> int:
    return httpx.get(f"{base}/api/v1/tickets/status/{ticket['token']}/",
                     timeout=10).json()["people_ahead"]


def _send_notices(server) -> str:
    """One run of the scheduled job, as the scheduler runs it (its management command)."""
    return server.manage("ticket_notices_send").stdout


def test_near_and_called_emails_arrive_once_and_on_my_way_shows_on_the_console(
        live_server, smtp, new_context, staff_sign_in, screenshot):
    base, inbox = live_server.url, smtp[2]
    for _ in range(NEAR_TURN_AHEAD + 1):
        _issue(base)
    mine = _issue(base, language="en")
    assert _ahead(base, mine) == NEAR_TURN_AHEAD + 1

    # The resident's phone: the status page, an address left for the messages.
    phone = new_context(locale="en-US", **PHONE).new_page()
    phone.goto(mine["status_url"])
    expect(phone.locator("#come-back")).to_be_hidden()
    phone.get_by_label("E-mail address").fill(ADDRESS)
    phone.get_by_role("button", name="Send me e-mails").click()
    expect(phone.locator("#notice-done")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#notice-form")).to_be_hidden()
    _send_notices(live_server)
    assert inbox.to(ADDRESS) == []  # four ahead: not near yet

    # The contractor calls the first ticket at counter 1: three ahead now.
    _context, console = staff_sign_in("contractor")
    console.get_by_role("link", name="1番窓口").click()
    console.wait_for_url(f"{base}/staff/counter/*/")
    wait_until(console, "document.getElementById('counter-status').textContent.length > 0")
    console.wait_for_selector(f"#line td:has-text('{mine['ticket']}')")

    def call_next() -> str:
        console.keyboard.press("n")
        console.wait_for_selector("#current-number")
        return console.locator("#current-number").inner_text()

    def complete() -> None:
        console.keyboard.press("c")
        console.wait_for_selector("#current-number-none")

    call_next()
    assert _ahead(base, mine) == NEAR_TURN_AHEAD
    expect(phone.locator("#come-back")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#come-back")).to_contain_text("Please come back to the lobby")

    _send_notices(live_server)
    _send_notices(live_server)  # the job again (a second run, a retried run): no second mail
    [near] = inbox.wait_for(ADDRESS, 1)
    assert near["Subject"] == f"{mine['ticket']}: your turn is near (3 ahead)"
    assert "Please come back to the lobby." in near.get_content()

    # "I am on my way": recorded, and the mark appears on the contractor's console.
    phone.get_by_role("button", name="I am on my way").click()
    expect(phone.locator("#on-my-way-done")).to_be_visible(timeout=TIMEOUT)
    mark = console.locator(f"#line [data-on-my-way='{mine['ticket']}']")
    expect(mark).to_be_visible(timeout=TIMEOUT)
    expect(mark).to_contain_text("向かっています")
    screenshot(phone, "status-near-turn")

    # Calls go on until the resident's own ticket is called.
    called = ""
    for _ in range(NEAR_TURN_AHEAD + 1):
        complete()
        called = call_next()
    assert called == mine["ticket"]
    expect(phone.locator("#called")).to_be_visible(timeout=TIMEOUT)
    _send_notices(live_server)
    _send_notices(live_server)
    near_again, call = inbox.wait_for(ADDRESS, 2)
    assert near_again is near
    assert call["Subject"] == f"{mine['ticket']}: you are being called to counter 1"
    assert "Please go to counter 1 now." in call.get_content()
    phone.wait_for_timeout(500)
    assert len(inbox.to(ADDRESS)) == 2  # each message once
    complete()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_status_page_near_the_turn_is_accessible(live_server, new_context, lang):
    base = live_server.url
    ticket = _issue(base, language=lang)
    try:
        page = new_context(locale={"ja": "ja-JP", "en": "en-US"}[lang], **PHONE).new_page()
        page.goto(f"{ticket['status_url']}?lang={lang}")
        expect(page.locator("#come-back")).to_be_visible(timeout=TIMEOUT)  # nobody ahead
        expect(page.locator("#notice-form")).to_be_visible()
        assert_accessible(page, f"the status page near the turn ({lang})")
        page.locator("#notice-email").fill("not an address")
        page.locator("#notice-send").click()
        expect(page.locator("#notice-error")).to_be_visible(timeout=TIMEOUT)
        assert_accessible(page, f"the status page's refused address ({lang})")
        page.locator("#on-my-way").click()
        expect(page.locator("#on-my-way-done")).to_be_visible(timeout=TIMEOUT)
        assert_accessible(page, f"the status page after 'on my way' ({lang})")
        page.locator("#give-up").click()  # the same confirmation as "I am leaving"
        page.locator("#leave-yes").click()
        expect(page.locator("#status")).to_have_attribute("data-status", "cancelled",
                                                           timeout=TIMEOUT)
        expect(page.locator("#come-back")).to_be_hidden()
    finally:
        httpx.post(f"{base}/api/v1/tickets/status/{ticket['token']}/leave/", timeout=10)
