"""A clerk closes a booked day in the Japanese admin: the booking is listed on saving, kept,
its page says the day is closed, and the scheduled job e-mails the resident (console backend
of the real server, so the very message is read back) with the link to rebook."""

import json
import re

import pytest
from playwright.sync_api import expect

from demo.city_hall import ADMIN

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 10_000

BOOKED_DAY = """
import datetime, json
from django.utils import timezone
from demo.bookings import appointments_demo_load
from appointments import openings, services
from appointments.models import Slot
schedule = appointments_demo_load()
day = timezone.localdate() + datetime.timedelta(days=10)
while (day.weekday() > 4 or openings.closed_reason(schedule=schedule, day=day)
       or schedule.closed_days.filter(date=day).exists()):
    day += datetime.timedelta(days=1)
slot = Slot.objects.filter(schedule=schedule, start__date=day, closed=False).first()
b = services.booking_create(slot=slot, notice_reference="CLS-300001",
                            birth_date=datetime.date(1990, 7, 15), email="hanako@example.jp")
services.bookings_notify()
print(json.dumps({"schedule": schedule.pk, "day": day.isoformat(), "reference": b.reference,
                  "token": b.token}))
"""


def close_the_booked_day(page, booked: dict) -> None:
    """On the schedule's admin page: add the booked day as a closure, save, and see the
    booking listed with how its resident is told."""
    page.locator("#closed_days-group .add-row a").click()
    row = page.locator("#closed_days-group tr.dynamic-closed_days").last
    row.locator("input[name$='-date']").fill(booked["day"])
    row.locator("input[name$='-reason']").fill("庁舎の電気設備点検")
    page.locator("input[name=_continue]").click()
    listing = page.locator("ul.messagelist li.warning")
    expect(listing).to_contain_text("休業にした日時に予約が1件", timeout=TIMEOUT)
    expect(listing).to_contain_text(booked["reference"])
    expect(listing).to_contain_text("メールでお知らせします")


def test_a_closure_saved_for_a_booked_day_lists_the_booking_and_emails_the_resident(
        live_server, browser, screenshot):
    made = live_server.manage("shell", "-c", BOOKED_DAY, check=False)
    assert made.returncode == 0, made.stderr
    booked = json.loads(made.stdout.strip().splitlines()[-1])
    base = live_server.url

    clerk = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 1000})
    page = clerk.new_page()
    page.goto(f"{base}/admin/login/?next=/admin/appointments/schedule/{booked['schedule']}/change/")
    page.locator("#id_username").fill(ADMIN[0])
    page.locator("#id_password").fill(ADMIN[1])
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(r"/schedule/\d+/change/"), timeout=TIMEOUT)
    close_the_booked_day(page, booked)
    screenshot(page, "admin_closure_lists_bookings")
    clerk.close()

    # The scheduled job's send, through the server's own mail backend (the console).
    sent = live_server.manage("bookings_notify", check=False)
    assert sent.returncode == 0, sent.stderr
    assert "To: hanako@example.jp" in sent.stdout
    assert f"/book/manage/{booked['token']}/?lang=ja" in sent.stdout
    again = live_server.manage("bookings_notify", check=False)
    assert booked["token"] not in again.stdout  # told once

    resident = browser.new_page()
    resident.goto(f"{base}/book/manage/{booked['token']}/?lang=ja")
    expect(resident.locator("#slot-closed")).to_contain_text("ご予約の日時は休業です")
    expect(resident.locator("#slot-closed a").first).to_have_attribute(
        "href", re.compile(r"/change/"))
    resident.close()
