"""After the visit: the resident rates it on the status page in a real browser, and the
supervisor's history report shows the rating by service and by counter kind.

A contractor calls and completes the ticket at counter 1 (委託) on the console; the
resident's phone-sized page then offers the one-tap rating with an optional comment,
refuses a comment holding a 12-digit Individual Number without showing it back, takes
the rating once, and the supervisor sees it in /supervisor/history/. axe checks the page's
new parts in ja and en, and the ticket and status pages in やさしい日本語 with their furigana.
"""

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import kiosk_ticket, wait_until
from tests.e2e.test_accessibility import LOCALES, PHONE, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
TIMEOUT = 10_000
INDIVIDUAL_NUMBER = "1234 5678 9012"


def _issue(base: str, language: str) -> dict:
    return kiosk_ticket(base, language=language)


@pytest.fixture
def serve(live_server, staff_sign_in):
    """Call and complete a ticket at counter 1 on a contractor's console."""
    base = live_server.url
    _context, console = staff_sign_in("contractor")
    console.get_by_role("link", name="1番窓口").click()
    console.wait_for_url(f"{base}/staff/counter/*/")
    wait_until(console, "document.getElementById('counter-status').textContent.length > 0")

    def complete(ticket: dict) -> None:
        console.wait_for_selector(f"#line td:has-text('{ticket['ticket']}')")
        console.keyboard.press("n")
        expect(console.locator("#current-number")).to_have_text(ticket["ticket"],
                                                                timeout=TIMEOUT)
        console.keyboard.press("c")
        console.wait_for_selector("#current-number-none")

    return complete


def test_a_resident_rates_the_visit_and_the_supervisor_sees_it(live_server, new_context,
                                                               staff_sign_in, serve,
                                                               screenshot):
    base = live_server.url
    ticket = _issue(base, "en")
    phone = new_context(locale="en-US", **PHONE).new_page()
    phone.goto(ticket["status_url"])
    expect(phone.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    expect(phone.locator("#rating-form")).to_be_hidden()  # waiting: nothing to rate yet

    serve(ticket)
    expect(phone.locator("#status")).to_have_attribute("data-status", "completed",
                                                       timeout=TIMEOUT)
    expect(phone.locator("#rating-form")).to_be_visible()
    expect(phone.locator("#alerts")).to_be_hidden()  # no call to wait for any more
    screenshot(phone, "status-rating")

    # A comment holding an Individual Number: refused, and not left on the screen.
    phone.get_by_label("A short comment").fill(f"My number is {INDIVIDUAL_NUMBER}")
    phone.get_by_role("button", name="4 · Satisfied", exact=True).click()
    expect(phone.locator("#rating-error")).to_contain_text("Individual Number",
                                                           timeout=TIMEOUT)
    expect(phone.get_by_label("A short comment")).to_have_value("")
    assert INDIVIDUAL_NUMBER not in phone.content()

    phone.get_by_label("A short comment").fill("Friendly and quick")
    phone.get_by_role("button", name="4 · Satisfied", exact=True).click()
    expect(phone.locator("#rating-done")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#rating-done")).to_be_focused()
    expect(phone.locator("#rating-form")).to_be_hidden()
    screenshot(phone, "status-rated")

    # Once per ticket: after a reload the page says it is done and offers nothing more.
    phone.reload()
    expect(phone.locator("#rating-done")).to_be_visible()
    expect(phone.locator("#rating-form")).to_be_hidden()
    again = httpx.post(f"{base}/api/v1/tickets/status/{ticket['token']}/rating/",
                       json={"score": 1}, timeout=10)
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")

    _context, report = staff_sign_in("supervisor")
    report.goto(f"{base}/supervisor/history/")
    row = report.locator("#satisfaction-service tr", has_text="住民票の写し")
    expect(row.locator("td").nth(0)).to_have_text("1")  # ratings
    expect(row.locator("td").nth(1)).to_have_text("4")  # mean
    kind = report.locator("#satisfaction-kind tr[data-key='outsourced']")
    expect(kind.locator("td").nth(0)).to_have_text("1")
    expect(report.locator("#satisfaction-comment-list")).to_contain_text("Friendly and quick")
    expect(report.locator("#satisfaction-comment-list")).not_to_contain_text(ticket["ticket"])
    assert_accessible(report, "the supervisor's history report with ratings")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_rating_on_the_status_page_is_accessible(live_server, new_context, serve, lang):
    ticket = _issue(live_server.url, lang)
    page = new_context(locale=LOCALES[lang], **PHONE).new_page()
    page.goto(f"{ticket['status_url']}?lang={lang}")
    expect(page.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    assert_accessible(page, f"the status page with the background note ({lang})")
    serve(ticket)
    expect(page.locator("#rating-form")).to_be_visible(timeout=TIMEOUT)
    assert_accessible(page, f"the status page's satisfaction rating ({lang})")
    page.locator("#rating-comment").fill(INDIVIDUAL_NUMBER)
    page.locator(".rating-score[data-score='3']").click()
    expect(page.locator("#rating-error")).to_be_visible(timeout=TIMEOUT)
    assert_accessible(page, f"the status page's refused comment ({lang})")
    page.locator(".rating-score[data-score='3']").click()
    expect(page.locator("#rating-done")).to_be_visible(timeout=TIMEOUT)
    assert_accessible(page, f"the status page after rating ({lang})")


def test_easy_japanese_ticket_and_status_pages_with_furigana_are_accessible(live_server,
                                                                            new_context):
    """やさしい日本語 writes kanji with furigana (ruby) on the printed ticket's screen and the
    status page; axe checks both as they are drawn."""
    ticket = _issue(live_server.url, "ja-easy")
    kiosk = new_context(locale="ja-JP", viewport={"width": 1080, "height": 1920}).new_page()
    kiosk.goto(f"{live_server.url}/kiosk/demo-kiosk-key/ticket/{ticket['token']}/?lang=ja-easy")
    expect(kiosk.locator("#ticket ruby").first).to_be_visible()
    assert_accessible(kiosk, "the ticket view in やさしい日本語")
    page = new_context(locale="ja-JP", **PHONE).new_page()
    page.goto(ticket["status_url"])
    expect(page.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    expect(page.locator("#status ruby").first).to_be_visible()
    assert_accessible(page, "the status page in やさしい日本語")
    httpx.post(f"{live_server.url}/api/v1/tickets/status/{ticket['token']}/leave/", timeout=10)
