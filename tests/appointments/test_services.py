"""Booking rules: window, deadlines, the Individual Number refusal, seats, holds, check-in."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from appointments import services
from appointments.models import Booking, BookingEvent, Notification, Slot
from queueing.errors import Conflict, NotFound, QueueError
from queueing.models import Device, Office, RecordFailure, Ticket
from tests.appointments.conftest import at

TODAY = timezone.localdate
DOB = datetime.date(1985, 4, 1)


def days_ahead(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def book(slot, notice="ABC-123456", party=1, **kw):
    return services.booking_create(slot=slot, notice_reference=notice, birth_date=DOB,
                                   email=kw.pop("email", "hanako@example.jp"), party_size=party,
                                   **kw)


def booked_directly(slot, notice="XYZ-000001", party=1):
    """A booking written as if made earlier (for today's or past slots the window refuses)."""
    Slot.objects.filter(pk=slot.pk).update(seats_taken=slot.seats_taken + party)
    from appointments.references import booking_code_new

    return Booking.objects.create(slot=slot, office=slot.schedule.office,
                                  service=slot.schedule.service, status="booked",
                                  reference=booking_code_new(), party_size=party,
                                  notice_reference=notice, birth_date=DOB,
                                  created_at=timezone.now() - datetime.timedelta(days=5))


# --- window limits ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("ahead,ok", [(2, False), (3, True), (31, True), (32, False)])
def test_booking_window_is_3_to_31_days_ahead(slot_factory, ahead, ok):
    slot = slot_factory(at(days_ahead(ahead), 10))
    if ok:
        assert book(slot).status == "booked"
    else:
        with pytest.raises(QueueError) as e:
            book(slot)
        assert e.value.code == "outside_window"
        assert Slot.objects.get(pk=slot.pk).seats_taken == 0


@pytest.mark.django_db
def test_party_takes_as_many_seats_as_people_and_is_capped(future_slot):
    book(future_slot, party=2)
    assert Slot.objects.get(pk=future_slot.pk).seats_taken == 2
    with pytest.raises(QueueError) as e:
        book(future_slot, notice="ABC-999999", party=5)
    assert e.value.code == "party_too_large"


@pytest.mark.django_db
def test_full_slot_refuses_with_409(future_slot):
    book(future_slot, party=2)
    with pytest.raises(Conflict) as e:
        book(future_slot, notice="DEF-123456", party=1)
    assert e.value.code == "slot_full"


@pytest.mark.django_db
def test_database_refuses_overbooking_even_behind_the_services_back(future_slot):
    with pytest.raises(IntegrityError):
        Slot.objects.filter(pk=future_slot.pk).update(seats_taken=3)


@pytest.mark.django_db
def test_one_active_booking_per_notice_number(future_slot, slot_factory):
    other = slot_factory(at(days_ahead(11), 10))
    book(future_slot)
    with pytest.raises(Conflict) as e:
        book(other, notice="abc-123456")  # same notice, typed in lower case
    assert e.value.code == "already_booked"
    assert Slot.objects.get(pk=other.pk).seats_taken == 0  # seat given back


# --- the Individual Number ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [
    ("notice_reference", "123456789012"),
    ("notice_reference", "1234 5678 9012"),
    ("notice_reference", "１２３４－５６７８－９０１２"),  # full-width
    ("email", "123456789012@example.jp"),
    ("phone", "1234-5678-9012"),
])
def test_twelve_digit_number_is_refused_and_never_stored(future_slot, field, value):
    fields = {"notice_reference": "ABC-123456", "email": "a@example.jp", "phone": ""}
    fields[field] = value
    with pytest.raises(QueueError) as e:
        services.booking_create(slot=future_slot, birth_date=DOB, party_size=1, **fields)
    assert e.value.code == "individual_number"
    assert "12桁の個人番号" in e.value.detail  # explained in the page's language (default ja)
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_twelve_digit_refusal_is_explained_in_english_too(future_slot):
    with translation.override("en"), pytest.raises(QueueError) as e:
        book(future_slot, notice="123456789012")
    assert "12-digit Individual Number" in e.value.detail


