"""Every state change of slots and bookings: one function per transition, each in one transaction.

Seats are taken with one conditional UPDATE
(``seats_taken = seats_taken + n WHERE seats_taken + n <= capacity``): under
concurrency PostgreSQL re-checks the condition on the row it waited for, so
the loser gets zero rows and a clean 409, never a constraint violation; the
check constraint ``slot_never_overbooked`` is the backstop. Every booking
state change writes a ``BookingEvent`` in the same transaction.
"""

import datetime
import logging
from dataclasses import dataclass
from typing import NotRequired, TypedDict, Unpack

from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queueing import hours, isolation, retention
from queueing import services as queue
from queueing.errors import Conflict, NotFound, QueueError
from queueing.models import Device, Ticket
from queueing.privacy import holds_individual_number
from queueing.transactions import durable

from . import links, notices, openings, windows
from .contacts import email_clean, phone_clean, phone_domestic
from .models import (
    Booking,
    BookingAction,
    BookingEvent,
    Notification,
    Schedule,
    Slot,
)
from .references import booking_code_new, booking_code_parse, notice_reference_parse

log = logging.getLogger(__name__)
B = Booking.Status
BA = BookingAction


# --- slots ----------------------------------------------------------------------


SLOT_COUNTS = ("created", "updated", "removed", "kept_booked", "closed", "reopened")


@durable
def slots_generate(*, schedule: Schedule, first: datetime.date | None = None,
                   days: int | None = None) -> dict:
    """Create the slots the rules call for over the horizon; never delete a slot with bookings.

    Idempotent: a second run changes nothing. Free slots whose capacity the
    rules changed are updated; free slots the rules no longer call for are
    removed; slots with any booking (even a cancelled one) are kept as they are,
    and marked ``closed`` while the rules do not call for them (nobody can book
    them; ``closed`` counts the slots marked now, ``reopened`` those unmarked).
    """
    return _slots_regenerate(schedule, first=first, days=days)[0]


@dataclass(frozen=True)
class ScheduleApplied:
    """What saving a schedule's rules did: the slot counts and the bookings it closed."""

    counts: dict[str, int]
    # Booked or held bookings in the slots this change closed (the clerk is shown them;
    # the booked ones with an e-mail address are told by bookings_notify).
    closed_bookings: list[Booking]


@durable
def schedule_apply(*, schedule: Schedule) -> ScheduleApplied:
    """Make a saved change of a schedule (hours, closures, extra openings) take effect now:
    regenerate its slots and name the bookings inside a new closure (kept, never removed).

    The admin calls it inside its own transaction (``within_transaction``) so the
    change and its slots commit together.
    """
    counts, closed_ids = _slots_regenerate(schedule, first=None, days=None)
    closed = list(Booking.objects.filter(slot_id__in=closed_ids, status__in=Booking.ACTIVE)
                  .select_related("slot").order_by("slot__start", "id"))
    return ScheduleApplied(counts=counts, closed_bookings=closed)


def _slots_regenerate(schedule: Schedule, *, first: datetime.date | None,
                      days: int | None) -> tuple[dict[str, int], list[int]]:
    """The work of ``slots_generate`` (inside the caller's transaction): its counts, and the
    ids of the kept slots it marked closed."""
    first = first or timezone.localdate()
    days = days if days is not None else schedule.horizon_days
    planned = {p.start: p for p in openings.planned_slots(schedule=schedule, first=first,
                                                          days=days)}
    tz = timezone.get_default_timezone()
    lo = datetime.datetime.combine(first, datetime.time.min, tz)
    hi = lo + datetime.timedelta(days=days)
    counts = dict.fromkeys(SLOT_COUNTS, 0)
    newly_closed: list[int] = []
    existing = {s.start: s for s in Slot.objects.select_for_update().filter(
        schedule=schedule, start__gte=lo, start__lt=hi)}
    with_bookings = set(Booking.objects.filter(slot__in=existing.values())
                        .values_list("slot_id", flat=True))
    for start, slot in existing.items():
        want = planned.get(start)
        if slot.id in with_bookings or slot.seats_taken:
            counts["kept_booked"] += 1
            if slot.closed != (want is None):
                slot.closed = want is None
                slot.save(update_fields=["closed"])
                counts["closed" if slot.closed else "reopened"] += 1
                if slot.closed:
                    newly_closed.append(slot.id)
            continue
        if want is None:
            slot.delete()
            counts["removed"] += 1
        elif (want.capacity, want.end) != (slot.capacity, slot.end):
            slot.capacity, slot.end = want.capacity, want.end
            slot.save(update_fields=["capacity", "end"])
            counts["updated"] += 1
    new = [Slot(schedule=schedule, start=p.start, end=p.end, capacity=p.capacity)
           for start, p in planned.items() if start not in existing]
    Slot.objects.bulk_create(new)
    counts["created"] = len(new)
    return counts, newly_closed


