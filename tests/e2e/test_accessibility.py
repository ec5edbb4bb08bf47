"""Accessibility in a real browser: axe-core on every public and staff page, and the
staff console operated with the keyboard alone.

Target: WCAG 2.1 AA, the level JIS X 8341-3:2016 asks of public bodies' pages. axe-core
(vendored by axe-playwright-python, so nothing is downloaded) runs the WCAG 2.0/2.1 A and
AA rules plus its best practices; a serious or critical violation fails the test, and the
message lists each rule id, its help text and the offending elements so it can be fixed
without re-running anything.

Resident pages (kiosk, printed ticket view, status page, lobby display) are checked in
Japanese and in English. The staff pages have no language switch: every label is in
Japanese with the English beside it in ``<span lang="en">``, so one check covers both
languages; they are still opened once with a Japanese and once with an English browser
locale, since a browser's locale must not change what the page offers.
"""

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KIOSK = "/kiosk/demo-kiosk-key/"
DISPLAY = "/display/demo-display-key/"
BOOKING = "/book/demo/mynumber/"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LANGUAGES = ["ja", "en"]
LOCALES = {"ja": "ja-JP", "en": "en-US"}
AXE_OPTIONS = {
    "runOnly": {"type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
BLOCKING = ("serious", "critical")
TIMEOUT = 10_000  # ms: pages follow within a second or two; the margin is for a loaded CI box


def axe_report(violations: list[dict]) -> str:
    """One line per violation (rule, impact, help, link), then its first elements and why."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:6]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {node['target']}: {summary}")
        if len(v["nodes"]) > 6:
            lines.append(f"    ... and {len(v['nodes']) - 6} more elements")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """Run axe-core on the page as it is now; fail on serious or critical violations."""
    results = Axe().run(page, options=AXE_OPTIONS).response
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    if blocking:  # raised, not asserted: pytest would append the whole raw result
        raise AssertionError(
            f"axe-core found {len(blocking)} serious/critical WCAG 2.1 AA violation(s) on {what} "
            f"({page.url}):\n{axe_report(blocking)}"
        )


@pytest.fixture
def issue(live_server):
    """Issue tickets through the kiosk API; those still open are cancelled after the test,
    so each test's "call next" meets only its own tickets."""
    base = live_server.url
    services = {s["code"]: s["service_id"]
                for s in httpx.get(f"{base}/api/v1/offices/1/services/", timeout=10).json()}
    tokens = []

    def make(code: str, language: str = "ja") -> dict:
        r = httpx.post(f"{base}/api/v1/tickets/",
                       json={"service": services[code], "language": language},
                       headers={"Authorization": "Device demo-kiosk-key"}, timeout=10)
        assert r.status_code == 201, r.text
        tokens.append(r.json()["token"])
        return r.json()

    yield make
    for token in tokens:
        status = httpx.get(f"{base}/api/v1/tickets/status/{token}/", timeout=10).json()
        if status["status"] in ("waiting", "held"):
            left = httpx.post(f"{base}/api/v1/tickets/status/{token}/leave/", timeout=10)
            assert left.status_code == 200, left.text


@pytest.fixture
def context_for(browser):
    """New browser contexts in a given language (closed after the test)."""
    contexts = []

    def make(lang: str, **kwargs):
        kwargs.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(locale=LOCALES[lang], **kwargs)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def open_console(page, base: str, number: int) -> None:
    """From /staff/, open the console of counter NUMBER and wait for its first render."""
    page.get_by_role("link", name=f"{number}番窓口").click()
    page.wait_for_url(f"{base}/staff/counter/*/")
    expect(page.locator("#counter-status")).not_to_be_empty(timeout=TIMEOUT)
    expect(page.locator("#connection")).to_contain_text("Live", timeout=TIMEOUT)


# --- resident pages -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_kiosk_start_page(live_server, context_for, lang):
    page = context_for(lang).new_page()
    page.goto(f"{live_server.url}{KIOSK}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("button.service").first).to_be_visible()
    assert_accessible(page, f"the kiosk's start page ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_kiosk_ticket_view(live_server, context_for, issue, lang):
    ticket = issue("juminhyo", lang)
    page = context_for(lang).new_page()
    page.goto(f"{live_server.url}{KIOSK}ticket/{ticket['token']}/?lang={lang}")
    expect(page.locator("#ticket-number")).to_have_text(ticket["ticket"])
    expect(page.locator("svg.qr")).to_be_visible()
    assert_accessible(page, f"the kiosk's ticket view ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_status_page_while_waiting(live_server, context_for, issue, lang):
    ticket = issue("koseki", lang)
    page = context_for(lang, **PHONE).new_page()
    page.goto(f"{ticket['status_url']}?lang={lang}")
    expect(page.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    expect(page.locator("#ticket-number")).to_have_text(ticket["ticket"])
    assert_accessible(page, f"the status page while waiting ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_status_page_when_called_and_lobby_display(live_server, context_for, staff_sign_in,
                                                  issue, lang):
    """The full-screen call on the phone and the display showing it, after a console call."""
    base = live_server.url
    ticket = issue("zeisho", lang)
    phone = context_for(lang, **PHONE).new_page()
    phone.goto(f"{ticket['status_url']}?lang={lang}")
    expect(phone.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    display = context_for(lang, viewport={"width": 1920, "height": 1080}).new_page()
    display.goto(f"{base}{DISPLAY}?lang={lang}")

    _, console = staff_sign_in("contractor")
    open_console(console, base, 2)
    expect(console.locator("#line")).to_contain_text(ticket["ticket"], timeout=TIMEOUT)
    console.keyboard.press("n")
    expect(console.locator("#current-number")).to_have_text(ticket["ticket"], timeout=TIMEOUT)

    # A new call blinks for a few seconds: check both halves of the blink, held still
    # (axe on a running animation would see whichever half happens to be showing).
    expect(display.locator("#calling li.fresh")).to_contain_text(ticket["ticket"],
                                                                 timeout=TIMEOUT)
    longest = display.evaluate(
        "() => Math.max(0, ...document.getAnimations()"
        "  .map(a => a.effect.getComputedTiming().endTime))")
    assert 0 < longest <= 5_000, (
        f"a new call blinks for {longest} ms: WCAG 2.2.2 allows 5 s when nobody can stop it")
    for phase, ms in (("highlighted half of the blink", 200), ("plain half of the blink", 600)):
        held = display.evaluate(
            "ms => document.getAnimations().map(a => { a.pause(); a.currentTime = ms; }).length",
            ms)
        assert held > 0, "the new call was expected to blink"
        assert_accessible(display, f"the lobby display with a new call ({lang}, {phase})")
    display.evaluate("() => document.getAnimations().forEach(a => a.finish())")
    assert_accessible(display, f"the lobby display after the blink ({lang})")

    expect(phone.locator("#called")).to_be_visible(timeout=TIMEOUT)
    expect(phone.locator("#called-ok")).to_be_focused()  # the alertdialog is read out
    assert_accessible(phone, f"the status page's full-screen call ({lang})")

    console.keyboard.press("c")  # leave counter 2 free for the next run
    expect(console.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def booking_schedule(live_server):
    """The demo office's My Number pickup schedule and its slots (not part of demo_load)."""
    live_server.manage("appointments_demo")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_booking_pages(live_server, booking_schedule, context_for, screenshot, lang):
    """The My Number card pickup booking: calendar, times, the details form with its errors."""
    page = context_for(lang, **PHONE).new_page()
    response = page.goto(f"{live_server.url}{BOOKING}?lang={lang}")
    assert response.status == 200, f"{BOOKING} answered {response.status}"
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page, f"the booking calendar ({lang})")
    if lang == "ja":
        screenshot(page, "booking", full_page=False)
    page.locator("a.day").first.click()
    expect(page.locator("a.slot").first).to_be_visible()
    assert_accessible(page, f"the booking's times of a day ({lang})")
    page.locator("a.slot").first.click()
    expect(page.locator("form")).to_be_visible()
    assert_accessible(page, f"the booking's details form ({lang})")
    page.locator("form [type=submit]").last.click()
    assert_accessible(page, f"the booking's details form after an empty submit ({lang})")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_pages_a_resident_can_meet(live_server, context_for, lang):
    """Unknown status link, unknown or revoked kiosk and display keys: plain pages, checked too."""
    page = context_for(lang).new_page()
    for path, status in ((f"/t/no-such-ticket/?lang={lang}", 404),
                         (f"/kiosk/no-such-key/?lang={lang}", 403),
                         (f"/display/no-such-key/?lang={lang}", 404)):
        response = page.goto(live_server.url + path)
        assert response.status == status, (path, response.status)
        expect(page.locator("h1")).not_to_be_empty()
        assert_accessible(page, f"the error page at {path}")


# --- staff pages ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_login_and_counter_choice(live_server, context_for, lang):
    page = context_for(lang).new_page()
    page.goto(f"{live_server.url}/staff/login/")
    assert_accessible(page, "the staff sign-in page")
    page.locator("#id_username").fill("municipal")
    page.locator("#id_password").fill("wrong password")
    page.locator("#id_password").press("Enter")
    expect(page.locator("[role=alert]")).to_be_visible()
    assert_accessible(page, "the staff sign-in page showing a wrong password")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_console_with_a_current_ticket(live_server, staff_sign_in, issue, lang):
    base = live_server.url
    ticket = issue("nenkin")
    held = issue("nenkin")
    _, page = staff_sign_in("contractor", locale=LOCALES[lang])
    assert_accessible(page, "the counter choice page")
    open_console(page, base, 4)
    expect(page.locator("#line")).to_contain_text(held["ticket"], timeout=TIMEOUT)
    # One ticket on hold and one being served: every part of the console is drawn.
    page.keyboard.press("g")
    page.keyboard.type(held["ticket"])
    page.keyboard.press("Enter")
    expect(page.locator("#current-number")).to_have_text(held["ticket"], timeout=TIMEOUT)
    page.keyboard.press("Escape")
    page.keyboard.press("h")  # a hold asks for its reason first
    expect(page.locator("#hold-reason")).to_be_focused()
    page.keyboard.type("書類を取りに行く (fetching a document)")
    page.keyboard.press("Enter")
    expect(page.locator("#held table")).to_contain_text(held["ticket"], timeout=TIMEOUT)
    # The push can draw the held line before the hold's own answer has come back.
    expect(page.locator("#message")).to_contain_text("保留にしました", timeout=TIMEOUT)
    expect(page.locator("#hold-reason")).not_to_be_focused()
    page.keyboard.press("n")
    expect(page.locator("#current-number")).to_have_text(ticket["ticket"], timeout=TIMEOUT)
    assert_accessible(page, "the staff console serving a ticket with one on hold")
    if lang == "ja":  # a contractor typing a staff-only counter's address is refused
        response = page.goto(f"{base}/staff/counter/6/")
        assert response.status == 403
        assert_accessible(page, "the console's refusal page")
        page.go_back()
        expect(page.locator("#current-number")).to_have_text(ticket["ticket"], timeout=TIMEOUT)

    # Leave counter 4 empty for the other runs.
    page.keyboard.press("c")
    expect(page.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)
    page.get_by_role("button", name=f"{held['ticket']} を呼び戻す").click()
    expect(page.locator("#current-number")).to_have_text(held["ticket"], timeout=TIMEOUT)
    page.keyboard.press("c")
    expect(page.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_supervisor_pages(live_server, staff_sign_in, issue, screenshot, lang):
    base = live_server.url
    issue("fukushi")
    _, page = staff_sign_in("supervisor", locale=LOCALES[lang])
    page.goto(f"{base}/supervisor/")
    expect(page.locator("#connection")).to_contain_text("Live", timeout=TIMEOUT)
    assert_accessible(page, "the supervisor dashboard")
    if lang == "ja":
        screenshot(page, "supervisor-dashboard", full_page=False)
    page.goto(f"{base}/supervisor/history/")
    assert_accessible(page, "the supervisor's history report")
    page.goto(f"{base}/supervisor/contract/")
    assert_accessible(page, "the supervisor's contract report")


# --- the keyboard alone ---------------------------------------------------------------


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching SELECTOR has the focus; fail after LIMIT presses.

    Every element reached on the way must show where the focus is (WCAG 2.4.7).
    """
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """sel => {
                const el = document.activeElement;
                if (!el || el === document.body) return {match: false, visible: true};
                const s = getComputedStyle(el);
                const visible = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0)
                    || s.boxShadow !== "none";
                return {match: el.matches(sel), visible: visible,
                        what: el.outerHTML.slice(0, 120)};
            }""",
            selector,
        )
        assert focused["visible"], f"no visible focus indicator on {focused.get('what')}"
        if focused["match"]:
            return
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")


def test_staff_console_is_usable_with_the_keyboard_alone(live_server, browser, issue):
    base = live_server.url
    first = issue("inkan")
    second = issue("inkan")
    third = issue("inkan")
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800})
    page = context.new_page()

    # Sign in: the user name field has the focus when the page opens.
    page.goto(f"{base}/staff/login/")
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("contractor")
    page.keyboard.press("Tab")
    page.keyboard.type("contractor-demo-pass")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/staff/")

    # Choose counter 1 with Tab and Enter.
    tab_to(page, "a.counter-link[href$='/staff/counter/1/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/staff/counter/*/")
    expect(page.locator("#line")).to_contain_text(second["ticket"], timeout=TIMEOUT)

    # The first Tab reaches the skip link, which moves past the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip')")

    # Call next and complete by Tab and Enter/Space on the buttons...
    tab_to(page, "#btn-call-next")
    page.keyboard.press("Enter")
    expect(page.locator("#current-number")).to_have_text(first["ticket"], timeout=TIMEOUT)
    expect(page.locator("#message")).to_contain_text(first["ticket"])
    tab_to(page, "button[data-action=complete]")
    page.keyboard.press("Space")
    expect(page.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#message")).to_contain_text("完了しました")

    # ...and by the one-key shortcuts the buttons announce (aria-keyshortcuts).
    page.keyboard.press("n")
    expect(page.locator("#current-number")).to_have_text(second["ticket"], timeout=TIMEOUT)
    page.keyboard.press("s")
    expect(page.locator("#current")).to_contain_text("対応中", timeout=TIMEOUT)
    page.keyboard.press("c")
    expect(page.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)

    # Call a number (G), then transfer it (T) to another service with a typed reason.
    page.keyboard.press("g")
    expect(page.locator("#call-number")).to_be_focused()
    page.keyboard.type(third["ticket"])
    page.keyboard.press("Enter")
    expect(page.locator("#current-number")).to_have_text(third["ticket"], timeout=TIMEOUT)
    page.keyboard.press("Escape")  # leave the number field, so keys are shortcuts again
    page.keyboard.press("t")
    expect(page.locator("#transfer-to")).to_be_focused()
    page.keyboard.press("End")  # the last service in the list
    target = page.locator("#transfer-to").evaluate("s => s.options[s.selectedIndex].text")
    assert target.startswith("G "), target  # G 税の減免相談, a staff-only service
    page.keyboard.press("Tab")
    expect(page.locator("#transfer-reason")).to_be_focused()
    page.keyboard.type("減免の相談を希望 (asks about a tax reduction)")
    page.keyboard.press("Enter")
    expect(page.locator("#current-number-none")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#message")).to_contain_text("へ回しました")

    for t, expected in ((first, "completed"), (second, "completed"), (third, "waiting")):
        status = httpx.get(f"{base}/api/v1/tickets/status/{t['token']}/", timeout=10).json()
        assert status["status"] == expected, status
    assert status["service"] == "税の減免相談", status
    context.close()


def test_the_check_itself_catches_a_violation(live_server, browser):
    """The axe run is real: a page made inaccessible on purpose fails with a useful message."""
    page = browser.new_page()
    page.goto(f"{live_server.url}{KIOSK}?lang=en")
    page.evaluate("""() => {
        const b = document.querySelector("button.service");
        b.textContent = "";  // a button with no name
        b.setAttribute("aria-describedby", "");
    }""")
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "a broken kiosk page")
    message = str(failure.value)
    assert "button-name (critical): Buttons must have discernible text" in message
    assert 'button[data-service="1"]' in message
    page.close()
