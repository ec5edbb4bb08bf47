"""The hybrid hand-off, counter presence and the contract report, in Japanese, in a real
browser against a real server process (whose presence sweep runs every second).

1. A resident takes a 転入届 ticket at the kiosk; their phone opens its status page.
2. A contractor calls it at outsourced counter 3 and transfers it to the staff review with
   a reason and a note; the console says where it went, in words.
3. The municipal console at counter 6 shows the reason and the note in its line and when
   called; the resident's phone names the next step and where it happens.
4. The municipal clerk completes it with the units recorded; the supervisor's per-counter
   board shows who is at each counter by role only, and the contract report for the day
   shows the units and their amount.
5. The contractor's console is closed without signing out: counter 3 pauses by itself and
   the kiosk's estimate for 転入届 becomes "not known" (待ち時間は未定).
6. A console whose session ended goes to the sign-in page and comes back to its counter.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import server_group

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

KIOSK = "/kiosk/demo-kiosk-key/"
DISPLAY = "/display/demo-display-key/"
TIMEOUT = 10_000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "ja-JP"}
NOTE = "転出証明書あり。世帯主の変更も希望されています"
REASON = "審査・決定が必要 (needs review and decision)"


@pytest.fixture(scope="module")
def live_server():
    """A server process whose presence rules run fast: a closed console counts for 2 s, the
    sweep runs every second, consoles beat every 2 s."""
    group = server_group(COUNTER_PRESENCE_CLOSE_GRACE_SECONDS="2",
                         COUNTER_PRESENCE_SWEEP_SECONDS="1", COUNTER_HEARTBEAT_SECONDS="2")
    with group:
        yield group


def open_console(page, base: str, number: int) -> None:
    """From /staff/, open counter NUMBER's console and wait until it is live."""
    page.get_by_role("link", name=f"{number}番窓口").click()
    page.wait_for_url(f"{base}/staff/counter/*/")
    expect(page.locator("#connection")).to_contain_text("リアルタイム更新中", timeout=TIMEOUT)


def kiosk_button(page, name: str):
    return page.locator("button.service", has=page.locator(".name", has_text=name))


