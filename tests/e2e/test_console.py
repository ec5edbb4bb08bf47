"""The console in a real browser against a real server process.

A resident takes a 転入届 ticket at the kiosk (step 1 outsourced, step 2
staff-only); the contractor calls it at outsourced counter 3 and transfers it
to the staff-only step with a reason; municipal staff call it at staff counter
6 and complete it. Two consoles racing for one ticket: the loser sees the
API's 409 detail. Screenshots: console, dashboard.
"""

import httpx
import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper of the same name, which sets up a test database for
    any test naming ``live_server``: ours is a real server process on its own database
    (tests/e2e/conftest.py), and that set-up would run inside Playwright's event loop."""
    yield


def _service_id(base: str, code: str) -> int:
    rows = httpx.get(f"{base}/api/v1/offices/1/services/", timeout=10).json()
    return next(r["service_id"] for r in rows if r["code"] == code)


def _issue(base: str, code: str) -> dict:
    r = httpx.post(f"{base}/api/v1/tickets/", json={"service": _service_id(base, code)},
                   headers={"Authorization": "Device demo-kiosk-key"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def _sign_in(browser, base: str, username: str, password: str):
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.goto(f"{base}/staff/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/staff/")
    return context, page


def _open_console(page, base: str, number: int) -> None:
    page.get_by_role("link", name=f"{number}番窓口").click()
    page.wait_for_url(f"{base}/staff/counter/*/")
    # The first render from the API enables "call next" when the counter is free.
    page.wait_for_selector("#line-count")
    wait_until(page, "document.getElementById('counter-status').textContent.length > 0")


def test_contractor_transfers_to_staff_who_complete(live_server, browser, screenshot):
    base = live_server.url
    issued = _issue(base, "tennyu")
    number = issued["ticket"]

    contractor_ctx, page = _sign_in(browser, base, "contractor", "contractor-demo-pass")
    # The contractor is offered outsourced counters only.
    assert page.get_by_role("link", name="6番窓口").count() == 0
    _open_console(page, base, 3)
    page.wait_for_selector(f"#line td:text-is('{number}')")
    page.keyboard.press("n")  # call next
    page.wait_for_selector(f"#current-number:text-is('{number}')")
    assert number in page.locator("#message").inner_text()
    page.keyboard.press("s")  # start
    page.wait_for_selector("#current dd:has-text('対応中')")
    screenshot(page, "console")

    # Transfer to the next (staff-only) step, reason typed from the list.
    page.get_by_label("回付先").select_option("")
    page.get_by_label("理由 (選ぶか入力)").fill("審査・決定が必要 (needs review and decision)")
    page.get_by_role("button", name="回付する").click()
    page.wait_for_selector("#current-number-none")
    assert "へ回しました" in page.locator("#message").inner_text()
    # The contractor's line no longer shows the ticket: its step is staff-only now.
    assert page.locator(f"#line td:text-is('{number}')").count() == 0
    # Typing the staff counter's address is refused with the reason.
    response = page.goto(f"{base}/staff/counter/6/")
    assert response.status == 403
    assert "staff-only counter" in page.locator("[role=alert]").inner_text()
    contractor_ctx.close()

    staff_ctx, page = _sign_in(browser, base, "municipal", "municipal-demo-pass")
    _open_console(page, base, 6)
    page.wait_for_selector(f"#line td:text-is('{number}')")
    assert "審査・決定" in page.locator("#line").inner_text()
    page.keyboard.press("n")
    page.wait_for_selector(f"#current-number:text-is('{number}')")
    page.keyboard.press("c")  # complete
    page.wait_for_selector("#current-number-none")
    assert "完了しました" in page.locator("#message").inner_text()
    staff_ctx.close()

    status = httpx.get(f"{base}/api/v1/tickets/status/{issued['token']}/", timeout=10).json()
    assert status["status"] == "completed"

    # (not マイナンバーカード: its walk-in tickets end at 16:30, and this runs at any hour)
    for code in ("juminhyo", "juminhyo", "koseki", "tennyu", "kokuho", "fukushi"):
        _issue(base, code)  # a lobby with people waiting, for the dashboard's screenshot
    sup_ctx, page = _sign_in(browser, base, "supervisor", "supervisor-demo-pass")
    page.goto(f"{base}/supervisor/")
    assert page.locator("h1").inner_text().startswith("監督ダッシュボード")
    assert page.get_by_role("row", name="職員 Staff-only").count() == 1
    screenshot(page, "dashboard")
    page.goto(f"{base}/supervisor/history/")
    # The completed ticket is counted as served at 転入届 (at its staff-only step).
    row = page.get_by_role("row").filter(has_text="転入届")
    assert row.locator("td").nth(1).inner_text() == "1"
    sup_ctx.close()


def test_second_console_gets_a_clear_conflict_message(live_server, browser):
    base = live_server.url
    number = _issue(base, "nenkin")["ticket"]
    ctx_a, a = _sign_in(browser, base, "contractor", "contractor-demo-pass")
    _open_console(a, base, 3)
    ctx_b, b = _sign_in(browser, base, "contractor", "contractor-demo-pass")
    _open_console(b, base, 4)
    a.wait_for_selector(f"#line td:text-is('{number}')")
    a.keyboard.press("g")  # console A calls it by number
    a.keyboard.type(number)
    a.keyboard.press("Enter")
    a.wait_for_selector(f"#current-number:text-is('{number}')")
    # Console B, which still saw the ticket waiting, asks for it by number.
    b.keyboard.press("g")
    b.keyboard.type(number)
    b.keyboard.press("Enter")
    b.wait_for_selector("#error:not([hidden])")
    text = b.locator("#error").inner_text()
    assert "他の操作と重なりました" in text and number in text and "not waiting" in text
    # Nothing was lost: A still holds the ticket.
    assert a.locator("#current-number").inner_text() == number
    ctx_a.close()
    ctx_b.close()
