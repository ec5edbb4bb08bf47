"""Every state change of the queue: one function per transition, each in one durable transaction.

Each function checks the hybrid rule through ``routing``, locks the rows it
changes, writes its audit row (``TicketEvent``, ``CounterEvent``) and bumps the
office's event version in the same transaction, and publishes the event after
commit (``events``). Lock order: counter, then ticket.
"""

import datetime
import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection
from django.utils import timezone

from . import events, hours, numbering, retention, routing
from .errors import Conflict, Forbidden, NotFound, QueueError
from .events import Action
from .models import (
    Counter,
    CounterEvent,
    Device,
    Office,
    SecurityAction,
    SecurityEvent,
    Service,
    Step,
    Ticket,
    TicketEvent,
)
from .privacy import redact
from .transactions import durable

S = Ticket.Status
NUMBER_RE = re.compile(r"^\s*([A-Za-z]{1,2})\s*-?\s*0*(\d{1,4})\s*$")


# --- issuing ------------------------------------------------------------------


@durable
def ticket_issue(
    *,
    service: Service,
    priority: int = Ticket.Priority.NORMAL,
    language: str = "ja",
    device: Device | None = None,
    by: AbstractBaseUser | None = None,
    booking_reference: str = "",
    first_step: Step | None = None,
) -> Ticket:
    """Issue the next number of a service's queue, waiting at the service's first step.

    ``first_step`` saves a query when the caller already loaded it (the kiosk API does).
    """
    now = timezone.now()
    if device is not None:
        if device.office_id != service.office_id:
            raise Forbidden("This kiosk belongs to another office.", code="wrong_office")
        if device.paused:
            raise Conflict(
                device.pause_message or "Ticket issuing is paused at this kiosk.",
                code="kiosk_paused",
            )
    # A checked-in booking is expected (e.g. 夜間窓口 after the walk-in button's hours).
    if not hours.service_availability(service=service, at=now).open and not (
            booking_reference and service.active):
        raise Conflict(f"{service.name} is not accepting tickets now.", code="service_closed")
    step = first_step if first_step is not None else _first_step(service)
    day = numbering.business_day(now)
    number = numbering.number_take(office_id=service.office_id, prefix=service.prefix, day=day)
    ticket = Ticket.objects.create(
        office_id=service.office_id,
        business_day=day,
        prefix=service.prefix,
        number=number,
        service=service,
        step=step,
        priority=priority,
        language=language,
        issued_at=now,
        step_entered_at=now,
        booking_reference=booking_reference,
    )
    _record(ticket, Action.ISSUED, from_status="", from_step=None, by=by, device=device, at=now)
    return ticket


# --- calling ------------------------------------------------------------------


@durable
def ticket_call_next(*, counter: Counter, by: AbstractBaseUser) -> Ticket | None:
    """Give the counter the next ticket it may serve, or None when its line is empty."""
    routing.ensure_can_operate(counter=counter, user=by)
    with _counter_free(counter):
        ticket = (
            routing.waiting_line(counter=counter)
            .select_related("step", "service")
            .select_for_update(skip_locked=True, no_key=True, of=("self",))
            .first()
        )
        if ticket is None:
            return None
        _call(ticket, counter=counter, by=by, action=Action.CALLED)
    return ticket


@durable
def ticket_call_number(*, counter: Counter, by: AbstractBaseUser, number: str) -> Ticket:
    """Call one waiting ticket by its number (``A012``) of today, out of turn."""
    routing.ensure_can_operate(counter=counter, user=by)
    match = NUMBER_RE.match(number or "")
    if not match:
        raise QueueError("That is not a ticket number like A012.", code="bad_number")
    prefix, digits = match.group(1).upper(), int(match.group(2))
    with _counter_free(counter):
        ticket = (
            Ticket.objects.select_related("step", "service")
            .select_for_update(no_key=True, of=("self",))
            .filter(
                office_id=counter.office_id,
                business_day=numbering.business_day(),
                prefix=prefix,
                number=digits,
            )
            .first()
        )
        if ticket is None:
            raise NotFound(f"No ticket {prefix}{digits:03d} today.", code="ticket_not_found")
        routing.ensure_can_handle(ticket=ticket, counter=counter)
        if ticket.status != S.WAITING:
            raise Conflict(
                f"Ticket {ticket.display_number} is {ticket.get_status_display()}, not waiting.",
                code="not_waiting",
            )
        _call(ticket, counter=counter, by=by, action=Action.CALLED)
    return ticket


