"""My Number card pickup booking in a real browser, against a real server process.

A resident follows the QR poster's link (the poster shows the hours and what to
bring, its QR code 6 cm at least when printed), books in Japanese with the keyboard
alone (the date of birth typed as 平成2 / 7 / 15), sees every date with its weekday
(12月8日(火)), gets the confirmation with its code and QR code, and cancels through
the private manage link (a confirm button, never a bare GET). Every page on
the way passes axe-core (no serious or critical WCAG 2.1 AA violation) in
Japanese and in English.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

BOOKING = "/book/demo/mynumber/"
TIMEOUT = 10_000
AXE_OPTIONS = {
    "runOnly": {"type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
LOCALES = {"ja": "ja-JP", "en": "en-US"}
# (notice, email) per language, so the two runs never share a notice number.
RESIDENT = {"ja": ("KAN-100001", "hanako@example.jp"), "en": ("ENG-100002", "tom@example.jp")}
# The date of birth as typed in its three inputs: 平成2年7月15日 and 1985-04-01.
BIRTH_DATE = {"ja": ("平成2", "7", "15"), "en": ("1985", "4", "1")}
BIRTH_DATE_STORED = {"ja": "1990-07-15", "en": "1985-04-01"}
# A day with its weekday: 12月8日(火) / Tue, Dec 8.
WITH_WEEKDAY = {"ja": r"\d{1,2}月\d{1,2}日\([月火水木金土日]\)",
                "en": r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}"}
BIRTH_DATE_OF = """
from appointments.models import Booking
print(Booking.objects.get(notice_reference={notice!r}).birth_date.isoformat())
"""


def assert_accessible(page, what: str) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    blocking = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:4]]}"
                for v in violations if v["impact"] in ("serious", "critical")]
    assert not blocking, f"axe-core on {what} ({page.url}):\n" + "\n".join(blocking)


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches the selector (keyboard only, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


@pytest.fixture(scope="module")
def schedule(live_server):
    """The demo office's booking schedule and slots (idempotent command)."""
    result = live_server.manage("appointments_demo", check=False)
    assert result.returncode == 0, result.stderr
    return live_server


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_book_by_keyboard_through_the_qr_link_and_cancel_through_the_manage_link(
        schedule, browser, screenshot, lang):
    base = schedule.url
    context = browser.new_context(locale=LOCALES[lang], viewport={"width": 1024, "height": 900})
    page = context.new_page()
    notice, email = RESIDENT[lang]

    # The poster's QR code points at the booking page.
    page.goto(f"{base}{BOOKING}poster/?lang={lang}")
    assert page.locator("svg.qr").count() == 1
    assert f"{base}{BOOKING}" in page.locator(".url").inner_text()
    assert page.locator(".poster-lines li").count() == 8
    expect(page.locator(".poster-hours dt").first).to_have_text(
        "月曜日〜水曜日" if lang == "ja" else "Monday to Wednesday")
    expect(page.locator(".poster-bring .bring li")).to_have_count(4)
    assert_accessible(page, f"the poster ({lang})")
    page.emulate_media(media="print")  # printed, the QR code is 6 cm wide at least
    box = page.locator(".poster-qr svg.qr").bounding_box()
    assert min(box["width"], box["height"]) >= 60 / 25.4 * 96, box
    page.emulate_media(media="screen")

    # 1. Calendar: the QR link opens it (the browser's language decides when no ?lang).
    page.goto(f"{base}{BOOKING}" + ("" if lang == "ja" else "?lang=en"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    heading = "日を選んでください" if lang == "ja" else "Choose a day"
    expect(page.locator("caption")).to_have_text(heading)
    assert_accessible(page, f"the calendar ({lang})")
    if lang == "ja":
        screenshot(page, "booking")
    tab_to(page, "a.day.open")
    page.keyboard.press("Enter")

    # 2. A time of that day, the day written with its weekday.
    expect(page.locator("a.slot").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("h1")).to_have_text(re.compile(WITH_WEEKDAY[lang] + "$"))
    assert_accessible(page, f"the times of a day ({lang})")
    tab_to(page, "a.slot")
    chosen = page.evaluate("document.activeElement.textContent").split()[0]
    page.keyboard.press("Enter")

    # 3. Details: a 12-digit number is refused, explained, and not echoed back.
    expect(page.locator("#id_notice_reference")).to_be_visible(timeout=TIMEOUT)
    tab_to(page, "#id_notice_reference")
    page.keyboard.type("1234 5678 9012")
    for part, typed in enumerate(BIRTH_DATE[lang]):  # 年/月/日, 和暦 in Japanese
        tab_to(page, f"#id_birth_date_{part}")
        page.keyboard.type(typed)
    tab_to(page, "#id_email")
    page.keyboard.type(email)
    tab_to(page, "#id_party_size")
    page.keyboard.press("ArrowDown")  # 2 people
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible(timeout=TIMEOUT)
    expect(refusal).to_contain_text("12桁" if lang == "ja" else "12-digit")
    assert page.locator("#id_notice_reference").input_value() == ""
    assert page.locator("#id_email").input_value() == email  # nothing else is lost
    assert_accessible(page, f"the details form with a refusal ({lang})")
    tab_to(page, "#id_notice_reference")
    page.keyboard.type(notice)
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")

    # 4. Confirm the held time.
    page.wait_for_url(re.compile(r"/book/hold/"), timeout=TIMEOUT)
    expect(page.locator(".summary")).to_contain_text(notice)
    assert_accessible(page, f"the confirm page ({lang})")
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")

    # Confirmation: code, time, what to bring, QR code for the kiosk, manage link.
    page.wait_for_url(re.compile(r"/book/manage/"), timeout=TIMEOUT)
    code = page.locator("#booking-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(page.locator("svg.qr")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text(
        re.compile(WITH_WEEKDAY[lang] + " " + re.escape(chosen)))
    expect(page.locator(".bring li")).to_have_count(4)
    assert_accessible(page, f"the confirmation ({lang})")
    if lang == "ja":
        screenshot(page, "booking_confirmation")
    manage_url = page.url
    # Changing the time: the other times are listed with their weekday too.
    page.goto(manage_url.replace("?", "change/?"))
    expect(page.locator("a.slot").first).to_contain_text(re.compile(WITH_WEEKDAY[lang]))
    assert_accessible(page, f"the change page ({lang})")
    page.goto(manage_url)
    stored = schedule.manage("shell", "-c", BIRTH_DATE_OF.format(notice=notice), check=False)
    assert stored.stdout.split()[-1] == BIRTH_DATE_STORED[lang], stored.stderr

    # Cancel through the manage link: the link opens a confirm page; only the button cancels.
    tab_to(page, "a.button.danger")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cancel/"), timeout=TIMEOUT)
    assert_accessible(page, f"the cancel confirmation ({lang})")
    page.goto(manage_url)
    expect(page.locator("svg.qr")).to_be_visible()  # visiting the cancel page cancelled nothing
    page.goto(manage_url.replace("?", "cancel/?"))
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("[role=status]")).to_contain_text(code, timeout=TIMEOUT)
    page.goto(manage_url)
    expect(page.locator("h1")).to_have_text(
        "この予約は取り消されました" if lang == "ja" else "This booking is cancelled")
    assert page.locator("svg.qr").count() == 0
    context.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_impossible_birth_date_is_refused_in_plain_words(schedule, browser, lang):
    """昭和64年1月8日 was 平成元年: the form says so in the page's language, keeps what was
    typed, and stays accessible with the error shown."""
    context = browser.new_context(locale=LOCALES[lang], viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{schedule.url}{BOOKING}?lang={lang}")
    page.locator("a.day.open").first.click()
    page.locator("a.slot").first.click()
    page.locator("#id_notice_reference").fill("SHO-640108")
    for part, typed in enumerate(("昭和64", "1", "8")):
        page.locator(f"#id_birth_date_{part}").fill(typed)
    page.locator("#id_email").fill("showa@example.jp")
    page.locator("form button[type=submit]").click()
    error = page.locator("fieldset.field .error")
    expect(error).to_have_text("正しい生年月日を入力してください。" if lang == "ja"
                               else "Enter a real date of birth.", timeout=TIMEOUT)
    expect(page.locator("#id_birth_date_0")).to_have_value("昭和64")
    assert_accessible(page, f"the details form with an impossible birth date ({lang})")
    context.close()
