"""A city sets up a branch through its pages alone, in Japanese, against a real server process
and a real SMTP server (aiosmtpd): the city-wide supervisor adds the branch, a service with
two steps, a contractor counter (委託) and a staff counter (職員), the contract with the demo
contractor's company and a kiosk; the branch's kiosk issues a ticket for the new service;
the contractor of that company is offered the branch's contractor counter only, and a
contractor of another company cannot sign in at the branch at all. Then a closure saved in
the admin for a booked day lists the booking, and the scheduled job e-mails the resident the
link to rebook. The screenshots are docs/admin.md's."""

import datetime
import json
import re

import pytest
from playwright.sync_api import expect

from demo.city_hall import ADMIN, CONTRACTOR_COMPANY
from tests.e2e.test_booking_closure import BOOKED_DAY, close_the_booked_day

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
TIMEOUT = 10_000
PASSWORDS = {"contractor": "contractor-demo-pass", "contractor2": "contractor2-demo-pass",
             ADMIN[0]: ADMIN[1]}
RESIDENT = "hanako@example.jp"  # BOOKED_DAY's booking


@pytest.fixture(scope="module")
def live_server(mailing_server):
    """A server sending e-mail to the module's own SMTP server (aiosmtpd)."""
    return mailing_server


def sign_in(new_context, base: str, username: str):
    """A Japanese browser signed in as the account through the sign-in page."""
    page = new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORDS[username])
    page.locator("form.login button[type=submit]").click()
    page.wait_for_url(f"{base}/staff/")
    return page


def save(page) -> None:
    page.get_by_role("button", name="保存").click()


def counter_ids(live_server, office_code: str) -> dict[int, int]:
    out = live_server.manage("shell", "-c", (
        "import json; from queueing.models import Counter; print(json.dumps({c.number: c.id "
        f"for c in Counter.objects.filter(office__code='{office_code}')}}))")).stdout
    return {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}