@pytest.mark.django_db
def test_international_phone_number_is_not_mistaken_for_an_individual_number(future_slot):
    b = services.booking_create(slot=future_slot, notice_reference="ABC-123456", birth_date=DOB,
                                phone="+81 90-1234-5678", party_size=1)
    assert b.phone == "09012345678"


@pytest.mark.django_db
def test_a_save_with_twelve_digits_is_refused_and_the_database_backs_it_up(future_slot):
    from queueing.privacy import IndividualNumberRefused

    with pytest.raises(IndividualNumberRefused), transaction.atomic():
        Booking.objects.create(slot=future_slot, office=future_slot.schedule.office,
                               service=future_slot.schedule.service, reference="QQQQ-QQQQ",
                               party_size=1, phone="1234 5678 9012", created_at=timezone.now())
    b = booked_directly(future_slot)
    with pytest.raises(IntegrityError), transaction.atomic():  # update() skips the field
        Booking.objects.filter(pk=b.pk).update(phone="123456789012")


@pytest.mark.django_db
def test_notice_reference_format_is_explained(future_slot):
    with pytest.raises(QueueError) as e:
        book(future_slot, notice="AB-12345")
    assert e.value.code == "invalid_notice_reference"


# --- holds ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_expired_hold_frees_its_seats(future_slot):
    hold = services.booking_hold(slot=future_slot, notice_reference="ABC-123456", birth_date=DOB,
                                 email="a@example.jp", party_size=2)
    assert Slot.objects.get(pk=future_slot.pk).seats_taken == 2
    assert services.holds_release_expired()["expired"] == 0
    Booking.objects.filter(pk=hold.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.holds_release_expired()["expired"] == 1
    assert Slot.objects.get(pk=future_slot.pk).seats_taken == 0
    assert Booking.objects.get(pk=hold.pk).status == "expired"


@pytest.mark.django_db
def test_one_hold_that_cannot_be_released_never_blocks_the_others(slot_factory, future_slot):
    other_slot = slot_factory(at(days_ahead(11), 10))
    good, bad = (services.booking_hold(slot=slot, notice_reference=notice, birth_date=DOB,
                                       email="a@example.jp")
                 for slot, notice in ((future_slot, "ABC-123456"), (other_slot, "DEF-123456")))
    Booking.objects.filter(pk__in=(good.pk, bad.pk)).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    Slot.objects.filter(pk=other_slot.pk).update(seats_taken=0)  # giving back breaks the row
    first = services.holds_release_expired()
    assert (first["expired"], first["failed"]) == (1, 1)
    assert Booking.objects.get(pk=good.pk).status == "expired"
    assert Booking.objects.get(pk=bad.pk).status == "held"  # rolled back on its own
    failure = RecordFailure.objects.get(job="holds_release_expired")
    assert (failure.record, failure.attempt) == (f"booking {bad.pk}", 1)
    assert services.holds_release_expired()["retry_later"] == 1  # backed off, not retried


@pytest.mark.django_db
def test_confirming_a_hold_books_it_once(future_slot):
    hold = services.booking_hold(slot=future_slot, notice_reference="ABC-123456", birth_date=DOB,
                                 email="a@example.jp", party_size=1)
    services.booking_confirm(booking=hold)
    services.booking_confirm(booking=hold)
    assert Slot.objects.get(pk=future_slot.pk).seats_taken == 1
    assert list(BookingEvent.objects.filter(booking=hold).values_list("action", flat=True)) == [
        "held", "booked"]


# --- change and cancel deadlines ---------------------------------------------------


@pytest.mark.django_db
def test_cancel_before_deadline_gives_seats_back_and_is_audited(future_slot):
    b = book(future_slot, party=2)
    services.booking_cancel(booking=b)
    assert Slot.objects.get(pk=future_slot.pk).seats_taken == 0
    assert [(e.action, e.from_status, e.to_status) for e in b.events.all()] == [
        ("held", "", "held"), ("booked", "held", "booked"), ("cancelled", "booked", "cancelled")]


@pytest.mark.django_db
def test_resident_cannot_cancel_or_change_after_the_deadline(schedule, slot_factory):
    schedule.change_deadline_days = 5
    schedule.save()
    slot = slot_factory(at(days_ahead(4), 10))
    other = slot_factory(at(days_ahead(12), 10))
    b = book(slot)
    for action in (lambda: services.booking_cancel(booking=b),
                   lambda: services.booking_change(booking=b, slot=other)):
        with pytest.raises(Conflict) as e:
            action()
        assert e.value.code == "deadline_passed"
        assert "5日前" in e.value.detail
    assert Booking.objects.get(pk=b.pk).status == "booked"


@pytest.mark.django_db
def test_staff_may_cancel_after_the_deadline(schedule, slot_factory, municipal):
    schedule.change_deadline_days = 5
    schedule.save()
    b = book(slot_factory(at(days_ahead(4), 10)))
    assert services.booking_cancel(booking=b, by=municipal).status == "cancelled"


@pytest.mark.django_db
def test_change_moves_the_seats(future_slot, slot_factory):
    other = slot_factory(at(days_ahead(12), 10))
    b = book(future_slot, party=2)
    services.booking_change(booking=b, slot=other)
    assert (Slot.objects.get(pk=future_slot.pk).seats_taken,
            Slot.objects.get(pk=other.pk).seats_taken) == (0, 2)
    assert b.events.last().action == "changed"


# --- check-in ---------------------------------------------------------------------------


@pytest.fixture
def kiosk(office):
    return Device.objects.get(key="demo-kiosk-key")


@pytest.mark.django_db
def test_check_in_hands_a_priority_ticket_to_the_queue(slot_factory, kiosk):
    b = booked_directly(slot_factory(timezone.now() + datetime.timedelta(minutes=10)))
    ticket = services.booking_check_in(reference=f"  {b.reference.lower()}\n", device=kiosk)
    assert ticket.priority == Ticket.Priority.APPOINTMENT
    assert ticket.booking_reference == b.reference
    assert ticket.status == "waiting" and ticket.service.code == "mynumber"
    b.refresh_from_db()
    assert (b.status, b.ticket_id) == ("checked_in", ticket.id)
    assert b.events.last().device_id == kiosk.id


@pytest.mark.django_db
@pytest.mark.parametrize("minutes,code", [(120, "too_early"), (-10, "too_late"),
                                          (24 * 60, "wrong_day")])
def test_check_in_outside_the_window_is_refused(slot_factory, kiosk, clock, minutes, code):
    # A fixed 10:00: at the real time of day, 120 minutes ahead after 22:00 is tomorrow.
    clock.at("10:00")
    b = booked_directly(slot_factory(timezone.now() + datetime.timedelta(minutes=minutes)))
    assert (timezone.localdate(b.slot.start) == clock.DAY) == (code != "wrong_day")
    with pytest.raises(Conflict) as e:
        services.booking_check_in(reference=b.reference, device=kiosk)
    assert e.value.code == code
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_check_in_within_late_arrival_minutes_is_accepted(slot_factory, kiosk):
    b = booked_directly(slot_factory(timezone.now() - datetime.timedelta(minutes=4)))
    assert services.booking_check_in(reference=b.reference, device=kiosk).priority == 2


@pytest.mark.django_db
def test_check_in_twice_cancelled_unknown_or_other_office(slot_factory, kiosk):
    b = booked_directly(slot_factory(timezone.now() + datetime.timedelta(minutes=5)))
    services.booking_check_in(reference=b.reference, device=kiosk)
    with pytest.raises(Conflict) as e:
        services.booking_check_in(reference=b.reference, device=kiosk)
    assert e.value.code == "already_checked_in"
    with pytest.raises(NotFound) as e:
        services.booking_check_in(reference="ZZZZ-ZZZZ", device=kiosk)
    assert e.value.code == "booking_not_found"
    cancelled = booked_directly(slot_factory(timezone.now() + datetime.timedelta(minutes=35)),
                                notice="XYZ-000002")
    Booking.objects.filter(pk=cancelled.pk).update(status="cancelled")
    with pytest.raises(Conflict) as e:
        services.booking_check_in(reference=cancelled.reference, device=kiosk)
    assert e.value.code == "booking_cancelled"
    branch = Office.objects.create(code="branch", name="支所")
    other_kiosk = Device.objects.create(office=branch, type="kiosk", name="支所 発券機")
    fresh = booked_directly(slot_factory(timezone.now() + datetime.timedelta(minutes=65)),
                            notice="XYZ-000003")
    with pytest.raises(Conflict) as e:
        services.booking_check_in(reference=fresh.reference, device=other_kiosk)
    assert e.value.code == "wrong_office"


# --- sweeps: no-show, notifications, retention ------------------------------------------


@pytest.mark.django_db
def test_no_show_after_slot_plus_late_arrival(slot_factory):
    late = booked_directly(slot_factory(timezone.now() - datetime.timedelta(minutes=6)))
    still_ok = booked_directly(slot_factory(timezone.now() - datetime.timedelta(minutes=3)),
                               notice="XYZ-000002")
    assert services.bookings_mark_no_show()["no_show"] == 1
    assert Booking.objects.get(pk=late.pk).status == "no_show"
    assert Booking.objects.get(pk=still_ok.pk).status == "booked"
    assert late.events.last().action == "no_show"


@pytest.mark.django_db
def test_confirmation_and_reminder_are_sent_once(slot_factory, future_slot):
    book(future_slot)
    tomorrow = booked_directly(slot_factory(at(days_ahead(1), 10)), notice="XYZ-000002")
    Booking.objects.filter(pk=tomorrow.pk).update(email="taro@example.jp")
    first = services.bookings_notify()
    second = services.bookings_notify()
    assert first == {"confirmation": 2, "reminder": 1, "closure": 0, "no_email": 0,
                     "failed": 0, "retry_later": 0}
    assert second == {"confirmation": 0, "reminder": 0, "closure": 0, "no_email": 0,
                      "failed": 0, "retry_later": 0}
    assert len(mail.outbox) == 3
    assert Notification.objects.count() == 3
    assert any("reminder" in m.subject.lower() or "明日" in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_retention_erases_personal_data_and_keeps_counts(slot_factory):
    old = booked_directly(slot_factory(timezone.now() - datetime.timedelta(days=91)))
    Booking.objects.filter(pk=old.pk).update(status="completed", email="a@example.jp")
    recent = booked_directly(slot_factory(timezone.now() - datetime.timedelta(days=10)),
                             notice="XYZ-000002")
    assert services.bookings_erase_personal_data() == 1
    old.refresh_from_db()
    assert (old.notice_reference, old.birth_date, old.email, old.phone) == (None, None, "", "")
    assert (old.status, old.party_size) == ("completed", 1)
    assert Booking.objects.get(pk=recent.pk).notice_reference == "XYZ-000002"


@pytest.mark.django_db
def test_booking_a_full_slot_takes_the_seats_of_an_expired_hold(future_slot):
    hold = services.booking_hold(slot=future_slot, notice_reference="ABC-123456", birth_date=DOB,
                                 email="a@example.jp", party_size=2)
    with pytest.raises(Conflict):
        book(future_slot, notice="DEF-123456")
    Booking.objects.filter(pk=hold.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert book(future_slot, notice="DEF-123456").status == "booked"
    assert Booking.objects.get(pk=hold.pk).status == "expired"
    assert Slot.objects.get(pk=future_slot.pk).seats_taken == 1


@pytest.mark.django_db
def test_an_expired_hold_does_not_block_its_notice_number(future_slot, slot_factory):
    hold = services.booking_hold(slot=future_slot, notice_reference="ABC-123456", birth_date=DOB,
                                 email="a@example.jp", party_size=1)
    Booking.objects.filter(pk=hold.pk).update(
        hold_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert book(slot_factory(at(days_ahead(12), 10))).status == "booked"


@pytest.mark.django_db
def test_same_day_booking_closes_before_the_slot_when_allowed(schedule, slot_factory):
    schedule.earliest_days = 0
    schedule.same_day_cutoff_minutes = 60
    schedule.save()
    soon = slot_factory(timezone.now() + datetime.timedelta(minutes=30))
    with pytest.raises(QueueError) as e:
        book(soon)
    assert e.value.code == "outside_window"
    later = slot_factory(timezone.now() + datetime.timedelta(minutes=90))
    if timezone.localdate(later.start) == TODAY():
        assert book(later, notice="DEF-123456").status == "booked"


@pytest.mark.django_db
def test_completed_ticket_completes_the_booking_and_every_state_is_audited(
        slot_factory, kiosk, municipal):
    from queueing import services as queue
    from queueing.models import Counter

    b = booked_directly(slot_factory(timezone.now() + datetime.timedelta(minutes=10)))
    ticket = services.booking_check_in(reference=b.reference, device=kiosk)
    counter = Counter.objects.get(office=kiosk.office, number=5)
    called = queue.ticket_call_next(counter=counter, by=municipal)
    assert called.id == ticket.id  # the appointment is called first
    queue.ticket_complete(ticket=called, counter=counter, by=municipal)
    assert services.bookings_mark_completed()["completed"] == 1
    assert [(e.action, e.to_status) for e in b.events.all()] == [
        ("checked_in", "checked_in"), ("completed", "completed")]


@pytest.mark.django_db
def test_notify_command_records_and_never_sends_twice(future_slot):
    from django.core.management import call_command

    book(future_slot)
    services.booking_create(slot=future_slot, notice_reference="DEF-123456", birth_date=DOB,
                            phone="090-1234-5678", party_size=1)
    call_command("bookings_notify")
    call_command("bookings_notify")
    assert len(mail.outbox) == 1
    assert sorted(Notification.objects.values_list("kind", "channel")) == [
        ("confirmation", "email"), ("confirmation", "none")]
    assert "ABC-123456" not in mail.outbox[0].body  # the notice number is not mailed around


@pytest.mark.django_db
def test_change_deadline_is_the_end_of_the_day_two_days_before(schedule, slot_factory):
    from appointments import windows

    slot = slot_factory(at(datetime.date(2027, 6, 10), 10))
    deadline = windows.change_deadline(schedule=schedule, slot=slot)
    assert deadline == at(datetime.date(2027, 6, 9), 0)  # 8th still open until 23:59
    with pytest.raises(Conflict):
        windows.ensure_changeable(schedule=schedule, slot=slot, now=deadline)
    windows.ensure_changeable(schedule=schedule, slot=slot,
                              now=deadline - datetime.timedelta(seconds=1))


@pytest.mark.django_db
def test_check_in_is_judged_by_the_window_not_the_calendar_day(slot_factory, kiosk):
    # Given a slot that started 20 minutes ago, whichever day that was (00:10 -> 23:50)
    b = booked_directly(slot_factory(timezone.now() - datetime.timedelta(minutes=20)))
    # When the resident checks in, then the answer is the lateness rule, never wrong_day
    with pytest.raises(Conflict) as e:
        services.booking_check_in(reference=b.reference, device=kiosk)
    assert e.value.code == "too_late"


@pytest.mark.django_db
def test_one_crafted_address_never_blocks_the_other_confirmations(slot_factory, future_slot):
    crafted = booked_directly(future_slot, notice="XYZ-000009")
    # Written before addresses were checked (update() bypasses every check).
    Booking.objects.filter(pk=crafted.pk).update(email="a@example.jp\r\nBcc: all@evil.example")
    book(future_slot)
    first = services.bookings_notify()
    assert first["confirmation"] == 1 and first["failed"] == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hanako@example.jp"]
    failure = RecordFailure.objects.get(job="bookings_notify",
                                        record=f"booking {crafted.pk} confirmation")
    assert failure.attempt == 1 and "evil" not in failure.error
    # The next run backs off from the bad one; the next booking still gets its mail.
    book(slot_factory(at(days_ahead(11), 10)), notice="DEF-123456", email="taro@example.jp")
    second = services.bookings_notify()
    assert second["confirmation"] == 1 and second["retry_later"] == 1
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_failed_send_is_tried_again_after_its_back_off(future_slot):
    crafted = booked_directly(future_slot, notice="XYZ-000009")
    Booking.objects.filter(pk=crafted.pk).update(email="a@example.jp\nBcc: b@example.jp")
    services.bookings_notify()
    later = timezone.now() + datetime.timedelta(minutes=2)
    assert services.bookings_notify(now=later)["failed"] == 1
    assert list(RecordFailure.objects.filter(record=f"booking {crafted.pk} confirmation")
                .values_list("attempt", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_confirmation_email_gives_the_day_with_its_weekday_in_the_bookings_language(
        future_slot):
    from django.core.management import call_command

    book(future_slot, language="en")
    call_command("bookings_notify")
    start = timezone.localtime(future_slot.start)
    assert f"Date and time: {start:%a, %b} {start.day} 10:00" in mail.outbox[0].body
