"""Every state change of the queue: one function per transition, each in one transaction.

Each function checks the hybrid rule through ``routing``, locks the rows it
changes, writes a ``TicketEvent`` (audit) and bumps the office's event version
in the same transaction, and publishes the event after commit.
"""

import datetime
import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import events, numbering, routing
from .errors import Conflict, Forbidden, NotFound, QueueError
from .models import Counter, Device, Kind, Office, Service, Step, Ticket, TicketEvent

S = Ticket.Status
NUMBER_RE = re.compile(r"^\s*([A-Za-z]{1,2})\s*-?\s*0*(\d{1,4})\s*$")


# --- issuing ------------------------------------------------------------------


def service_is_open(*, service: Service, at: datetime.datetime) -> bool:
    """True when tickets may be issued for the service at that moment (its enabled hours)."""
    if not service.active:
        return False
    local = timezone.localtime(at).time()
    if service.available_from and local < service.available_from:
        return False
    if service.available_until and local >= service.available_until:
        return False
    return True


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
    if not service_is_open(service=service, at=now) and not (booking_reference and service.active):
        raise Conflict(f"{service.name} is not accepting tickets now.", code="service_closed")
    step = first_step if first_step is not None else _first_step(service)
    day = numbering.business_day(now)
    with transaction.atomic():
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
        _record(ticket, "issued", from_status="", from_step=None, by=by, device=device, at=now)
    return ticket


# --- calling ------------------------------------------------------------------


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
        _call(ticket, counter=counter, by=by, action="called")
    return ticket


def ticket_call_number(*, counter: Counter, by: AbstractBaseUser, number: str) -> Ticket:
    """Call one waiting ticket by its number (``A012``) of today, out of turn."""
    routing.ensure_can_operate(counter=counter, user=by)
    match = NUMBER_RE.match(number or "")
    if not match:
        raise QueueError(f"'{number}' is not a ticket number like A012.", code="bad_number")
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
        _call(ticket, counter=counter, by=by, action="called")
    return ticket


def ticket_recall(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Call the counter's current ticket again (displays announce it once more)."""
    with _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,)) as t:
        t.recall_count += 1
        t.called_at = timezone.now()
        t.save(update_fields=["recall_count", "called_at"])
        _record(t, "recalled", from_status=S.CALLED, from_step=t.step, by=by, counter=counter)
    return t


def ticket_start(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """The resident has arrived at the counter: service begins."""
    with _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,)) as t:
        t.status = S.SERVING
        t.started_at = timezone.now()
        t.save(update_fields=["status", "started_at"])
        _record(t, "started", from_status=S.CALLED, from_step=t.step, by=by, counter=counter)
    return t


def ticket_hold(
    *, ticket: Ticket, counter: Counter, by: AbstractBaseUser, reason: str = ""
) -> Ticket:
    """Park the ticket (e.g. the resident fetches a document); the counter is free again."""
    with _acting(ticket, counter=counter, by=by, allowed=(S.CALLED, S.SERVING)) as t:
        before = t.status
        t.status = S.HELD
        t.counter = None
        t.save(update_fields=["status", "counter"])
        _record(t, "held", from_status=before, from_step=t.step, by=by, counter=counter,
                reason=reason)
    return t