def test_a_supervisor_sets_up_a_branch_through_the_pages_and_its_kiosk_issues_a_ticket(
        live_server, new_context, screenshot):
    base = live_server.url
    boss = sign_in(new_context, base, ADMIN[0])
    boss.get_by_role("link", name="設定").click()
    expect(boss.locator("h1")).to_contain_text("設定")

    # The branch.
    boss.get_by_role("link", name="庁舎を追加").click()
    boss.get_by_label("コード").fill("minami")
    boss.get_by_label("庁舎名").fill("みどり市役所 南支所")
    save(boss)
    expect(boss.locator("p.notice")).to_contain_text("庁舎「みどり市役所 南支所」を追加しました")
    expect(boss.locator("h1")).to_contain_text("南支所")

    # A service with two steps: the contractor's reception, then the staff's review.
    boss.get_by_role("link", name="手続きを追加").click()
    boss.get_by_label("コード").fill("tennyu")
    boss.get_by_label("名称 (日本語)").fill("転入届")
    boss.get_by_label("番号札の記号").fill("T")
    boss.locator("#id_steps-0-name").fill("受付・入力")
    boss.locator("#id_steps-0-kind").select_option(label="委託窓口")
    boss.locator("#id_steps-1-name").fill("審査")
    boss.locator("#id_steps-1-kind").select_option(label="職員窓口")
    screenshot(boss, "setup-service")
    save(boss)
    expect(boss.locator("#setup-services")).to_contain_text(
        "1. 受付・入力 (委託窓口) → 2. 審査 (職員窓口)")

    # Two counters serving it: 1 run by the contractor, 2 by the city's staff.
    for number, kind in ((1, "委託"), (2, "職員")):
        boss.get_by_role("link", name="窓口を追加").click()
        boss.get_by_label("窓口番号").fill(str(number))
        boss.get_by_label("表示名").fill(f"南 {number}")
        boss.get_by_label(kind, exact=True).check()
        boss.get_by_label("T 転入届").check()
        if number == 1:
            screenshot(boss, "setup-counter")
        save(boss)
        expect(boss.locator("p.notice")).to_contain_text(f"{number}番窓口を追加しました")
    expect(boss.locator("#setup-counters tr[data-kind=outsourced]")).to_contain_text("T 転入届")
    expect(boss.locator("#setup-counters tr[data-kind=staff_only]")).to_contain_text("T 転入届")

    # The contract with the demo contractor's company.
    boss.get_by_role("link", name="契約を追加").click()
    boss.get_by_label("委託事業者").select_option(label=CONTRACTOR_COMPANY)
    boss.get_by_label("契約名").fill("南支所 窓口業務委託契約")
    today = datetime.date.today()
    boss.get_by_label("契約開始日").fill((today - datetime.timedelta(days=1)).isoformat())
    boss.get_by_label("契約終了日").fill((today + datetime.timedelta(days=365)).isoformat())
    save(boss)
    expect(boss.locator("#setup-contracts")).to_contain_text(CONTRACTOR_COMPANY)

    # A kiosk: its address (with its key) is shown once.
    boss.get_by_role("link", name="発券機・呼出表示を追加").click()
    boss.get_by_label("発券機", exact=True).check()
    boss.get_by_label("名称").fill("南支所 1階 発券機")
    save(boss)
    kiosk_address = boss.locator("#device-address").get_attribute("href")
    assert re.search(r"/kiosk/[^/]+/$", kiosk_address)
    boss.get_by_role("link", name="設定へ戻る").click()
    expect(boss.locator("#setup-devices")).to_contain_text("南支所 1階 発券機")
    screenshot(boss, "setup-branch")

    # The branch's kiosk issues a ticket for the new service, numbered for the branch.
    kiosk = new_context(locale="ja-JP", viewport={"width": 1280, "height": 1000}).new_page()
    kiosk.goto(kiosk_address + "?lang=ja")
    kiosk.locator("button.service", has_text="転入届").click()
    kiosk.wait_for_url(re.compile(r"/kiosk/[^/]+/ticket/[^/]+/"), timeout=TIMEOUT)
    expect(kiosk.locator("#ticket-number")).to_have_text("T001")
    screenshot(kiosk, "setup-branch-ticket")

    # The company's contractor is offered the branch's contractor counter, never its staff one.
    ids = counter_ids(live_server, "minami")
    own = sign_in(new_context, base, "contractor")
    assert own.locator(f"a[href='/staff/counter/{ids[1]}/']").count() == 1
    assert own.locator(f"a[href='/staff/counter/{ids[2]}/']").count() == 0

    # A contractor of another company cannot sign in at the branch's counters.
    other = sign_in(new_context, base, "contractor2")
    assert other.locator(f"a[href='/staff/counter/{ids[1]}/']").count() == 0
    response = other.goto(f"{base}/staff/counter/{ids[1]}/")
    assert response.status == 403
    expect(other.locator("p.error")).to_contain_text("このアカウントは働けません")
    screenshot(other, "setup-other-company-refused")


def test_a_closure_saved_for_a_booked_day_lists_the_booking_and_emails_the_resident(
        live_server, smtp, new_context, screenshot):
    inbox = smtp[2]
    made = live_server.manage("shell", "-c", BOOKED_DAY, check=False)
    assert made.returncode == 0, made.stderr
    booked = json.loads(made.stdout.strip().splitlines()[-1])
    confirmed = len(inbox.wait_for(RESIDENT, 1))  # BOOKED_DAY sends the confirmation

    clerk = sign_in(new_context, live_server.url, ADMIN[0])
    clerk.goto(f"{live_server.url}/admin/appointments/schedule/{booked['schedule']}/change/")
    close_the_booked_day(clerk, booked)
    screenshot(clerk, "setup-closure-lists-bookings", full_page=False)

    # The scheduled job's run: the resident gets the closure e-mail with the link to rebook.
    assert live_server.manage("bookings_notify", check=False).returncode == 0
    messages = inbox.wait_for(RESIDENT, confirmed + 1)
    assert len(messages) == confirmed + 1
    body = messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert f"/book/manage/{booked['token']}/" in body
    assert "休業" in messages[-1]["Subject"] + body