def slots_generate_all(*, days: int | None = None) -> dict[str, int]:
    """Generate the slots of every active schedule over its horizon, each schedule on its own
    (one whose rules break is recorded and retried, the others are generated)."""
    return isolation.each_on_its_own(
        "slots_generate", list(Schedule.objects.filter(active=True).values_list("id", flat=True)),
        lambda pk: slots_generate(schedule=Schedule.objects.get(pk=pk), days=days),
        key=lambda pk: f"schedule {pk}", counts=dict.fromkeys(SLOT_COUNTS, 0))


# --- holds and bookings ---------------------------------------------------------


def holds_release_expired(*, now: datetime.datetime | None = None, slot: Slot | None = None,
                          notice_reference: str | None = None) -> dict[str, int]:
    """Give back the seats of holds past their hold time (all, or one slot's / one notice's),
    each hold in its own transaction (``queueing.isolation``); counts ``expired``."""
    now = now or timezone.now()
    expired = Booking.objects.filter(status=B.HELD, hold_expires_at__lt=now)
    if slot is not None:
        expired = expired.filter(slot=slot)
    if notice_reference is not None:
        expired = expired.filter(notice_reference=notice_reference)
    return _each_booking("holds_release_expired", expired, _hold_release, count="expired",
                         now=now)


@durable
def _hold_release(booking_id: int, now: datetime.datetime) -> str | None:
    """Release one expired hold (locked, checked again: another run may have released it)."""
    booking = (Booking.objects.select_for_update(skip_locked=True)
               .filter(pk=booking_id, status=B.HELD, hold_expires_at__lt=now).first())
    if booking is None:
        return None
    _give_back_seats(booking.slot_id, booking.party_size)
    _transition(booking, to=B.EXPIRED, action=BA.EXPIRED, at=now,
                reason="Hold not confirmed in time.")
    return "expired"


class BookingRequest(TypedDict):
    """Who books which slot: what a hold and a one-step booking both take."""

    slot: Slot
    notice_reference: str
    birth_date: datetime.date | None
    email: NotRequired[str]
    phone: NotRequired[str]
    party_size: NotRequired[int]
    language: NotRequired[str]
    channel: NotRequired[str]  # Booking.Channel, WEB by default
    by: NotRequired[AbstractBaseUser | None]  # staff booking on a resident's behalf
    client: NotRequired[str]  # the resident's address, for the notice list's back-off


def booking_hold(**request: Unpack[BookingRequest]) -> Booking:
    """Hold seats of a slot for a resident for the schedule's hold time (10 minutes)."""
    return _book(**request, confirm=False)


def booking_create(**request: Unpack[BookingRequest]) -> Booking:
    """Book seats of a slot in one step (API, staff booking by phone)."""
    return _book(**request, confirm=True)


@durable
def booking_confirm(*, booking: Booking) -> Booking:
    """Turn a hold into a booking; an expired hold is re-taken if seats are still free."""
    now = timezone.now()
    try:
        b = _locked(booking)
        if b.status == B.BOOKED:
            return b  # pressing confirm twice books once
        if b.status == B.EXPIRED:
            windows.ensure_bookable(schedule=b.slot.schedule, slot=b.slot, now=now)
            _take_seats(b.slot, b.party_size)
        elif b.status != B.HELD:
            raise Conflict(_("This booking can no longer be confirmed."), code="not_held")
        else:
            windows.ensure_open(slot=b.slot)
        # A HELD booking past its expiry still holds its seats (not yet swept): keep them.
        b.booked_at, b.hold_expires_at = now, None
        _transition(b, to=B.BOOKED, action=BA.BOOKED, at=now)
    except IntegrityError as exc:
        raise _integrity_conflict(exc) from None
    return b