def ticket_resume(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Call a held ticket back to this counter."""
    routing.ensure_can_operate(counter=counter, user=by)
    with _counter_free(counter):
        t = _locked(ticket)
        routing.ensure_can_handle(ticket=t, counter=counter)
        if t.status != S.HELD:
            raise Conflict(f"Ticket {t.display_number} is not on hold.", code="not_held")
        _call(t, counter=counter, by=by, action="resumed")
    return t


def ticket_no_show(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """The called resident did not come: back in line once within the grace time, else closed."""
    with _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,)) as t:
        now = timezone.now()
        grace = datetime.timedelta(minutes=t.office.no_show_grace_minutes)
        first_call = t.first_called_at or t.called_at or now
        t.counter = None
        t.no_show_count += 1
        if t.no_show_count == 1 and now - first_call <= grace:
            t.status = S.WAITING
            action, reason = "no_show_requeued", "No-show: back in line once (grace time)."
        else:
            t.status = S.NO_SHOW
            t.closed_at = now
            action, reason = "no_show", "No-show."
        t.save(update_fields=["status", "counter", "no_show_count", "closed_at"])
        _record(t, action, from_status=S.CALLED, from_step=t.step, by=by, counter=counter,
                reason=reason, at=now)
    return t


def ticket_complete(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Finish the current step; a ticket with a next step moves there and keeps its place."""
    with _acting(ticket, counter=counter, by=by, allowed=(S.CALLED, S.SERVING)) as t:
        before, from_step, now = t.status, t.step, timezone.now()
        next_step = _next_step(t.step)
        t.counter = None
        if next_step is None:
            t.status, t.closed_at, action = S.COMPLETED, now, "completed"
        else:
            t.status, t.step, t.step_entered_at = S.WAITING, next_step, now
            t.called_at = None
            action = "step_completed"
        t.save(update_fields=["status", "counter", "closed_at", "step", "step_entered_at",
                              "called_at"])
        _record(t, action, from_status=before, from_step=from_step, by=by, counter=counter, at=now)
    return t


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
    with transaction.atomic():
        t = _locked(ticket)
        routing.ensure_can_operate(counter=counter, user=by)
        if t.status in (S.CALLED, S.SERVING):
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
        before, from_step, now = t.status, t.step, timezone.now()
        t.service_id, t.step = target.service_id, target
        t.status, t.counter, t.called_at, t.step_entered_at = S.WAITING, None, None, now
        t.save(update_fields=["service", "step", "status", "counter", "called_at",
                              "step_entered_at"])
        _record(t, "transferred", from_status=before, from_step=from_step, by=by,
                counter=counter, reason=reason[:200], at=now)
    t.service = target.service
    return t


def ticket_cancel(
    *, ticket: Ticket, by: AbstractBaseUser | None = None, reason: str = ""
) -> Ticket:
    """Close an open ticket: the resident is leaving (status page) or staff cancel it."""
    with transaction.atomic():
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
        _record(t, "cancelled", from_status=before, from_step=t.step, by=by, counter=counter,
                reason=reason or ("Resident left." if by is None else "Cancelled by staff."))
    return t


def counter_set_status(*, counter: Counter, by: AbstractBaseUser, status: str) -> Counter:
    """Open, pause (break) or close a counter; a counter with a ticket at it cannot close."""
    routing.ensure_can_operate(counter=counter, user=by)
    if status not in Counter.Status.values:
        raise QueueError(f"'{status}' is not one of {', '.join(Counter.Status.values)}.",
                         code="bad_status")
    with transaction.atomic():
        c = Counter.objects.select_for_update(no_key=True).get(pk=counter.pk)
        if status != Counter.Status.OPEN and Ticket.objects.filter(
            counter=c, status__in=Ticket.ACTIVE_AT_COUNTER
        ).exists():
            raise Conflict("Finish or hold the current ticket first.", code="counter_busy")
        c.status = status
        c.save(update_fields=["status"])
        version = events.version_bump(office_id=c.office_id)
        events.publish_on_commit(
            office_id=c.office_id,
            version=version,
            event={"action": "counter_status", "counter": c.number, "kind": c.kind,
                   "status": c.status},
        )
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


class _acting:
    """Lock a ticket that is at this counter, in one of the allowed states, for an action."""

    def __init__(self, ticket, *, counter, by, allowed):
        self.ticket, self.counter, self.by, self.allowed = ticket, counter, by, allowed
        self.atomic = transaction.atomic()

    def __enter__(self) -> Ticket:
        routing.ensure_can_operate(counter=self.counter, user=self.by)
        self.atomic.__enter__()
        try:
            t = _locked(self.ticket)
            _ensure_at(t, self.counter)
            if t.status not in self.allowed:
                raise Conflict(
                    f"Ticket {t.display_number} is {t.get_status_display()}; "
                    "that action does not apply.",
                    code="invalid_transition",
                )
        except BaseException as exc:
            self.atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return t

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


class _counter_free:
    """A transaction in which the counter takes a ticket; refuses if it already has one.

    The counter row is locked first, so two consoles of the same counter take
    turns. The conditional unique constraint ``one_active_ticket_per_counter`` is the
    backstop when two consoles of one counter press "call" together.
    """

    def __init__(self, counter: Counter):
        self.counter = counter
        self.atomic = transaction.atomic()

    def __enter__(self):
        self.atomic.__enter__()
        try:
            # Lock order: counter, then ticket. Two consoles of one counter queue
            # here instead of both picking a ticket.
            Counter.objects.select_for_update(no_key=True).filter(pk=self.counter.pk).first()
            current = Ticket.objects.filter(
                counter=self.counter, status__in=Ticket.ACTIVE_AT_COUNTER
            ).first()
            if current is not None:
                raise Conflict(
                    f"Counter {self.counter.number} is still at ticket {current.display_number}; "
                    "complete, hold or transfer it first.",
                    code="counter_busy",
                )
        except BaseException as exc:
            self.atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        busy = Conflict(
            f"Counter {self.counter.number} just took another ticket.", code="counter_busy"
        )
        try:
            self.atomic.__exit__(exc_type, exc, tb)
        except IntegrityError as commit_error:
            raise busy from commit_error
        if exc_type is not None and issubclass(exc_type, IntegrityError):
            raise busy from exc
        return False


def _call(ticket: Ticket, *, counter: Counter, by: AbstractBaseUser, action: str) -> None:
    before, now = ticket.status, timezone.now()
    ticket.status, ticket.counter, ticket.called_at = S.CALLED, counter, now
    ticket.first_called_at = ticket.first_called_at or now
    ticket.save(update_fields=["status", "counter", "called_at", "first_called_at"])
    if counter.status != Counter.Status.OPEN:
        Counter.objects.filter(pk=counter.pk).update(status=Counter.Status.OPEN)
        counter.status = Counter.Status.OPEN
    _record(ticket, action, from_status=before, from_step=ticket.step, by=by, counter=counter,
            at=now)


def _record(
    ticket: Ticket,
    action: str,
    *,
    from_status: str,
    from_step: Step | None,
    by: AbstractBaseUser | None = None,
    device: Device | None = None,
    counter: Counter | None = None,
    reason: str = "",
    at: datetime.datetime | None = None,
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
    version = events.version_bump(office_id=ticket.office_id)
    ticket.event_version = version  # the API returns it, so clients can match the event stream
    events.publish_on_commit(
        office_id=ticket.office_id,
        version=version,
        event={
            "action": action,
            "ticket": ticket.display_number,
            "ticket_id": ticket.pk,
            "service_id": ticket.service_id,
            "step_id": ticket.step_id,
            "from_step_id": from_step.id if from_step else None,
            "step_kind": ticket.step.kind,
            "from_status": from_status,
            "status": ticket.status,
            "priority": ticket.priority,
            "counter": counter.number if counter else None,
            "counter_kind": counter.kind if counter else None,
        },
    )


__all__ = [
    "Kind",
    "Office",
    "service_is_open",
    "ticket_issue",
    "ticket_call_next",
    "ticket_call_number",
    "ticket_recall",
    "ticket_start",
    "ticket_hold",
    "ticket_resume",
    "ticket_no_show",
    "ticket_complete",
    "ticket_transfer",
    "ticket_cancel",
    "counter_set_status",
]
