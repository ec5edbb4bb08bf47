"""Book in the browser, then check in at the kiosk with the booking code: a priority ticket.

The booking page and the kiosk page run on the same real server process. The
demo schedule is opened for same-day booking and given a slot a few minutes
from now, so the booking is inside its check-in window (30 minutes before
until 5 minutes after); the window decides, so this holds across midnight too.
"""

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 10_000
KIOSK = "/kiosk/demo-kiosk-key/"

SAME_DAY_SLOT = """
import datetime, json
from django.utils import timezone
from demo.bookings import appointments_demo_load
from appointments.models import Slot
schedule = appointments_demo_load()
schedule.earliest_days = 0
schedule.same_day_cutoff_minutes = 0
schedule.save()
start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=3)
slot = Slot.objects.create(schedule=schedule, start=start,
                           end=start + datetime.timedelta(minutes=30), capacity=2)
print(json.dumps({"slot": slot.id, "day": timezone.localdate(start).isoformat()}))
"""

TICKET_OF = """
from appointments.models import Booking
b = Booking.objects.select_related("ticket").get(reference={code!r})
print(b.status, b.ticket.priority, b.ticket.display_number, b.ticket.booking_reference)
"""


def test_book_then_check_in_at_the_kiosk_gets_a_priority_ticket(live_server, browser,
                                                                 screenshot):
    made = live_server.manage("shell", "-c", SAME_DAY_SLOT, check=False)
    assert made.returncode == 0, made.stderr
    slot = json.loads(made.stdout.strip().splitlines()[-1])
    base = live_server.url
    resident = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = resident.new_page()

    # Book through the pages: today's date, the slot, details, confirm.
    page.goto(f"{base}/book/demo/mynumber/{slot['day']}/?lang=en")
    page.locator(f"a.slot[href*='/slot/{slot['slot']}/']").click()
    page.locator("#id_notice_reference").fill("CHK-200001")
    for part, typed in enumerate(("1990", "7", "15")):  # 年/月/日
        page.locator(f"#id_birth_date_{part}").fill(typed)
    page.locator("#id_phone").fill("090-2222-3333")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/book/hold/"), timeout=TIMEOUT)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/book/manage/"), timeout=TIMEOUT)
    code = page.locator("#booking-code").inner_text()
    resident.close()

    # At the kiosk, the scanner types the code and Enter, wherever the focus is.
    kiosk = browser.new_page(viewport={"width": 1280, "height": 1000})
    kiosk.goto(f"{base}{KIOSK}?lang=en")
    kiosk.locator("h1").click()
    kiosk.keyboard.type(code)
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_url(re.compile(r"/ticket/[^/]+/"), timeout=TIMEOUT)
    number = kiosk.locator("#ticket-number").inner_text()
    assert number.startswith("M")
    expect(kiosk.locator("svg.qr")).to_be_visible()
    screenshot(kiosk, "booking_checkin_ticket")
    kiosk.close()

    # The ticket is the booking's, with appointment priority, waiting in the M queue.
    seen = live_server.manage("shell", "-c", TICKET_OF.format(code=code), check=False)
    assert seen.returncode == 0, seen.stderr
    status, priority, display_number, reference = seen.stdout.split()[-4:]
    assert (status, priority, display_number, reference) == ("checked_in", "2", number, code)

    # Scanning the same code again is refused with its own message.
    again = browser.new_page(viewport={"width": 1280, "height": 1000})
    again.goto(f"{base}{KIOSK}?lang=en")
    again.locator("h1").click()
    again.keyboard.type(code)
    again.keyboard.press("Enter")
    expect(again.locator("#message")).to_have_text(
        "You have already checked in. Please wait for your number.", timeout=TIMEOUT)
    assert again.url.endswith(f"{KIOSK}?lang=en")
    again.close()


SERVICE_HOURS = """
import datetime
from queueing.models import Service
Service.objects.filter(office__code="demo").update(available_until={until})
"""


def test_a_refused_check_in_offers_no_walk_in_when_none_can_be_issued(live_server, browser):
    """Every service's reception over for today: an unknown code gets what to do instead of
    the walk-in button (the button itself is tested in tests/e2e/test_kiosk.py)."""
    closed = live_server.manage("shell", "-c", SERVICE_HOURS.format(until="datetime.time(0)"),
                                check=False)
    assert closed.returncode == 0, closed.stderr
    try:
        kiosk = browser.new_page(viewport={"width": 1280, "height": 1000})
        kiosk.goto(f"{live_server.url}{KIOSK}?lang=en")
        kiosk.locator("h1").click()
        kiosk.keyboard.type("ZZZZ-9999")
        kiosk.keyboard.press("Enter")
        expect(kiosk.locator("#message")).to_have_text(
            "We could not find this booking. No ticket without a booking can be issued now. "
            "Please ask a staff member, or book another time.", timeout=TIMEOUT)
        assert kiosk.locator("#walk-in-offer").is_hidden()
        kiosk.close()
    finally:
        reopened = live_server.manage(
            "shell", "-c", "from demo.city_hall import demo_load; demo_load()", check=False)
        assert reopened.returncode == 0, reopened.stderr
