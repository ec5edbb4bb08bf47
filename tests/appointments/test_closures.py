"""A closure or a changed opening saved in the admin takes effect at once: the slots are
regenerated in the same request, the bookings inside the closure are kept, listed to the
clerk and marked, and their residents are e-mailed once with the link to rebook."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.utils import timezone

from appointments import openings, selectors, services
from appointments.models import Booking, Notification, Slot, WeeklyRule
from queueing.errors import Conflict, QueueError
from tests.appointments.conftest import at
from tests.conftest import need

pytestmark = pytest.mark.django_db
DOB = datetime.date(1985, 4, 1)


def open_weekday(schedule, ahead: int = 10) -> datetime.date:
    """The first weekday at least ``ahead`` days from today that is no holiday."""
    day = timezone.localdate() + datetime.timedelta(days=ahead)
    while day.weekday() > 4 or openings.closed_reason(schedule=schedule, day=day):
        day += datetime.timedelta(days=1)
    return day


def book(slot, notice="ABC-123456", **kw) -> Booking:
    return services.booking_create(slot=slot, notice_reference=notice, birth_date=DOB,
                                   email=kw.pop("email", "hanako@example.jp"), **kw)


def schedule_form(schedule, closed_days=(), hours=None) -> dict:
    """The admin's change form of a schedule as the browser posts it: the schedule's fields,
    its weekly rules (``hours`` replaces their opening and closing), the closures given."""
    data = {f: getattr(schedule, f) for f in (
        "slot_minutes", "earliest_days", "latest_days", "same_day_cutoff_minutes",
        "change_deadline_days", "late_arrival_minutes", "early_check_in_minutes",
        "max_party", "hold_minutes", "horizon_days", "retention_days")}
    data.update(office=schedule.office_id, service=schedule.service_id, active="on",
                evening_cutoff=schedule.evening_cutoff.strftime("%H:%M"))
    rules = list(schedule.weekly_rules.all())
    data.update({"weekly_rules-TOTAL_FORMS": len(rules), "weekly_rules-INITIAL_FORMS": len(rules)})
    for i, rule in enumerate(rules):
        opens, closes = hours or (rule.opens, rule.closes)
        data.update({f"weekly_rules-{i}-id": rule.pk, f"weekly_rules-{i}-schedule": schedule.pk,
                     f"weekly_rules-{i}-weekday": rule.weekday,
                     f"weekly_rules-{i}-opens": opens.strftime("%H:%M"),
                     f"weekly_rules-{i}-closes": closes.strftime("%H:%M"),
                     f"weekly_rules-{i}-capacity": rule.capacity})
    existing = list(schedule.closed_days.all())
    data.update({"closed_days-TOTAL_FORMS": len(existing) + len(closed_days),
                 "closed_days-INITIAL_FORMS": len(existing),
                 "extra_openings-TOTAL_FORMS": 0, "extra_openings-INITIAL_FORMS": 0})
    for i, closure in enumerate(existing):
        data.update({f"closed_days-{i}-id": closure.pk,
                     f"closed_days-{i}-schedule": schedule.pk,
                     f"closed_days-{i}-date": closure.date.isoformat(),
                     f"closed_days-{i}-reason": closure.reason,
                     f"closed_days-{i}-DELETE": "on" if closure.date not in closed_days else ""})
    for i, (day, reason) in enumerate(closed_days.items() if isinstance(closed_days, dict)
                                      else [], start=len(existing)):
        data.update({f"closed_days-{i}-schedule": schedule.pk,
                     f"closed_days-{i}-date": day.isoformat(), f"closed_days-{i}-reason": reason})
    for prefix in ("weekly_rules", "closed_days", "extra_openings"):
        data.update({f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    return data


def save(clerk, schedule, **form):
    response = clerk.post(f"/admin/appointments/schedule/{schedule.pk}/change/",
                          schedule_form(schedule, **form), follow=True)
    assert response.redirect_chain, response.content.decode()[:3000]
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def booked_day(schedule):
    """Slots generated, and an English-speaking resident booked at 10:00 on an open weekday."""
    services.slots_generate(schedule=schedule)
    day = open_weekday(schedule)
    booking = book(Slot.objects.get(schedule=schedule, start=at(day, 10)), language="en")
    return day, booking


def test_a_closure_saved_in_the_admin_keeps_lists_and_marks_the_booked_slot(clerk, schedule,
                                                                             booked_day):
    day, booking = booked_day
    messages = save(clerk, schedule, closed_days={day: "システム停止"})
    kept = Slot.objects.get(pk=booking.slot_id)
    assert kept.closed and kept.seats_taken == 1 and str(kept).endswith(" 休業")
    # The day's free slots are gone at once; the booking is still booked, nothing removed.
    assert list(Slot.objects.filter(schedule=schedule, start__date=day)) == [kept]
    assert Booking.objects.get(pk=booking.pk).status == "booked"
    [listing] = [m for m in messages if booking.reference in m]
    assert "休業にした日時に予約が1件" in listing and "10:00" in listing
    assert f"{day.month}月{day.day}日" in listing and "メールでお知らせします" in listing
    assert "hanako" not in listing and "ABC-123456" not in listing  # no personal data


def test_the_resident_is_emailed_once_in_their_language_with_the_rebook_link(
        clerk, schedule, booked_day, settings):
    settings.PUBLIC_BASE_URL = "https://madoguchi.city.example.jp/"
    day, booking = booked_day
    services.bookings_notify()  # the confirmation
    mail.outbox.clear()
    save(clerk, schedule, closed_days={day: ""})
    first, second = services.bookings_notify(), services.bookings_notify()
    assert (first["closure"], second["closure"]) == (1, 0)
    [sent] = mail.outbox
    assert sent.to == ["hanako@example.jp"]
    assert "office is closed" in sent.subject and booking.reference in sent.subject
    link = f"https://madoguchi.city.example.jp/book/manage/{booking.token}/?lang=en"
    assert link in sent.body and "closed at the time of your booking" in sent.body
    assert Notification.objects.filter(booking=booking, kind="closure", channel="email").exists()


def test_the_manage_page_says_closed_and_the_resident_rebooks_even_after_the_deadline(
        client, clerk, schedule, booked_day):
    day, booking = booked_day
    schedule.change_deadline_days = 30  # the deadline has passed for this booking
    schedule.save()
    save(clerk, schedule, closed_days={day: ""})
    page = client.get(f"/book/manage/{booking.token}/?lang=en").content.decode()
    assert 'id="slot-closed"' in page and "The office is closed at your booked time" in page
    assert f"/book/manage/{booking.token}/change/?lang=en" in page
    later = Slot.objects.filter(schedule=schedule, closed=False, start__gt=at(day, 23)).first()
    moved = services.booking_change(booking=Booking.objects.get(pk=booking.pk), slot=later)
    assert moved.slot_id == later.pk
    assert Slot.objects.get(pk=booking.slot_id).seats_taken == 0


def test_nobody_can_book_a_closed_slot_and_reopening_it_sends_nothing(clerk, schedule,
                                                                      booked_day):
    day, booking = booked_day
    save(clerk, schedule, closed_days={day: ""})
    closed = Slot.objects.get(pk=booking.slot_id)
    with pytest.raises(Conflict) as refused:
        book(closed, notice="XYZ-000002")
    assert refused.value.code == "slot_closed"
    assert closed not in selectors.open_slots(schedule=schedule)
    messages = save(clerk, schedule)  # the closure deleted again: the day reopens
    assert not Slot.objects.get(pk=booking.slot_id).closed
    assert Slot.objects.filter(schedule=schedule, start__date=day).count() == 6
    assert not any(booking.reference in m for m in messages)
    assert services.bookings_notify()["closure"] == 0


def test_a_changed_opening_takes_effect_at_once_and_shorter_hours_close_a_booked_slot(
        clerk, schedule, booked_day):
    day, booking = booked_day
    messages = save(clerk, schedule, hours=(datetime.time(9), datetime.time(10)))
    # 9:00-10:00 on every weekday now: two slots a day, the booked 10:00 one kept and closed.
    assert Slot.objects.filter(schedule=schedule, start__date=day, closed=False).count() == 2
    assert Slot.objects.get(pk=booking.slot_id).closed
    assert any(booking.reference in m for m in messages)
    assert WeeklyRule.objects.filter(schedule=schedule, closes=datetime.time(10)).count() == 5


def test_a_held_slot_inside_a_closure_cannot_be_confirmed(clerk, schedule, booked_day):
    day, _booking = booked_day
    hold = services.booking_hold(slot=Slot.objects.get(schedule=schedule, start=at(day, 11)),
                                 notice_reference="XYZ-000003", birth_date=DOB,
                                 email="taro@example.jp")
    messages = save(clerk, schedule, closed_days={day: ""})
    assert any(f"{hold.reference} " in m and "仮押さえ中: 確定はできません" in m for m in messages)
    with pytest.raises(QueueError) as refused:
        services.booking_confirm(booking=hold)
    assert refused.value.code == "slot_closed"


def test_a_phone_booking_without_email_is_listed_for_a_call(clerk, schedule, booked_day):
    day, _booking = booked_day
    by_phone = book(Slot.objects.get(schedule=schedule, start=at(day, 9)), notice="XYZ-000004",
                    email="", phone="090-1234-5678", channel="phone")
    messages = save(clerk, schedule, closed_days={day: ""})
    [listing] = [m for m in messages if by_phone.reference in m]
    assert "メールがありません。電話などでお知らせください" in listing
    assert "090" not in listing
    assert services.bookings_notify()["no_email"] >= 1


def test_the_closure_notice_reaches_a_real_smtp_server(clerk, schedule, booked_day, settings):
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        need(False, "this test needs aiosmtpd")
    from bench.servers import free_port

    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    day, booking = booked_day
    services.bookings_notify()  # the confirmation (locmem)
    save(clerk, schedule, closed_days={day: ""})
    controller = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        assert services.bookings_notify()["closure"] == 1
    finally:
        controller.stop()
    [envelope] = received
    assert envelope.rcpt_tos == ["hanako@example.jp"]
    body = envelope.content.decode()
    assert booking.reference in body and f"/book/manage/{booking.token}/" in body