def test_hand_off_presence_and_contract_report_in_japanese(live_server, new_context,
                                                          staff_sign_in, screenshot):
    base = live_server.url

    # 1. The kiosk in Japanese: 転入届 (reception by the contractor, then staff review).
    kiosk = new_context(locale="ja-JP", viewport={"width": 1280, "height": 800}).new_page()
    kiosk.goto(base + KIOSK)
    expect(kiosk.locator("html")).to_have_attribute("lang", "ja")
    expect(kiosk_button(kiosk, "転入届")).to_contain_text("待ち時間は未定")  # nobody at a counter
    kiosk_button(kiosk, "転入届").click()
    kiosk.wait_for_url(re.compile(r"/kiosk/demo-kiosk-key/ticket/[^/]+/"))
    number = kiosk.locator("#ticket-number").inner_text()
    status_url = kiosk.locator("svg.qr").get_attribute("data-qr")
    phone = new_context(**PHONE).new_page()
    phone.goto(status_url)
    expect(phone.locator("#ticket-number")).to_have_text(number)
    expect(phone.locator("#connection")).to_have_attribute("data-live", "1", timeout=TIMEOUT)
    expect(phone.locator("#next-step")).to_be_hidden()

    # 2. The contractor calls it at counter 3 and hands it to the staff review.
    _, contractor = staff_sign_in("contractor")
    open_console(contractor, base, 3)
    expect(contractor.locator("#line")).to_contain_text(number, timeout=TIMEOUT)
    contractor.keyboard.press("n")
    expect(contractor.locator("#current-number")).to_have_text(number, timeout=TIMEOUT)
    expect(contractor.locator("#current-next")).to_have_text("審査・決定 (職員窓口)")
    expect(contractor.locator("#btn-complete")).to_contain_text("完了して 審査・決定 (職員窓口) へ")
    contractor.keyboard.press("s")
    expect(contractor.locator("#current")).to_contain_text("対応中", timeout=TIMEOUT)
    contractor.get_by_label("回付先").select_option("")
    expect(contractor.locator("#transfer-target")).to_have_text(
        "回付先の手順 (goes to): 審査・決定 (職員窓口)")
    contractor.get_by_label("理由 (選ぶか入力)").fill(REASON)
    contractor.locator("#transfer-note").fill(NOTE)
    contractor.get_by_role("button", name="回付する").click()
    expect(contractor.locator("#message")).to_have_text(
        f"{number} は 審査・決定 (職員窓口) へ回しました。 Handed on to 審査・決定.",
        timeout=TIMEOUT)
    expect(contractor.locator("#current-number-none")).to_be_visible()
    expect(contractor.locator("#line")).not_to_contain_text(number)  # the hybrid rule

    # 3. The resident's phone names the next step and where it happens.
    expect(phone.locator("#next-step-name")).to_have_text("次の手続き: 審査・決定",
                                                          timeout=TIMEOUT)
    expect(phone.locator("#next-step-where")).to_have_text("6, 8番窓口でお呼びします。")
    expect(phone.locator("body")).not_to_contain_text("転出証明書")
    screenshot(phone, "handoff-status", full_page=False)

    #    The municipal console shows the reason and the note in its line and when called.
    _, staff = staff_sign_in("municipal")
    open_console(staff, base, 6)
    row = staff.locator("#line tr", has_text=number)
    expect(row).to_contain_text("3番 委託窓口から: " + REASON, timeout=TIMEOUT)
    expect(row).to_contain_text(NOTE)
    staff.keyboard.press("n")
    expect(staff.locator("#current-number")).to_have_text(number, timeout=TIMEOUT)
    hand_off = staff.locator("#hand-off")
    expect(hand_off).to_contain_text("3番窓口 委託窓口 · 受付・入力 → 審査・決定 (職員窓口)")
    expect(hand_off.locator(".hand-off-reason")).to_have_text(f"理由 Reason: {REASON}")
    expect(hand_off.locator(".hand-off-note")).to_have_text(f"メモ Note: {NOTE}")
    expect(phone.locator("#called-text")).to_have_text("6番窓口へお越しください",
                                                       timeout=TIMEOUT)
    screenshot(staff, "handoff-console", full_page=False)

    #    The supervisor's board: who is at each counter, by role only, never by name.
    _, dashboard = staff_sign_in("supervisor", viewport={"width": 1280, "height": 900})
    dashboard.goto(f"{base}/supervisor/")
    expect(dashboard.locator("#connection")).to_contain_text("リアルタイム更新中",
                                                             timeout=TIMEOUT)
    expect(board_row(dashboard, 3).locator(".staffed")).to_have_text("委託 Contractor")
    expect(board_row(dashboard, 6).locator(".staffed")).to_have_text("職員 Municipal staff")
    expect(board_row(dashboard, 6)).to_contain_text(f"{number} 転入届 (呼出中)")
    expect(dashboard.locator("#counter-board")).not_to_contain_text("太郎")  # 委託 太郎
    # (the figures are redrawn by each pushed frame, so scroll by script, not by a handle)
    dashboard.evaluate("document.getElementById('counters-heading').scrollIntoView()")
    screenshot(dashboard, "supervisor-counters", full_page=False)

    # 4. The clerk completes with the units recorded (the step's default, one key: C).
    staff.keyboard.press("s")
    expect(staff.locator("#current")).to_contain_text("対応中", timeout=TIMEOUT)
    expect(staff.get_by_label("転入届 審査・決定 (職員)")).to_have_value("1")
    staff.keyboard.press("c")
    expect(staff.locator("#message")).to_contain_text(f"{number} の対応を完了しました",
                                                      timeout=TIMEOUT)
    expect(phone.locator("#status-text")).to_have_text("ありがとうございました。手続きは終わりました。",
                                                       timeout=TIMEOUT)

    #    The contract report of the month: today's units and their amount.
    report = dashboard.context.new_page()
    report.set_viewport_size({"width": 1280, "height": 900})
    report.goto(f"{base}/supervisor/contract/")
    reception = report.locator('#contract-units tr[data-unit="tennyu-reception"]')
    expect(reception.locator(".quantity")).to_have_text("1")
    expect(reception.locator(".amount")).to_have_text("1,200")  # 1 × 1,200 円 (demo price)
    review = report.locator('#contract-units tr[data-unit="tennyu-review"]')
    expect(review.locator("td").last).to_have_text("1")  # the staff's own: counted, not billed
    today = report.locator(f'#contract-days tr[data-day="{tokyo_today()}"]')
    expect(today.locator('td[data-unit="tennyu-reception"]')).to_have_text("1")
    assert int(today.locator("td.amount").inner_text().replace(",", "")) >= 1200  # + open time
    screenshot(report, "contract-report", full_page=False)

    # 5. Counter 3 is open with the contractor's console; the kiosk has an estimate.
    kiosk.goto(base + KIOSK)
    expect(kiosk_button(kiosk, "転入届")).to_contain_text("約", timeout=TIMEOUT)
    display = new_context(viewport={"width": 1280, "height": 800}).new_page()
    display.goto(base + DISPLAY)
    display.wait_for_function("window.madoguchiDisplay && madoguchiDisplay.state.version !== null",
                              timeout=TIMEOUT)
    #    The console is closed without signing out: counter 3 pauses by itself, says why,
    #    and nobody being at any counter for 転入届's first step, its wait is not known.
    contractor.close()
    expect(board_row(dashboard, 3).locator(".staffed")).to_contain_text("不在", timeout=TIMEOUT)
    expect(board_row(dashboard, 3)).to_contain_text("休憩中")
    kiosk.goto(base + KIOSK)
    expect(kiosk_button(kiosk, "転入届")).to_contain_text("待ち時間は未定")
    tennyu = display.locator("#queues tr", has_text="転入届")
    expect(tennyu.locator("td.wait")).to_contain_text("未定", timeout=TIMEOUT)

    # 6. The municipal clerk signs out in another tab: the console at counter 6 goes to the
    #    sign-in page, and signing in again brings the clerk back to counter 6.
    console_url = staff.url
    other = staff.context.new_page()
    other.goto(f"{base}/staff/")
    other.get_by_role("button", name="ログアウト").click()
    other.wait_for_url(f"{base}/staff/login/")
    staff.wait_for_url(re.compile(r"/staff/login/\?expired=1&next="), timeout=TIMEOUT)
    expect(staff.locator("#expired")).to_be_visible()
    staff.locator("#id_username").fill("municipal")
    staff.locator("#id_password").fill("municipal-demo-pass")
    staff.locator("form.login button[type=submit]").click()
    staff.wait_for_url(console_url, timeout=TIMEOUT)
    expect(staff.locator("#connection")).to_contain_text("リアルタイム更新中", timeout=TIMEOUT)
    expect(staff.locator("#counter-reason")).to_contain_text("サインアウトしました")


def board_row(page, number: int):
    """The supervisor's live board row of a counter (pushed over the dashboard's socket)."""
    return page.locator(f'#counter-board tr[data-counter="{number}"]')


def tokyo_today() -> str:
    import datetime
    from zoneinfo import ZoneInfo

    return datetime.datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat()