@durable
def booking_change(*, booking: Booking, slot: Slot, by: AbstractBaseUser | None = None) -> Booking:
    """Move a booking to another slot of the same schedule (before the deadline for residents)."""
    now = timezone.now()
    b = _locked(booking)
    if b.status != B.BOOKED:
        raise Conflict(_("Only an active booking can be changed."), code="not_booked")
    if slot.schedule_id != b.slot.schedule_id:
        raise QueueError(_("Choose a time for the same service and office."),
                         code="wrong_schedule")
    if slot.id == b.slot_id:
        raise Conflict(_("The booking is already at that time."), code="same_slot")
    if by is None:
        windows.ensure_changeable(schedule=b.slot.schedule, slot=b.slot, now=now)
    windows.ensure_bookable(schedule=b.slot.schedule, slot=slot, now=now)
    _take_seats(slot, b.party_size)
    _give_back_seats(b.slot_id, b.party_size)
    old = b.slot
    b.slot = slot
    _transition(b, to=B.BOOKED, action=BA.CHANGED, at=now, by=by, from_slot=old)
    return b


@durable
def booking_cancel(*, booking: Booking, by: AbstractBaseUser | None = None,
                   reason: str = "") -> Booking:
    """Cancel a booking and give its seats back (residents only before the deadline)."""
    now = timezone.now()
    b = _locked(booking)
    if b.status == B.CANCELLED:
        raise Conflict(_("This booking is already cancelled."), code="booking_cancelled")
    if b.status not in (B.HELD, B.BOOKED):
        raise Conflict(_("This booking can no longer be cancelled."), code="not_cancellable")
    if by is None and b.status == B.BOOKED:
        windows.ensure_changeable(schedule=b.slot.schedule, slot=b.slot, now=now)
    _give_back_seats(b.slot_id, b.party_size)
    _transition(b, to=B.CANCELLED, action=BA.CANCELLED, at=now, by=by,
                reason=reason or ("Cancelled by the resident." if by is None
                                  else "Cancelled by staff."))
    return b


# --- check-in at the kiosk ---------------------------------------------------------


@dataclass(frozen=True)
class WalkIn:
    """Whether this kiosk can issue a walk-in ticket right now, told with a refused check-in
    (``QueueError.walk_in``) so the kiosk offers one only when it can be had."""

    possible: bool
    advice: str = ""  # when not possible: what to do instead, in the kiosk's language


# Refused check-ins after which a walk-in ticket is the sensible next step, if one can be had.
WALK_IN_AFTER = ("too_late", "booking_not_found", "wrong_day", "booking_cancelled")


@durable
def booking_check_in(*, reference: str, device: Device, language: str | None = None) -> Ticket:
    """A booked resident arrives: today, within the window, at this office -> a priority ticket.

    ``reference`` is what the kiosk's scanner (or the resident) typed: the
    booking code, or the QR payload that ends with it. The check-in and the
    ticket are one transaction: either both happen or neither. A refusal after
    which a walk-in ticket would help (``WALK_IN_AFTER``) carries ``walk_in``:
    whether one can be issued here now, and if not what to do instead.
    """
    try:
        return _check_in(reference=reference, device=device, language=language)
    except QueueError as refusal:
        if refusal.code in WALK_IN_AFTER:
            refusal.walk_in, refusal.detail = _walk_in_now(
                device=device, reference=reference, language=language,
                refused=_NO_WALK_IN_DETAIL[refusal.code], detail=refusal.detail)
        raise


# A refused check-in's detail when no walk-in ticket can be issued (the usual ones offer it).
_NO_WALK_IN_DETAIL = {
    "too_late": gettext_lazy("Arriving after the late-arrival time loses the reserved turn."),
    "booking_not_found": gettext_lazy("No booking has that code. Please check it."),
    "wrong_day": gettext_lazy("This booking is for another day."),
    "booking_cancelled": gettext_lazy("This booking was cancelled."),
}


