"""Reads: the booking calendar, a day's slots, a booking by its link, the staff's day view."""

import datetime

from django.db.models import Sum
from django.utils import timezone

from queueing.models import Office, Service
from queueing.roles import is_city_staff

from . import windows
from .models import Booking, Schedule, Slot

FEW_LEFT_SHARE = 0.25  # "few left" when a quarter or less of the day's seats are free


def schedule_for(*, office_code: str, service_code: str) -> Schedule | None:
    """The active schedule of a service at an office, by their codes (QR link), or None."""
    return (Schedule.objects.select_related("office", "service")
            .filter(office__code=office_code, service__code=service_code, active=True,
                    service__active=True).first())


def calendar_days(*, schedule: Schedule, now: datetime.datetime | None = None) -> list[dict]:
    """Each bookable date with its availability: 'open', 'few' (few left), 'full' or 'closed'."""
    now = now or timezone.now()
    first, last = windows.bookable_days(schedule=schedule, now=now)
    slots = _bookable_slots(schedule=schedule, now=now)
    per_day: dict[datetime.date, list[int]] = {}  # date -> [free seats, capacity]
    for s in slots:
        totals = per_day.setdefault(timezone.localdate(s.start), [0, 0])
        totals[0] += s.seats_left
        totals[1] += s.capacity
    days = []
    day = first
    while day <= last:
        free, cap = per_day.get(day, (0, 0))
        if cap == 0:
            state = "closed"
        elif free == 0:
            state = "full"
        elif free <= max(1, cap * FEW_LEFT_SHARE):
            state = "few"
        else:
            state = "open"
        days.append({"date": day, "state": state, "seats_left": free})
        day += datetime.timedelta(days=1)
    return days


def day_slots(*, schedule: Schedule, day: datetime.date,
              now: datetime.datetime | None = None) -> list[Slot]:
    """The bookable slots of one date (full ones included, marked by seats_left 0)."""
    return [s for s in _bookable_slots(schedule=schedule, now=now or timezone.now())
            if timezone.localdate(s.start) == day]


def open_slots(*, schedule: Schedule, now: datetime.datetime | None = None) -> list[Slot]:
    """Bookable slots with at least one free seat."""
    return [s for s in _bookable_slots(schedule=schedule, now=now or timezone.now())
            if s.seats_left > 0]


def booking_by_token(*, token: str) -> Booking | None:
    """A booking by its private manage-link token."""
    return (Booking.objects.select_related("slot__schedule", "office", "service")
            .filter(token=token).first())


def appointment_start(*, office_id: int, reference: str) -> datetime.datetime | None:
    """When the booking behind a checked-in ticket's reference starts (its slot), or None."""
    if not reference:
        return None
    return (Booking.objects.filter(office_id=office_id, reference=reference)
            .values_list("slot__start", flat=True).first())


def bookings_day(*, office: Office, day: datetime.date, user) -> dict:
    """A day's bookings per slot for staff; contractors see only reference, time and party size."""
    full = is_city_staff(user)
    tz = timezone.get_default_timezone()
    lo = datetime.datetime.combine(day, datetime.time.min, tz)
    slots = (Slot.objects.filter(schedule__office=office, start__gte=lo,
                                 start__lt=lo + datetime.timedelta(days=1))
             .select_related("schedule__service").order_by("start"))
    bookings = (Booking.objects.filter(slot__in=slots)
                .exclude(status__in=(Booking.Status.EXPIRED,)).order_by("slot__start", "id"))
    by_slot: dict[int, list[dict]] = {}
    for b in bookings:
        row = {"reference": b.reference, "time": timezone.localtime(b.slot.start),
               "party_size": b.party_size}
        if full:
            row.update(status=b.status, status_label=b.get_status_display(),
                       notice_reference=b.notice_reference or "", birth_date=b.birth_date,
                       email=b.email, phone=b.phone, channel=b.get_channel_display())
        by_slot.setdefault(b.slot_id, []).append(row)
    return {
        "full": full,
        "slots": [{"slot": s, "service": s.schedule.service, "bookings": by_slot.get(s.id, [])}
                  for s in slots],
    }


def seats_booked(*, slot: Slot) -> int:
    """People in seated bookings of a slot, counted from the bookings themselves."""
    return (Booking.objects.filter(slot=slot, status__in=Booking.SEATED)
            .aggregate(n=Sum("party_size"))["n"] or 0)


def services_with_schedule(*, office: Office) -> list[Service]:
    """The services of an office that take bookings."""
    return [s.service for s in Schedule.objects.filter(office=office, active=True)
            .select_related("service")]


def _bookable_slots(*, schedule: Schedule, now: datetime.datetime) -> list[Slot]:
    first, last = windows.bookable_days(schedule=schedule, now=now)
    tz = timezone.get_default_timezone()
    lo = datetime.datetime.combine(first, datetime.time.min, tz)
    hi = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tz)
    cutoff = now + datetime.timedelta(minutes=schedule.same_day_cutoff_minutes)
    # A closed slot (kept for its bookings inside a closure) is not bookable.
    return list(Slot.objects.filter(schedule=schedule, start__gte=max(lo, cutoff), start__lt=hi,
                                    closed=False).order_by("start"))
