"""The booking admin in Asia/Tokyo time, and the slot generation action saying what it did."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from appointments.models import Slot

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def nine_oclock(slot_factory):
    """A slot starting 09:00 Tokyo (00:00 UTC) ten days ahead."""
    return slot_factory(at(timezone.localdate() + datetime.timedelta(days=10), 9))


def test_a_nine_oclock_slot_reads_nine_oclock_in_the_changelist(clerk, nine_oclock):
    page = clerk.get("/admin/appointments/slot/").content.decode()
    day = timezone.localtime(nine_oclock.start).date()
    assert f"{day.year}年{day.month}月{day.day}日9:00" in page  # ja date format, Tokyo time
    assert f"{day.month}月{day.day}日0:00" not in page  # not UTC


def test_a_nine_oclock_slot_reads_and_saves_as_nine_oclock_in_the_change_form(clerk,
                                                                              nine_oclock):
    url = f"/admin/appointments/slot/{nine_oclock.pk}/change/"
    page = clerk.get(url).content.decode()
    day = timezone.localtime(nine_oclock.start).date()
    assert re.search(r'name="start_1"[^>]*value="09:00:00"|value="09:00:00"[^>]*name="start_1"',
                     page)
    assert f'value="{day.isoformat()}"' in page
    response = clerk.post(url, {"schedule": nine_oclock.schedule_id,
                                "start_0": day.isoformat(), "start_1": "09:30:00",
                                "end_0": day.isoformat(), "end_1": "10:00:00", "capacity": 2})
    assert response.status_code == 302, response.content.decode()[:3000]
    nine_oclock.refresh_from_db()
    assert timezone.localtime(nine_oclock.start).time() == datetime.time(9, 30)
    assert nine_oclock.start.astimezone(datetime.UTC).time() == datetime.time(0, 30)


def test_a_slots_label_elsewhere_in_the_admin_is_in_tokyo_time_too(nine_oclock):
    """Bookings' slot column and the slot choices use the slot's label: read from the
    database (in UTC) it still says 09:00."""
    assert " 09:00 " in str(Slot.objects.get(pk=nine_oclock.pk))


def test_the_generate_slots_action_reports_in_a_sentence(clerk, schedule):
    response = clerk.post("/admin/appointments/schedule/", {
        "action": "generate_slots", "_selected_action": [schedule.pk]}, follow=True)
    [message] = [str(m) for m in get_messages(response.wsgi_request)] or [""]
    created = Slot.objects.filter(schedule=schedule).count()
    assert created > 0
    assert f"予約枠を{created}件作成" in message and message.endswith("変更していません。")
    assert "{" not in message and "created" not in message