def _walk_in_now(*, device: Device, reference: str, language: str | None, refused,
                 detail: str) -> tuple[WalkIn, str]:
    """Whether a walk-in ticket can be issued at this kiosk now, for the booking's service
    (any service of the office when the code names no booking) by ``queueing.hours``; and
    the refusal's detail (``refused`` and the advice instead of ``detail`` when not)."""
    now = timezone.now()
    code = booking_code_parse(reference)
    booked = (Booking.objects.filter(reference=code, office_id=device.office_id)
              .select_related("service").first() if code else None)
    services = ([booked.service] if booked is not None
                else list(device.office.services.filter(active=True)))
    # (a service whose daily cap is reached is closed too)
    available = list(hours.services_availability(services=services, at=now).values())
    if not device.paused and any(a.open for a in available):
        return WalkIn(True), detail
    with translation.override(language or (booked.language if booked else None)):
        walk_in = WalkIn(False, _walk_in_advice(device, available))
    return walk_in, f"{refused} {_walk_in_advice(device, available)}"


def _walk_in_advice(device: Device, available: list) -> str:
    """What to do when no walk-in ticket can be had, in the active language."""
    if device.paused:
        return _("No ticket can be issued at this kiosk now. Please ask a staff member.")
    opens = sorted(a.opens_at for a in available if a.reason == "not_yet" and a.opens_at)
    if opens:
        return (_("Tickets without a booking are issued from %(time)s. Please wait until "
                  "then, or ask a staff member.") % {"time": opens[0].strftime("%H:%M")})
    return _("No ticket without a booking can be issued now. Please ask a staff member, or "
             "book another time.")


def _check_in(*, reference: str, device: Device, language: str | None) -> Ticket:
    """The check-in itself (inside ``booking_check_in``'s transaction)."""
    code = booking_code_parse(reference)
    if code is None:
        raise NotFound(_("No booking has that code. Please check it, or take a ticket."),
                       code="booking_not_found")
    now = timezone.now()
    b = (Booking.objects.select_related("slot__schedule", "service", "office")
         .select_for_update(of=("self",)).filter(reference=code).first())
    if b is None or b.status in (B.HELD, B.EXPIRED):
        raise NotFound(_("No booking has that code. Please check it, or take a ticket."),
                       code="booking_not_found")
    if b.office_id != device.office_id:
        raise Conflict(_("This booking is for %(office)s. Please go to that office.")
                       % {"office": b.office.name}, code="wrong_office")
    if b.status == B.CANCELLED:
        raise Conflict(_("This booking was cancelled. You can take a ticket instead."),
                       code="booking_cancelled")
    if b.status in (B.CHECKED_IN, B.COMPLETED):
        raise Conflict(_("This booking has already been checked in."),
                       code="already_checked_in")
    schedule, slot = b.slot.schedule, b.slot
    # The check-in window alone decides (30 minutes before to 5 after, by default):
    # a slot just after midnight, or one that started just before it, is judged by
    # the clock, not by which calendar day it falls on.
    opens, closes = windows.check_in_window(schedule=schedule, slot=slot)
    if now > closes or b.status == B.NO_SHOW:
        raise Conflict(_("Your booked time was %(time)s; arriving more than %(minutes)s "
                         "minutes late loses the reserved turn. You can take a ticket "
                         "instead.")
                       % {"time": timezone.localtime(slot.start).strftime("%H:%M"),
                          "minutes": schedule.late_arrival_minutes}, code="too_late")
    if now < opens:
        day = timezone.localdate(slot.start)
        if day != timezone.localdate(now):
            raise Conflict(_("This booking is for %(day)s, not today.")
                           % {"day": day.isoformat()}, code="wrong_day")
        raise Conflict(_("Check-in opens at %(time)s, %(minutes)s minutes before your time.")
                       % {"time": timezone.localtime(opens).strftime("%H:%M"),
                          "minutes": schedule.early_check_in_minutes}, code="too_early")
    # One transaction for both: the check-in and its ticket happen together or not at all.
    ticket = queue.ticket_issue.within_transaction(
        service=b.service, priority=Ticket.Priority.APPOINTMENT, booking_reference=b.reference,
        device=device, language=language or b.language)
    b.ticket, b.checked_in_at = ticket, now
    _transition(b, to=B.CHECKED_IN, action=BA.CHECKED_IN, at=now, device=device)
    return ticket


# --- sweeps: no-shows, completions, notifications, retention ----------------------------


def bookings_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The every-minute sweep: release expired holds, mark no-shows, mark completions."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for done in (holds_release_expired(now=now), bookings_mark_no_show(now=now),
                 bookings_mark_completed(now=now)):
        for name, n in done.items():
            counts[name] = counts.get(name, 0) + n
    return counts