@durable
def ticket_recall(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Call the counter's current ticket again (displays announce it once more)."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,))
    t.recall_count += 1
    t.called_at = timezone.now()
    t.save(update_fields=["recall_count", "called_at"])
    _record(t, Action.RECALLED, from_status=S.CALLED, from_step=t.step, by=by, counter=counter)
    return t


@durable
def ticket_start(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """The resident has arrived at the counter: service begins."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,))
    t.status = S.SERVING
    t.started_at = timezone.now()
    t.save(update_fields=["status", "started_at"])
    _record(t, Action.STARTED, from_status=S.CALLED, from_step=t.step, by=by, counter=counter)
    return t


@durable
def ticket_hold(
    *, ticket: Ticket, counter: Counter, by: AbstractBaseUser, reason: str = ""
) -> Ticket:
    """Park the ticket (e.g. the resident fetches a document); the counter is free again."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED, S.SERVING))
    before = t.status
    t.status = S.HELD
    t.counter = None
    t.save(update_fields=["status", "counter"])
    _record(t, Action.HELD, from_status=before, from_step=t.step, by=by, counter=counter,
            reason=reason)
    return t


@durable
def ticket_resume(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Call a held ticket back to this counter."""
    routing.ensure_can_operate(counter=counter, user=by)
    with _counter_free(counter):
        t = _locked(ticket)
        routing.ensure_can_handle(ticket=t, counter=counter)
        if t.status != S.HELD:
            raise Conflict(f"Ticket {t.display_number} is not on hold.", code="not_held")
        _call(t, counter=counter, by=by, action=Action.RESUMED)
    return t


@durable
def ticket_no_show(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """The called resident did not come: back in line once within the grace time, else closed."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,))
    now = timezone.now()
    grace = datetime.timedelta(minutes=t.office.no_show_grace_minutes)
    first_call = t.first_called_at or t.called_at or now
    t.counter = None
    t.no_show_count += 1
    if t.no_show_count == 1 and now - first_call <= grace:
        t.status = S.WAITING
        action, reason = Action.NO_SHOW_REQUEUED, "No-show: back in line once (grace time)."
    else:
        t.status = S.NO_SHOW
        t.closed_at = now
        action, reason = Action.NO_SHOW, "No-show."
    t.save(update_fields=["status", "counter", "no_show_count", "closed_at"])
    _record(t, action, from_status=S.CALLED, from_step=t.step, by=by, counter=counter,
            reason=reason, at=now)
    return t


@durable
def ticket_complete(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Finish the current step; a ticket with a next step moves there and keeps its place."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED, S.SERVING))
    before, from_step, now = t.status, t.step, timezone.now()
    next_step = _next_step(t.step)
    t.counter = None
    if next_step is None:
        t.status, t.closed_at, action = S.COMPLETED, now, Action.COMPLETED
    else:
        t.status, t.step, t.step_entered_at = S.WAITING, next_step, now
        t.called_at = None
        action = Action.STEP_COMPLETED
    t.save(update_fields=["status", "counter", "closed_at", "step", "step_entered_at",
                          "called_at"])
    _record(t, action, from_status=before, from_step=from_step, by=by, counter=counter, at=now)
    return t


@durable
def ticket_transfer(
    *,
    ticket: Ticket,
    counter: Counter,
    by: AbstractBaseUser,
    reason: str,
    to_service: Service | None = None,
) -> Ticket:
    """Send the ticket to another service, or to its service's next step, with a reason.

    This is the formal hand-off between contractor and staff: the contractor
    never instructs a civil servant (or the reverse) directly; the ticket
    moves, with its reason, and keeps its original place in line.
    """
    reason = (reason or "").strip()
    if not reason:
        raise QueueError("A transfer needs a reason.", code="reason_required")
    t = _locked(ticket)
    routing.ensure_can_operate(counter=counter, user=by)
    if t.status in Ticket.AT_COUNTER:
        _ensure_at(t, counter)
    elif t.status in (S.WAITING, S.HELD):
        routing.ensure_can_handle(ticket=t, counter=counter)
    else:
        raise Conflict(f"Ticket {t.display_number} is already closed.", code="closed")
    if to_service is None:
        target = _next_step(t.step)
        if target is None:
            raise Conflict(
                f"{t.service.name} has no step after '{t.step.name}'.", code="no_next_step"
            )
    else:
        if to_service.office_id != t.office_id or not to_service.active:
            raise NotFound("No such service at this office.", code="service_not_found")
        target = _first_step(to_service)
        if to_service.id == t.service_id and target.id == t.step_id:
            raise Conflict("The ticket is already at that step.", code="same_step")
    before, from_step, from_service_id, now = t.status, t.step, t.service_id, timezone.now()
    t.service_id, t.step = target.service_id, target
    t.status, t.counter, t.called_at, t.step_entered_at = S.WAITING, None, None, now
    t.save(update_fields=["service", "step", "status", "counter", "called_at",
                          "step_entered_at"])
    t.service = target.service
    _record(t, Action.TRANSFERRED, from_status=before, from_step=from_step, by=by,
            counter=counter, reason=reason[:200], at=now, from_service_id=from_service_id)
    return t


@durable
def ticket_cancel(
    *, ticket: Ticket, by: AbstractBaseUser | None = None, reason: str = ""
) -> Ticket:
    """Close an open ticket: the resident is leaving (status page) or staff cancel it."""
    t = _locked(ticket)
    if by is not None:
        routing.ensure_may_act_on(ticket=t, user=by)
        if t.counter is not None:
            routing.ensure_can_operate(counter=t.counter, user=by)
    if t.status not in Ticket.OPEN:
        raise Conflict(f"Ticket {t.display_number} is already closed.", code="closed")
    before, counter = t.status, t.counter
    t.status, t.counter, t.closed_at = S.CANCELLED, None, timezone.now()
    t.save(update_fields=["status", "counter", "closed_at"])
    _record(t, Action.CANCELLED, from_status=before, from_step=t.step, by=by, counter=counter,
            reason=reason or ("Resident left." if by is None else "Cancelled by staff."))
    return t


@durable
def counter_set_status(*, counter: Counter, by: AbstractBaseUser, status: str,
                       reason: str = "") -> Counter:
    """Open, pause (break) or close a counter; a counter with a ticket at it cannot close."""
    routing.ensure_can_operate(counter=counter, user=by)
    if status not in Counter.Status.values:
        raise QueueError(f"The status must be one of {', '.join(Counter.Status.values)}.",
                         code="bad_status")
    c = Counter.objects.select_for_update(no_key=True).get(pk=counter.pk)
    if status != Counter.Status.OPEN and Ticket.objects.filter(
        counter=c, status__in=Ticket.AT_COUNTER
    ).exists():
        raise Conflict("Finish or hold the current ticket first.", code="counter_busy")
    _counter_record(c, to=status, by=by, reason=reason)
    return c


# --- internals ----------------------------------------------------------------


def _first_step(service: Service) -> Step:
    step = service.steps.order_by("order").first()
    if step is None:
        raise Conflict(f"{service.name} has no steps configured.", code="service_misconfigured")
    return step


def _next_step(step: Step) -> Step | None:
    return Step.objects.filter(service_id=step.service_id, order__gt=step.order).order_by(
        "order").first()


def _locked(ticket: Ticket) -> Ticket:
    try:
        return (
            Ticket.objects.select_related("step", "service", "office", "counter")
            .select_for_update(no_key=True, of=("self",))
            .get(pk=ticket.pk)
        )
    except Ticket.DoesNotExist:
        raise NotFound("No such ticket.", code="ticket_not_found") from None


def _ensure_at(ticket: Ticket, counter: Counter) -> None:
    if ticket.counter_id != counter.id:
        where = (f"counter {ticket.counter.number}" if ticket.counter
                 else ticket.get_status_display())
        raise Conflict(
            f"Ticket {ticket.display_number} is not at this counter (it is {where}).",
            code="not_at_this_counter",
        )


def _acting(ticket: Ticket, *, counter: Counter, by: AbstractBaseUser, allowed) -> Ticket:
    """Lock a ticket that is at this counter, in one of the allowed states, for an action."""
    routing.ensure_can_operate(counter=counter, user=by)
    t = _locked(ticket)
    _ensure_at(t, counter)
    if t.status not in allowed:
        raise Conflict(
            f"Ticket {t.display_number} is {t.get_status_display()}; "
            "that action does not apply.",
            code="invalid_transition",
        )
    return t


class _counter_free:
    """The part of a service in which the counter takes a ticket; refuses if it already has one.

    The counter row is locked first, so two consoles of the same counter take
    turns. The conditional unique constraint ``one_active_ticket_per_counter`` is the
    backstop when two consoles of one counter press "call" together.
    """

    def __init__(self, counter: Counter):
        self.counter = counter

    def __enter__(self):
        # Lock order: counter, then ticket. Two consoles of one counter queue
        # here instead of both picking a ticket.
        locked = Counter.objects.select_for_update(no_key=True).filter(pk=self.counter.pk).first()
        if locked is None:
            raise NotFound("No such counter.", code="counter_not_found")
        self.counter.status = locked.status  # what the caller holds may be a moment old
        current = Ticket.objects.filter(
            counter=self.counter, status__in=Ticket.AT_COUNTER
        ).first()
        if current is not None:
            raise Conflict(
                f"Counter {self.counter.number} is still at ticket {current.display_number}; "
                "complete, hold or transfer it first.",
                code="counter_busy",
            )
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, IntegrityError):
            raise Conflict(
                f"Counter {self.counter.number} just took another ticket.", code="counter_busy"
            ) from exc
        return False


def _call(ticket: Ticket, *, counter: Counter, by: AbstractBaseUser, action: Action) -> None:
    before, now = ticket.status, timezone.now()
    ticket.status, ticket.counter, ticket.called_at = S.CALLED, counter, now
    ticket.first_called_at = ticket.first_called_at or now
    ticket.save(update_fields=["status", "counter", "called_at", "first_called_at"])
    if counter.status != Counter.Status.OPEN:  # calling opens the counter, audited like any
        _counter_record(counter, to=Counter.Status.OPEN, by=by, reason="A ticket was called.",
                        at=now)
    _record(ticket, action, from_status=before, from_step=ticket.step, by=by, counter=counter,
            at=now)


def _counter_record(counter: Counter, *, to: str, by: AbstractBaseUser | None,
                    reason: str = "", at: datetime.datetime | None = None) -> None:
    """Change the counter's status, write its audit row, bump the version, publish after commit."""
    at = at or timezone.now()
    before = counter.status
    counter.status = to
    counter.save(update_fields=["status"])
    action = events.counter_action(to)
    CounterEvent.objects.create(
        counter=counter, at=at, action=action, from_status=before, to_status=to,
        actor=by if by is not None and by.is_authenticated else None, reason=reason[:200],
    )
    version = _version_bump(office_id=counter.office_id)
    events.publish_on_commit(office_id=counter.office_id, version=version,
                             event=events.counter_payload(action=action, counter=counter, at=at))


def _record(
    ticket: Ticket,
    action: Action,
    *,
    from_status: str,
    from_step: Step | None,
    by: AbstractBaseUser | None = None,
    device: Device | None = None,
    counter: Counter | None = None,
    reason: str = "",
    at: datetime.datetime | None = None,
    from_service_id: int | None = None,
) -> None:
    """Write the audit row, bump the office version and queue the event for after commit."""
    at = at or timezone.now()
    TicketEvent.objects.create(
        ticket=ticket,
        at=at,
        action=action,
        actor=by if by is not None and by.is_authenticated else None,
        device=device,
        from_status=from_status,
        to_status=ticket.status,
        from_step=from_step,
        to_step=ticket.step,
        counter=counter,
        counter_kind=counter.kind if counter else "",
        reason=reason,
    )
    version = _version_bump(office_id=ticket.office_id)
    ticket.event_version = version  # the API returns it, so clients can match the event stream
    events.publish_on_commit(
        office_id=ticket.office_id,
        version=version,
        event=events.ticket_payload(action=action, ticket=ticket, at=at, from_status=from_status,
                                    from_step=from_step, from_service_id=from_service_id,
                                    counter=counter),
    )


def _version_bump(*, office_id: int) -> int:
    """Add one to the office's event version inside the current transaction and return it."""
    table = connection.ops.quote_name(Office._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET event_version = event_version + 1 WHERE id = %s "
            "RETURNING event_version",
            [office_id],
        )
        return cursor.fetchone()[0]


# --- retention -------------------------------------------------------------------------


@retention.eraser("ticket_notes")
@durable
def ticket_notes_erase(*, now: datetime.datetime | None = None) -> int:
    """Blank the free text staff wrote on tickets and counters (transfer and hold reasons)
    older than HANDOFF_NOTE_RETENTION_DAYS; the events and their counts stay."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.HANDOFF_NOTE_RETENTION_DAYS)
    erased = TicketEvent.objects.filter(at__lt=before).exclude(reason="").update(reason="")
    erased += CounterEvent.objects.filter(at__lt=before).exclude(reason="").update(reason="")
    # TODO(issue 12): hand-off notes register their own eraser with retention.eraser(...)
    return erased


@retention.eraser("sign_in_names")
@durable
def sign_in_names_erase(*, now: datetime.datetime | None = None) -> int:
    """Blank what was typed at failed sign-ins (it may be anyone's name or address) after
    SIGN_IN_RETENTION_DAYS, in the audit and in django-axes' attempts; the rows stay."""
    from axes.models import AccessAttempt

    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.SIGN_IN_RETENTION_DAYS)
    AccessAttempt.objects.filter(attempt_time__lt=before).delete()
    return (SecurityEvent.objects.filter(at__lt=before, actor__isnull=True)
            .exclude(username="").update(username=""))


# --- devices and sign-ins: the security audit -----------------------------------------


@durable
def device_create(*, office: Office, type: str, name: str, by: AbstractBaseUser | None,
                  **settings) -> Device:
    """Register a kiosk or display with a fresh key; the audit row names who issued it."""
    if type not in Device.Type.values:
        raise QueueError("The device type must be kiosk or display.", code="bad_device_type")
    device = Device.objects.create(office=office, type=type, name=name, **settings)
    _security_record(SecurityAction.DEVICE_KEY_CREATED, by=by, device=device,
                     detail=f"{device.get_type_display()} {device.name}")
    return device


@durable
def device_revoke(*, device: Device, by: AbstractBaseUser | None) -> Device:
    """Revoke a device's key: its pages and API calls are refused from now on, and every
    socket it holds open closes within seconds (the event reaches every process)."""
    d = Device.objects.select_for_update().get(pk=device.pk)
    if d.revoked:
        return d
    d.revoked = True
    d.save(update_fields=["revoked"])
    _security_record(SecurityAction.DEVICE_KEY_REVOKED, by=by, device=d,
                     detail=f"{d.get_type_display()} {d.name}")
    events.publish_device_revoked_on_commit(office_id=d.office_id, device_id=d.pk)
    return d


@durable
def security_event_record(*, action: SecurityAction, user: AbstractBaseUser | None = None,
                          username: str = "", address: str | None = None,
                          device: Device | None = None, detail: str = "") -> SecurityEvent:
    """Write one row of the security audit (a sign-in, a sign-out, a failure, an export)."""
    return _security_record(action, by=user, username=username, address=address,
                            device=device, detail=detail)


def _security_record(action: SecurityAction, *, by: AbstractBaseUser | None,
                     username: str = "", address: str | None = None,
                     device: Device | None = None, detail: str = "") -> SecurityEvent:
    user = by if by is not None and by.is_authenticated else None
    return SecurityEvent.objects.create(
        at=timezone.now(), action=action, actor=user,
        # A typed name is kept for failed sign-ins; never anything like an Individual Number.
        username=redact(username or (user.get_username() if user else ""))[:150],
        address=address or None, device=device, detail=redact(detail)[:200])
