"""The public congestion page in a real browser: axe-clean in Japanese and English on a
phone, the same figures without JavaScript, usable inside a city website's iframe, and
the error pages a resident can meet."""

import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from queueing import holidays
from tests.e2e.test_accessibility import LOCALES, PHONE, assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PAGE = "/congestion/demo/"
LANGUAGES = ["ja", "en"]
SECTIONS = ["#now", "#day", "#calendar", "#best"]


@pytest.fixture(scope="module")
def history(live_server):
    """Six weeks of demo visits, so the page has a forecast; and three residents waiting."""
    result = live_server.manage("congestion_demo", "--weeks", "6")
    assert "past tickets written" in result.stdout, result.stdout + result.stderr
    base = live_server.url
    services = {s["code"]: s["service_id"]
                for s in httpx.get(f"{base}/api/v1/offices/1/services/", timeout=10).json()}
    tokens = []
    for code in ("juminhyo", "juminhyo", "tennyu"):
        r = httpx.post(f"{base}/api/v1/tickets/", json={"service": services[code]},
                       headers={"Authorization": "Device demo-kiosk-key"}, timeout=10)
        assert r.status_code == 201, r.text
        tokens.append(r.json()["token"])
    yield tokens
    for token in tokens:
        httpx.post(f"{base}/api/v1/tickets/status/{token}/leave/", timeout=10)


def next_opening_day() -> datetime.date:
    """Today in Tokyo, or the next weekday that is no holiday and not 年末年始."""
    day = datetime.datetime.now(ZoneInfo("Asia/Tokyo")).date()
    while day.weekday() >= 5 or holidays.holiday_closed(day):
        day += datetime.timedelta(days=1)
    return day


@pytest.fixture
def context_for(browser):
    """New browser contexts (closed after the test)."""
    contexts = []

    def make(lang: str, **kwargs):
        kwargs.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(locale=LOCALES[lang], **kwargs)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_congestion_page_on_a_phone(live_server, history, context_for, screenshot, lang):
    page = context_for(lang, **PHONE).new_page()
    response = page.goto(f"{live_server.url}{PAGE}?lang={lang}")
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#now tr[data-procedure=juminhyo] .waiting")).to_have_text("2")
    expect(page.locator("#calendar td.day").first).to_be_visible()
    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, f"the congestion page ({lang})")
    if lang == "ja":
        screenshot(page, "congestion")
    # A day of the calendar, chosen with the keyboard.
    link = page.locator("#calendar td.day a").nth(3)
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**date=*")
    expect(page.locator("#day table.hours, #day .closed-day")).to_be_visible()
    assert_accessible(page, f"a day of the congestion calendar ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_javascript_the_page_shows_the_same_figures(live_server, history, context_for,
                                                            lang):
    # An opening day (the demo office works weekdays): today's chart is empty on a weekend.
    url = f"{live_server.url}{PAGE}?lang={lang}&date={next_opening_day().isoformat()}"
    with_js = context_for(lang).new_page()
    without = context_for(lang, java_script_enabled=False).new_page()
    # "Now" holds live estimates, which may move between two loads (the clock, a forecast
    # read again): load both once more if the pair straddled such a change.
    for _attempt in range(3):
        with_js.goto(url)
        without.goto(url)
        texts = [(without.locator(s).inner_text(), with_js.locator(s).inner_text())
                 for s in SECTIONS]
        if all(a == b for a, b in texts):
            break
    for section, (shown, with_script) in zip(SECTIONS, texts, strict=True):
        assert shown.strip(), section
        assert shown == with_script, section
    # The chart is drawn without a script: its bars have their widths.
    bars = without.locator("#day .bar.expected")
    assert bars.count() >= 8
    assert all(b.bounding_box()["width"] > 0 for b in bars.all())
    # (axe itself is a script, so it checks the page in the test above, not here.)


def test_a_city_website_can_embed_the_page(live_server, history, browser):
    """Another origin (here a data: page) frames the page; it loads and shows its figures."""
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.set_content(
        f'<!doctype html><html lang="ja"><title>市のサイト</title><h1>混雑状況</h1>'
        f'<iframe title="混雑状況" src="{live_server.url}{PAGE}?lang=ja" '
        f'width="400" height="800"></iframe></html>')
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_contain_text("混雑状況", timeout=10_000)
    expect(frame.locator("#now tr[data-procedure=juminhyo] .waiting")).to_have_text("2")
    r = httpx.get(f"{live_server.url}/api/v1/congestion/demo/",
                  headers={"Origin": "https://www.city.example.jp"}, timeout=10)
    assert r.headers["access-control-allow-origin"] == "*"
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_pages_of_the_congestion_page(live_server, context_for, lang):
    page = context_for(lang, **PHONE).new_page()
    for path, status in (("/congestion/no-such-office/", 404),
                         (f"{PAGE}?date=2026-02-30", 400), (f"{PAGE}?date=9999-01-01", 400)):
        sep = "&" if "?" in path else "?"
        response = page.goto(f"{live_server.url}{path}{sep}lang={lang}")
        assert response.status == status, (path, response.status)
        expect(page.locator("h1")).not_to_be_empty()
        assert_accessible(page, f"the congestion error page at {path} ({lang})")