def bookings_mark_no_show(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark booked residents who did not check in by slot start + late-arrival time as
    no-shows, each booking on its own; counts ``no_show``."""
    now = now or timezone.now()
    candidates = Booking.objects.filter(status=B.BOOKED, slot__start__lt=now)
    return _each_booking("bookings_mark_no_show", candidates, _no_show_mark, count="no_show",
                         now=now)


@durable
def _no_show_mark(booking_id: int, now: datetime.datetime) -> str | None:
    """Mark one booking a no-show if it still is one (locked, checked again)."""
    b = (Booking.objects.select_for_update(skip_locked=True, of=("self",))
         .select_related("slot__schedule").filter(pk=booking_id, status=B.BOOKED).first())
    if b is None or now <= windows.no_show_after(schedule=b.slot.schedule, slot=b.slot):
        return None
    _transition(b, to=B.NO_SHOW, action=BA.NO_SHOW, at=now,
                reason="Not checked in by the late-arrival time.")
    return "no_show"


def bookings_mark_completed(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark checked-in bookings whose ticket the counter completed as completed, each on its
    own; counts ``completed``."""
    now = now or timezone.now()
    done = Booking.objects.filter(status=B.CHECKED_IN, ticket__status=Ticket.Status.COMPLETED)
    return _each_booking("bookings_mark_completed", done, _completed_mark, count="completed",
                         now=now)


@durable
def _completed_mark(booking_id: int, now: datetime.datetime) -> str | None:
    """Mark one checked-in booking completed if its ticket still is (locked, checked again)."""
    b = (Booking.objects.select_for_update(skip_locked=True, of=("self",))
         .filter(pk=booking_id, status=B.CHECKED_IN, ticket__status=Ticket.Status.COMPLETED)
         .first())
    if b is None:
        return None
    _transition(b, to=B.COMPLETED, action=BA.COMPLETED, at=now)
    return "completed"


def bookings_notify(*, now: datetime.datetime | None = None) -> dict:
    """Send each booking's confirmation once, a reminder the day before, and once a notice
    when a closure (or shorter hours) closed its slot after it was booked, asking the resident
    to rebook through the link; record each send.

    A row in Notification is written in the same transaction as the send, so a
    crash before commit means the next run sends again, and a committed run
    never sends twice (the unique constraint ``notification_once``). Each record
    is on its own (``queueing.isolation``): a send that fails (a refused address,
    the mail server down) is rolled back, written down as a ``RecordFailure``
    and tried again on a later run after a back-off; the other bookings go on.
    """
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    pending = [
        (Notification.Kind.CONFIRMATION,
         Booking.objects.filter(status=B.BOOKED).exclude(notifications__kind="confirmation")),
        (Notification.Kind.REMINDER,
         Booking.objects.filter(status=B.BOOKED, slot__start__date=tomorrow, slot__closed=False)
         .exclude(notifications__kind="reminder")),
        (Notification.Kind.CLOSURE,
         Booking.objects.filter(status=B.BOOKED, slot__closed=True, slot__start__gt=now)
         .exclude(notifications__kind="closure")),
    ]
    sends = [(str(kind), booking_id) for kind, queryset in pending
             for booking_id in list(queryset.values_list("id", flat=True))]
    # The address is never logged or recorded: it is personal data (and may be what broke).
    return isolation.each_on_its_own(
        "bookings_notify", sends, lambda send: _notify_one(send[1], send[0], now),
        key=lambda send: f"booking {send[1]} {send[0]}", now=now,
        counts={"confirmation": 0, "reminder": 0, "closure": 0, "no_email": 0})


@durable
def _notify_one(booking_id: int, kind: str, now: datetime.datetime) -> str | None:
    """Send one booking's message and record it (one transaction); the count it adds to,
    or None when there was nothing to do after all."""
    b = (Booking.objects.select_for_update(skip_locked=True, of=("self",))
         .select_related("slot", "service", "office")
         .filter(pk=booking_id, status=B.BOOKED).first())
    if b is None or Notification.objects.filter(booking=b, kind=kind).exists():
        return None
    if (kind == Notification.Kind.CLOSURE) != b.slot.closed:
        return None  # reopened since (no closure notice), or closed since (no reminder)
    channel = "email" if b.email else "none"
    Notification.objects.create(booking=b, kind=kind, channel=channel, sent_at=now)
    if not b.email:
        return "no_email"
    _send_email(b, kind)
    return kind


@retention.eraser("bookings")
def bookings_erase_personal_data(*, now: datetime.datetime | None = None) -> int:
    """Erase personal data of bookings older than the retention time; counts stay for reports.

    The notice number, birth date and contact go, and the free text of their
    audit rows (a staff member's cancel reason may name the resident); the
    bookings, their statuses and their audit rows stay.
    """
    now = now or timezone.now()
    counts = isolation.each_on_its_own(
        "bookings_erase_personal_data", list(Schedule.objects.values_list("id", flat=True)),
        lambda pk: _bookings_erase_of(pk, now), key=lambda pk: f"schedule {pk}", now=now,
        counts={"erased": 0})
    return counts["erased"]


@durable
def _bookings_erase_of(schedule_id: int, now: datetime.datetime) -> dict[str, int]:
    """Erase one schedule's bookings past its retention time (one transaction)."""
    schedule = Schedule.objects.get(pk=schedule_id)
    before = now - datetime.timedelta(days=schedule.retention_days)
    due = (Booking.objects.filter(slot__schedule=schedule, slot__start__lt=before,
                                  erased_at__isnull=True)
           .exclude(status__in=(B.HELD, B.BOOKED)))
    ids = list(due.values_list("id", flat=True))
    erased = Booking.objects.filter(pk__in=ids).update(
        notice_reference=None, birth_date=None, email="", phone="", erased_at=now)
    BookingEvent.objects.filter(booking_id__in=ids).update(reason="")
    return {"erased": erased}


# --- internals -------------------------------------------------------------------


def _each_booking(job: str, bookings, handle, *, count: str,
                  now: datetime.datetime) -> dict[str, int]:
    """Run ``handle(booking_id, now)`` on each of these bookings, each on its own
    (``queueing.isolation``); the counts, ``count`` among them."""
    return isolation.each_on_its_own(
        job, list(bookings.values_list("id", flat=True)), lambda pk: handle(pk, now),
        key=lambda pk: f"booking {pk}", now=now, counts={count: 0})


def _clean_contact(*, notice_reference: str, birth_date, email: str, phone: str,
                   party_size: int, schedule: Schedule) -> tuple[str, str, str]:
    for value in (notice_reference, email, phone_domestic(phone), str(birth_date or "")):
        if holds_individual_number(value):
            raise QueueError(
                _("Please do not enter your 12-digit Individual Number (My Number). It is not "
                  "needed to book and we never store it. Enter the reference number printed on "
                  "your notice instead (3 characters, a hyphen and 6 digits)."),
                code="individual_number",
            )
    notice = notice_reference_parse(notice_reference)
    if notice is None:
        raise QueueError(_("The notice's reference number has 3 characters, a hyphen and 6 "
                           "digits, e.g. ABC-123456."), code="invalid_notice_reference")
    if birth_date is None:
        raise QueueError(_("Enter your date of birth."), code="birth_date_required")
    if birth_date > timezone.localdate() or birth_date.year < 1900:
        raise QueueError(_("Enter a real date of birth."), code="invalid_birth_date")
    email, phone = email_clean(email), phone_clean(phone)
    if not email and not phone:
        raise QueueError(_("Enter an email address or a phone number for the confirmation."),
                         code="contact_required")
    if not 1 <= party_size <= schedule.max_party:
        raise QueueError(_("One booking is for 1 to %(max)s people.") % {"max": schedule.max_party},
                         code="party_too_large")
    return notice, email, phone


def _book(*, slot: Slot, notice_reference: str, birth_date: datetime.date | None,
          email: str = "", phone: str = "", party_size: int = 1, language: str = "ja",
          channel: str = Booking.Channel.WEB, by: AbstractBaseUser | None = None,
          client: str = "", confirm: bool) -> Booking:
    schedule = slot.schedule
    notice, email, phone = _clean_contact(
        notice_reference=notice_reference, birth_date=birth_date, email=email, phone=phone,
        party_size=party_size, schedule=schedule)
    now = timezone.now()
    if not schedule.active:
        raise QueueError(_("Online booking is closed for this service."), code="booking_closed")
    notices.ensure_on_list(office_id=schedule.office_id, reference=notice, birth_date=birth_date,
                           client=client)
    windows.ensure_bookable(schedule=schedule, slot=slot, now=now)
    fields = dict(
        slot=slot, office_id=schedule.office_id, service_id=schedule.service_id,
        party_size=party_size, language=language, channel=channel, notice_reference=notice,
        birth_date=birth_date, email=email, phone=phone,
        created_by=by if by is not None and by.is_authenticated else None)
    try:
        return _book_once(fields, hold_minutes=schedule.hold_minutes, confirm=confirm, by=by)
    except Conflict as refusal:
        # Expired holds are swept every minute; on a refusal, sweep the ones in the way
        # right now and try once more, so the common path costs no extra query.
        if refusal.code == "slot_full":
            freed = holds_release_expired(slot=slot)["expired"]
        elif refusal.code == "already_booked":
            freed = holds_release_expired(notice_reference=notice)["expired"]
        else:
            raise
        if not freed:
            raise
        return _book_once(fields, hold_minutes=schedule.hold_minutes, confirm=confirm, by=by)


def _book_once(fields: dict, *, hold_minutes: int, confirm: bool, by) -> Booking:
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            _take_seats(fields["slot"], fields["party_size"])
            b = Booking.objects.create(
                status=B.HELD, reference=booking_code_new(), created_at=now,
                hold_expires_at=now + datetime.timedelta(minutes=hold_minutes), **fields)
            _event(b, action=BA.HELD, from_status="", at=now, by=by)
            if confirm:
                b.booked_at, b.hold_expires_at = now, None
                _transition(b, to=B.BOOKED, action=BA.BOOKED, at=now, by=by)
    except IntegrityError as exc:
        raise _integrity_conflict(exc) from None
    return b


def _give_back_seats(slot_id: int, n: int) -> None:
    """Give n seats of a slot back (cancel, change, expired hold): the twin of _take_seats."""
    Slot.objects.filter(pk=slot_id).update(seats_taken=F("seats_taken") - n)


def _take_seats(slot: Slot, n: int) -> None:
    """Take n seats in one conditional UPDATE, or refuse with 409 slot_full."""
    taken = Slot.objects.filter(pk=slot.pk, seats_taken__lte=F("capacity") - n).update(
        seats_taken=F("seats_taken") + n)
    if not taken:
        raise Conflict(_("This time is fully booked. Please choose another time."),
                       code="slot_full")


def _integrity_conflict(exc: IntegrityError) -> Conflict:
    text = str(exc)
    if "one_active_booking_per_notice" in text or "notice_reference" in text:
        return Conflict(_("There is already a booking for this notice. Use the link in its "
                          "confirmation to change or cancel it."), code="already_booked")
    if "slot_never_overbooked" in text:
        return Conflict(_("This time is fully booked. Please choose another time."),
                        code="slot_full")
    log.warning("booking refused by a constraint: %s", text)
    return Conflict(_("The booking could not be saved. Please try again."), code="conflict")


def _locked(booking: Booking) -> Booking:
    b = (Booking.objects.select_related("slot__schedule")
         .select_for_update(of=("self",)).filter(pk=booking.pk).first())
    if b is None:
        raise NotFound(_("No such booking."), code="booking_not_found")
    return b


def _transition(b: Booking, *, to: str, action: str, at: datetime.datetime,
                by: AbstractBaseUser | None = None, device: Device | None = None,
                from_slot: Slot | None = None, reason: str = "") -> None:
    before = b.status
    b.status = to
    b.save()
    _event(b, action=action, from_status=before, at=at, by=by, device=device,
           from_slot=from_slot, reason=reason)


def _event(b: Booking, *, action: str, from_status: str, at: datetime.datetime,
           by=None, device=None, from_slot=None, reason: str = "") -> None:
    BookingEvent.objects.create(
        booking=b, at=at, action=action, from_status=from_status, to_status=b.status,
        actor=by if by is not None and by.is_authenticated else None, device=device,
        from_slot=from_slot, reason=reason[:200])


def _send_email(b: Booking, kind: str) -> None:
    with translation.override(b.language):
        context = {"booking": b, "kind": kind, "manage_url": links.manage_url(b)}
        subject = render_to_string("appointments/email_subject.txt", context).strip()
        body = render_to_string("appointments/email_body.txt", context)
    send_mail(subject, body, None, [b.email])

