"""The booking window rules: when a slot may be booked, changed, cancelled or checked in.

One home for the time rules of a schedule (defaults from DOMAIN.md):
bookable from ``earliest_days`` to ``latest_days`` ahead (3 to 31); a same-day
booking (only when earliest_days is 0) closes ``same_day_cutoff_minutes``
before the slot; change/cancel until ``change_deadline_days`` before the
slot's day (2); check-in from ``early_check_in_minutes`` before the slot (30)
until ``late_arrival_minutes`` after its start (5), after which the turn is
lost (no-show).
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from queueing.errors import Conflict, QueueError

from .models import Schedule, Slot


def bookable_days(*, schedule: Schedule, now: datetime.datetime | None = None
                  ) -> tuple[datetime.date, datetime.date]:
    """First and last date (Asia/Tokyo) a resident may book now."""
    today = timezone.localdate(now or timezone.now())
    return (today + datetime.timedelta(days=schedule.earliest_days),
            today + datetime.timedelta(days=schedule.latest_days))


def ensure_bookable(*, schedule: Schedule, slot: Slot,
                    now: datetime.datetime | None = None) -> None:
    """Refuse (400 outside_window) a slot outside the booking window, and (409
    slot_closed) a slot kept for its bookings inside a closure."""
    now = now or timezone.now()
    ensure_open(slot=slot)
    first, last = bookable_days(schedule=schedule, now=now)
    day = timezone.localdate(slot.start)
    if day < first or day > last:
        raise QueueError(
            _("Bookings are taken from %(first)s to %(last)s; %(day)s is outside that window.")
            % {"first": first.isoformat(), "last": last.isoformat(), "day": day.isoformat()},
            code="outside_window",
        )
    if slot.start - datetime.timedelta(minutes=schedule.same_day_cutoff_minutes) < now:
        raise QueueError(_("This time can no longer be booked."), code="outside_window")


def ensure_open(*, slot: Slot) -> None:
    """Refuse (409 slot_closed) a slot a closure or a change of hours closed after it was
    booked (``Slot.closed``): nobody may book it or confirm a hold on it."""
    if slot.closed:
        raise Conflict(_("The office is closed at this time. Please choose another time."),
                       code="slot_closed")


def change_deadline(*, schedule: Schedule, slot: Slot) -> datetime.datetime:
    """The moment after which a booking for this slot can no longer be changed or cancelled.

    "Until 2 days before" includes that day: for a slot on the 10th, changes are
    possible until 23:59 on the 8th.
    """
    day = (timezone.localdate(slot.start)
           - datetime.timedelta(days=schedule.change_deadline_days - 1))
    return datetime.datetime.combine(day, datetime.time.min, timezone.get_default_timezone())


def changeable(*, schedule: Schedule, slot: Slot,
               now: datetime.datetime | None = None) -> bool:
    """Whether a resident may still change or cancel a booking for this slot: before the
    deadline, or at any time once the office closed that slot (so they can rebook)."""
    return slot.closed or (now or timezone.now()) < change_deadline(schedule=schedule, slot=slot)


def ensure_changeable(*, schedule: Schedule, slot: Slot,
                      now: datetime.datetime | None = None) -> None:
    """Refuse (409 deadline_passed) a resident's change or cancel after the deadline (a
    closed slot's booking may always be changed or cancelled)."""
    deadline = change_deadline(schedule=schedule, slot=slot)
    if not changeable(schedule=schedule, slot=slot, now=now):
        raise Conflict(
            _("Changes and cancellations were possible until %(deadline)s (%(days)s days "
              "before). Please call the city hall.")
            % {"deadline": timezone.localtime(deadline - datetime.timedelta(minutes=1))
               .strftime("%Y-%m-%d %H:%M"),
               "days": schedule.change_deadline_days},
            code="deadline_passed",
        )


def check_in_window(*, schedule: Schedule, slot: Slot
                    ) -> tuple[datetime.datetime, datetime.datetime]:
    """From when until when a booking for this slot may check in at the kiosk."""
    return (slot.start - datetime.timedelta(minutes=schedule.early_check_in_minutes),
            slot.start + datetime.timedelta(minutes=schedule.late_arrival_minutes))


def no_show_after(*, schedule: Schedule, slot: Slot) -> datetime.datetime:
    """When a booking that has not checked in becomes a no-show."""
    return check_in_window(schedule=schedule, slot=slot)[1]
