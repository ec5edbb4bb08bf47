"""Every state change of the queue: one function per transition, each in one durable transaction.

Each function checks the hybrid rule through ``routing``, locks the rows it
changes, writes its audit row (``TicketEvent``, ``CounterEvent``) and bumps the
office's event version in the same transaction, and publishes the event after
commit (``events``). Lock order: counter, then ticket.

Every action at a counter is also a sign of life there (``_attend``): a counter
is open only while it is staffed (a database check), and it is staffed while
someone is signed in at it with a live console (``presence.py``).
"""

import datetime
import functools
import re
from collections.abc import Callable, Mapping

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.utils import timezone

from . import events, hours, isolation, numbering, presence, retention, routing
from .errors import Conflict, Forbidden, NotFound, QueueError
from .events import Action
from .models import (
    Counter,
    CounterEvent,
    CounterPresence,
    Device,
    Office,
    SecurityAction,
    SecurityEvent,
    Service,
    Step,
    Ticket,
    TicketEvent,
    TicketNotice,
    TicketRating,
    WorkUnit,
)
from .privacy import IndividualNumberRefused, holds_individual_number, redact
from .roles import role_label, role_of
from .selectors import people_ahead
from .transactions import durable
from .units import recorded_at

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
    request_key: str = "",
    calendar: hours.OfficeCalendar | None = None,
) -> Ticket:
    """Issue the next number of a service's queue, waiting at the service's first step.

    ``first_step`` saves a query when the caller already loaded it (the kiosk API does),
    ``calendar`` the office's calendar (``hours.office_calendar_cached``).
    A ``request_key`` (a kiosk's Idempotency-Key) issues once per business day: a retry
    of that request gets the ticket it was issued. Two tries at the same moment: the
    second fails on ``ticket_issued_once_per_request`` (IntegrityError) and, tried again,
    gets the first's ticket.
    """
    if request_key:
        issued = (Ticket.objects.select_related("step", "service")
                  .filter(office_id=service.office_id, business_day=numbering.business_day(),
                          request_key=request_key).first())
        if issued is not None:
            return issued
    ticket, event = _ticket_new(service=service, priority=priority, language=language,
                                device=device, by=by, booking_reference=booking_reference,
                                first_step=first_step, request_key=request_key,
                                calendar=calendar)
    version = _issued_insert(ticket, event)
    _announce(ticket, Action.ISSUED, version=version, at=ticket.issued_at, from_status="",
              from_step=None)
    return ticket


async def ticket_issue_async(*, aconnection, service: Service, first_step: Step,
                             priority: int, language: str, device: Device,
                             calendar: hours.OfficeCalendar,
                             request_key: str = "") -> Ticket:
    """``ticket_issue`` for a kiosk on PostgreSQL, from the event loop: the same checks and
    the same one statement, run on an async psycopg connection in autocommit (so the
    statement is its own transaction), the event sent once it has returned. A request
    key already used today fails the statement (``ticket_issued_once_per_request``,
    nothing written, no number taken): ``ticket_issue`` then answers the retry. The
    office's ``calendar`` is this process's copy (``hours.office_calendar_cached``); a
    service with a daily cap is Django's path's to issue (its count needs a lock)."""
    ticket, event = _ticket_new(service=service, priority=priority, language=language,
                                device=device, first_step=first_step, request_key=request_key,
                                calendar=calendar)
    cursor = await aconnection.execute(*_issue_statement(ticket, event))
    number, pk, version = await cursor.fetchone()
    _written(ticket, number=number, pk=pk)
    ticket.event_version = version
    await events.publish(office_id=ticket.office_id, version=version, event=events.ticket_payload(
        action=Action.ISSUED, ticket=ticket, at=ticket.issued_at, from_status="",
        from_step=None))
    return ticket


def _ticket_new(*, service: Service, priority: int, language: str, device: Device | None,
                by: AbstractBaseUser | None = None, booking_reference: str = "",
                first_step: Step | None, request_key: str = "",
                calendar: hours.OfficeCalendar | None = None) -> tuple[Ticket, TicketEvent]:
    """The new ticket (no number yet) and its audit row, after the checks of issuing.

    The office's ``calendar`` is read when not given (the lean kiosk path gives this
    process's copy: no query). A service with a daily cap is counted here with its row
    locked, so two kiosks at the cap take turns: only inside a transaction, which is why
    the lean path hands capped services to Django's path.
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
    if not (booking_reference and service.active):
        issued = None
        if service.daily_ticket_cap is not None:
            list(Service.objects.select_for_update(no_key=True).filter(pk=service.pk)
                 .values_list("pk"))
            issued = hours.walk_in_tickets_today(
                service_ids=[service.pk], day=numbering.business_day(now))[service.pk]
        availability = hours.service_availability(service=service, at=now, calendar=calendar,
                                                  issued_today=issued)
        if not availability.open:
            raise _not_available(service, availability)
    step = first_step if first_step is not None else _first_step(service)
    ticket = Ticket(
        office_id=service.office_id,
        business_day=numbering.business_day(now),
        prefix=service.prefix,
        service=service,
        step=step,
        priority=priority,
        language=language,
        issued_at=now,
        step_entered_at=now,
        booking_reference=booking_reference,
        request_key=request_key,
    )
    event = _audit_row(ticket, Action.ISSUED, from_status="", from_step=None, by=by,
                       device=device, at=now)
    return ticket, event


# The refusal's code per reason the service is not available (hours.py's reasons).
_REFUSAL_CODES = {hours.NO_COUNTER: "service_not_served", hours.SOLD_OUT: "service_sold_out"}


def _not_available(service: Service, availability: hours.Availability) -> Conflict:
    """The refusal of a ticket for a service that is not available, saying why and when it
    opens next (the kiosk says the same in the resident's language)."""
    why = availability.reason + (f" ({availability.why})" if availability.why else "")
    detail = f"{service.name} is not accepting tickets now: {why}."
    if availability.next_open is not None:
        detail += f" It opens next at {timezone.localtime(availability.next_open):%Y-%m-%d %H:%M}."
    return Conflict(detail, code=_REFUSAL_CODES.get(availability.reason, "service_closed"))


def _issued_insert(ticket: Ticket, event: TicketEvent) -> int:
    """Write a new ticket with its number, its audit row and the office's new event version;
    return the version. On PostgreSQL it is one statement, so a crowd of kiosks holds the
    number and version rows only while it runs; elsewhere (SQLite) the same steps in turn."""
    if connection.vendor != "postgresql":
        ticket.number = numbering.number_take(
            office_id=ticket.office_id, prefix=ticket.prefix, day=ticket.business_day)
        with connection.cursor() as cursor:  # Django's INSERTs, their text built once
            cursor.execute(_insert_sql_of(Ticket), _insert_params(ticket))
            _written(ticket, number=ticket.number, pk=cursor.fetchone()[0])
            event.ticket = ticket
            cursor.execute(_insert_sql_of(TicketEvent), _insert_params(event))
        return _version_bump(office_id=ticket.office_id)
    with connection.cursor() as cursor:
        cursor.execute(*_issue_statement(ticket, event))
        number, pk, version = cursor.fetchone()
    _written(ticket, number=number, pk=pk)
    return version


# In the issue statement the ticket's number and the audit row's ticket come from the
# statement's own parts.
_NUMBER_TAKEN = RawSQL("(SELECT last_number FROM number)", [])
_TICKET_WRITTEN = RawSQL("(SELECT id FROM ticket)", [])


def _issue_statement(ticket: Ticket, event: TicketEvent) -> tuple[str, list]:
    """The one PostgreSQL statement (number, ticket, version, audit row) that writes a new
    ticket, and its parameters; its text is built once per process."""
    ticket.number, event.ticket_id = _NUMBER_TAKEN, _TICKET_WRITTEN
    _, number_params = numbering.number_take_sql(
        office_id=ticket.office_id, prefix=ticket.prefix, day=ticket.business_day)
    _, version_params = _version_bump_sql(office_id=ticket.office_id)
    return _issue_sql(), [*number_params, *_insert_params(ticket), *version_params,
                          *_insert_params(event)]


@functools.cache
def _issue_sql() -> str:
    """The text of ``_issue_statement``: Django's own INSERTs of the two models (compiled
    once, the parameters are the same for every ticket) inside one WITH statement."""
    ticket, event = Ticket(number=_NUMBER_TAKEN), TicketEvent(ticket_id=_TICKET_WRITTEN)
    parts = [("number", numbering.number_take_sql(office_id=0, prefix="", day=datetime.date.min)),
             ("ticket", _insert_sql(ticket)), ("version", _version_bump_sql(office_id=0)),
             ("audit", _insert_sql(event))]
    return "WITH " + ", ".join(f"{name} AS ({sql})" for name, (sql, _) in parts) + (
        " SELECT (SELECT last_number FROM number), (SELECT id FROM ticket),"
        " (SELECT event_version FROM version)")


@functools.cache
def _insert_sql_of(model) -> str:
    """The text of Django's ``INSERT ... RETURNING id`` of a model (all values parameters)."""
    return _insert_sql(model())[0]


def _written(ticket: Ticket, *, number: int, pk: int) -> None:
    """Mark a ticket as saved with the number and id its INSERT gave it."""
    ticket.number, ticket.pk = number, pk
    ticket._state.adding = False
    ticket._state.db = DEFAULT_DB_ALIAS


@functools.cache
def _insert_fields(model) -> list:
    return [f for f in model._meta.local_concrete_fields if f is not model._meta.pk]


def _insert_sql(obj) -> tuple[str, list]:
    """The ``INSERT ... RETURNING id`` Django would run to save a new model instance."""
    model = type(obj)
    query = InsertQuery(model)
    query.insert_values(_insert_fields(model), [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [model._meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


def _insert_params(obj) -> list:
    """The parameters of ``_insert_sql(obj)`` without compiling it: each field's value as
    Django prepares it for saving; a RawSQL value is part of the text (no parameters)."""
    params, db = [], connections[DEFAULT_DB_ALIAS]  # looked up once: it is a context local
    for field in _insert_fields(type(obj)):
        value = field.pre_save(obj, add=True)
        if isinstance(value, RawSQL):
            params.extend(value.params)
        else:
            params.append(field.get_db_prep_save(value, connection=db))
    return params


# --- calling ------------------------------------------------------------------


@durable
def ticket_call_next(*, counter: Counter, by: AbstractBaseUser) -> Ticket | None:
    """Give the counter the next ticket it may serve, or None when its line is empty.

    A ticket in its no-show cooldown keeps its place but is skipped until then.
    """
    routing.ensure_can_operate(counter=counter, user=by)
    with _counter_free(counter, by=by) as now:
        ticket = (
            routing.waiting_line(counter=counter, callable_at=now)
            .select_related("step", "service")
            .select_for_update(skip_locked=True, no_key=True, of=("self",))
            .first()
        )
        if ticket is None:
            _staff(counter, by=by, at=now)
            return None
        _call(ticket, counter=counter, by=by, action=Action.CALLED, at=now)
    return ticket


@durable
def ticket_call_number(*, counter: Counter, by: AbstractBaseUser, number: str) -> Ticket:
    """Call one waiting ticket by its number (``A012``) of today, out of turn."""
    routing.ensure_can_operate(counter=counter, user=by)
    match = NUMBER_RE.match(number or "")
    if not match:
        raise QueueError("That is not a ticket number like A012.", code="bad_number")
    prefix, digits = match.group(1).upper(), int(match.group(2))
    with _counter_free(counter, by=by) as now:
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
        _call(ticket, counter=counter, by=by, action=Action.CALLED, at=now)
    return ticket


@durable
def ticket_recall(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Call the counter's current ticket again, up to the office's recall limit per call."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,))
    limit = t.office.recall_limit
    if t.recall_count >= limit:
        raise Conflict(
            f"{t.display_number} は既に{limit}回呼び直しました。不在にしてください。 "
            f"{t.display_number} was recalled {limit} times already; mark it a no-show.",
            code="recall_limit",
        )
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
def ticket_hold(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser, reason: str) -> Ticket:
    """Park the ticket with a reason (e.g. the resident fetches a document); the counter is free."""
    reason = _free_text(reason, field="reason", limit=200, required=True)
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED, S.SERVING))
    before, now = t.status, timezone.now()
    t.status, t.counter, t.held_at = S.HELD, None, now
    t.save(update_fields=["status", "counter", "held_at"])
    _record(t, Action.HELD, from_status=before, from_step=t.step, by=by, counter=counter,
            reason=reason, at=now)
    return t


@durable
def ticket_resume(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """Call a held ticket back to this counter."""
    routing.ensure_can_operate(counter=counter, user=by)
    with _counter_free(counter, by=by) as now:
        t = _locked(ticket)
        routing.ensure_can_handle(ticket=t, counter=counter)
        if t.status != S.HELD:
            raise Conflict(f"Ticket {t.display_number} is not on hold.", code="not_held")
        _call(t, counter=counter, by=by, action=Action.RESUMED, at=now)
    return t


@durable
def ticket_no_show(*, ticket: Ticket, counter: Counter, by: AbstractBaseUser) -> Ticket:
    """The called resident did not come: back in its place, skipped by "call next" for the
    office's cooldown; the office's last allowed no-show closes the ticket."""
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED,))
    now, office = timezone.now(), t.office
    t.counter = None
    t.no_show_count += 1
    if t.no_show_count < office.no_show_limit:
        cooldown = office.no_show_cooldown_minutes
        t.status, t.call_after = S.WAITING, now + datetime.timedelta(minutes=cooldown)
        action = Action.NO_SHOW_REQUEUED
        reason = (f"不在 {t.no_show_count}回目: 列の位置はそのまま、{cooldown}分間は次の呼出で"
                  f"飛ばします (no-show {t.no_show_count}: skipped by call next for "
                  f"{cooldown} min)")
    else:
        t.status, t.closed_at = S.NO_SHOW, now
        action = Action.NO_SHOW
        reason = f"不在 {t.no_show_count}回目で終了 (no-show {t.no_show_count}: closed)"
    t.save(update_fields=["status", "counter", "no_show_count", "closed_at", "call_after"])
    _record(t, action, from_status=S.CALLED, from_step=t.step, by=by, counter=counter,
            reason=reason, at=now)
    return t


@durable
def ticket_complete(
    *,
    ticket: Ticket,
    counter: Counter,
    by: AbstractBaseUser,
    units: Mapping[int, int] | None = None,
    reason: str = "",
    note: str = "",
) -> Ticket:
    """Finish the current step, recording what was done (``units``: unit id -> quantity; None:
    the step's defaults). A ticket with a next step moves there and keeps its place: a
    hand-off, with a reason (the step's end, unless one is given) and a note for the next
    counter."""
    reason = _free_text(reason, field="reason", limit=200)
    note = _free_text(note, field="note", limit=500)
    t = _acting(ticket, counter=counter, by=by, allowed=(S.CALLED, S.SERVING))
    before, from_step, now = t.status, t.step, timezone.now()
    recorded = recorded_at(from_step, units)
    next_step = _next_step(t.step)
    t.counter = None
    if next_step is None:
        t.status, t.closed_at, action = S.COMPLETED, now, Action.COMPLETED
        reason = note = ""
    else:
        t.status, t.step, t.step_entered_at = S.WAITING, next_step, now
        t.called_at = None
        action = Action.STEP_COMPLETED
        reason = reason or f"「{from_step.name}」完了 (step finished)"
    t.save(update_fields=["status", "counter", "closed_at", "step", "step_entered_at",
                          "called_at"])
    event = _record(t, action, from_status=before, from_step=from_step, by=by, counter=counter,
                    at=now, reason=reason, note=note)
    _units_record(event, recorded)
    return t


@durable
def ticket_transfer(
    *,
    ticket: Ticket,
    counter: Counter,
    by: AbstractBaseUser,
    reason: str,
    to_service: Service | None = None,
    note: str = "",
    units: Mapping[int, int] | None = None,
) -> Ticket:
    """Send the ticket to another service, or to its service's next step, with a reason and
    an optional note for the next counter.

    This is the formal hand-off between contractor and staff: the contractor
    never instructs a civil servant (or the reverse) directly; the ticket
    moves, with its reason, and keeps its original place in line. A ticket
    transferred from the counter records what was done there (``units``, as
    for ``ticket_complete``).
    """
    reason = _free_text(reason, field="reason", limit=200, required=True)
    note = _free_text(note, field="note", limit=500)
    routing.ensure_can_operate(counter=counter, user=by)
    now = _attend(counter, by=by)
    t = _locked(ticket)
    _staff(counter, by=by, at=now)
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
    before, from_step, from_service_id = t.status, t.step, t.service_id
    recorded = recorded_at(from_step, units) if before in Ticket.AT_COUNTER else {}
    t.service_id, t.step = target.service_id, target
    t.status, t.counter, t.called_at, t.step_entered_at = S.WAITING, None, None, now
    t.held_at = t.call_after = None
    t.save(update_fields=["service", "step", "status", "counter", "called_at",
                          "step_entered_at", "held_at", "call_after"])
    t.service = target.service
    event = _record(t, Action.TRANSFERRED, from_status=before, from_step=from_step, by=by,
                    counter=counter, reason=reason, note=note, at=now,
                    from_service_id=from_service_id)
    _units_record(event, recorded)
    return t


@durable
def ticket_cancel(
    *, ticket: Ticket, by: AbstractBaseUser | None = None, reason: str = ""
) -> Ticket:
    """Close an open ticket: the resident is leaving (status page) or staff cancel it."""
    reason = _free_text(reason, field="reason", limit=200)
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
    """Open, pause (break) or close a counter; a counter with a ticket at it cannot close.

    The person doing it is at the counter, so it counts as staffed (opening needs that).
    """
    routing.ensure_can_operate(counter=counter, user=by)
    if status not in Counter.Status.values:
        raise QueueError(f"The status must be one of {', '.join(Counter.Status.values)}.",
                         code="bad_status")
    reason = _free_text(reason, field="reason", limit=200)
    now = _attend(counter, by=by)
    _staff(counter, by=by, at=now)
    if status != Counter.Status.OPEN and Ticket.objects.filter(
        counter=counter, status__in=Ticket.AT_COUNTER
    ).exists():
        raise Conflict("Finish or hold the current ticket first.", code="counter_busy")
    _counter_record(counter, to=status, by=by, reason=reason, at=now)
    return counter


# --- counter presence -----------------------------------------------------------


@durable
def counter_presence_start(*, counter: Counter, by: AbstractBaseUser,
                           session_key: str = "") -> CounterPresence:
    """A console signed in at the counter: the counter is staffed from now (audited if it
    was not). The console's heartbeats keep it so (``counter_presence_beat``)."""
    routing.ensure_can_operate(counter=counter, user=by)
    now = timezone.now()
    _lock_counter(counter)
    found = CounterPresence.objects.create(
        counter=counter, user=by, role=role_of(by) or "", session_key=session_key or "",
        started_at=now, seen_at=now)
    _staff(counter, by=by, at=now)
    return found


@durable
def counter_presence_beat(*, socket: str) -> bool:
    """A console's heartbeat: it is still there. False when its presence has ended."""
    return CounterPresence.objects.filter(socket=socket, left_at__isnull=True).update(
        seen_at=timezone.now()) == 1


@durable
def counter_presence_leave(*, socket: str, reason: str) -> None:
    """A console went: closed (it still counts for the grace time: a reload, a restart), or
    its session expired (at once: the counter pauses if nobody else is there)."""
    found = CounterPresence.objects.filter(socket=socket, left_at__isnull=True).first()
    if found is None:
        return
    now = timezone.now()
    [counter] = _lock_counters_and_tickets([found.counter_id])  # lock order
    CounterPresence.objects.filter(pk=found.pk, left_at__isnull=True).update(
        left_at=now, left_reason=reason)
    if reason != CounterPresence.Left.CLOSED:
        _unstaff_if_gone(counter, now=now)


@durable
def counter_presence_sign_out(*, user: AbstractBaseUser, session_key: str) -> list[Counter]:
    """The person signed out: their consoles of that session (and their API presences) stop
    counting at once, and every counter left without anyone pauses."""
    mine = CounterPresence.objects.filter(user=user, left_at__isnull=True,
                                          session_key__in=[session_key or "", ""])
    counter_ids = sorted(set(mine.values_list("counter_id", flat=True)))
    now = timezone.now()
    counters = _lock_counters_and_tickets(counter_ids)
    mine.update(left_at=now, left_reason=CounterPresence.Left.SIGNED_OUT)
    return [c for c in counters if _unstaff_if_gone(c, now=now)]


def counter_presence_expire(*, now: datetime.datetime | None = None) -> list[Counter]:
    """Unstaff every staffed counter whose presences are all gone (silent past the timeout,
    closed past the grace time): it pauses with the reason, and a ticket at it goes back to
    its place in line. Returns those counters. Each counter is on its own (its own
    transaction; a failure is recorded and backed off, ``queueing.isolation``). Safe to run
    in several processes at once."""
    now = now or timezone.now()
    live = CounterPresence.objects.filter(presence.live_q(now), counter_id=OuterRef("pk"))
    gone = list(Counter.objects.filter(staffed=True).exclude(Exists(live))
                .values_list("pk", flat=True).order_by("pk"))
    expired: list[Counter] = []

    @durable
    def unstaff(counter_id: int) -> str | None:
        [counter] = _lock_counters_and_tickets([counter_id]) or [None]
        if counter is None or not _unstaff_if_gone(counter, now=now):
            return None
        expired.append(counter)
        return "paused"

    isolation.each_on_its_own("counter_presence_expire", gone, unstaff,
                              key=lambda pk: f"counter {pk}", now=now)
    _presences_forget(now=now)
    return expired


@durable
def _presences_forget(*, now: datetime.datetime) -> None:
    """Presence rows are the sweep's working state, not the audit (CounterEvent is): a day on
    they go."""
    day_ago = now - datetime.timedelta(days=1)
    CounterPresence.objects.filter(left_at__lt=day_ago).delete()
    CounterPresence.objects.filter(left_at__isnull=True, seen_at__lt=day_ago).delete()


# --- what the resident says on the status page ------------------------------------


@durable
def ticket_on_my_way(*, ticket: Ticket) -> Ticket:
    """The resident (by the status page's token, no sign-in) is on the way back to the
    lobby: the ticket keeps its status and place, the console shows the mark. Saying it
    again changes nothing."""
    t = _locked(ticket)
    if t.status != S.WAITING:
        raise Conflict(f"Ticket {t.display_number} is not waiting.", code="not_waiting")
    if t.on_my_way_at is None:
        t.on_my_way_at = timezone.now()
        t.save(update_fields=["on_my_way_at"])
        _record(t, Action.ON_MY_WAY, from_status=t.status, from_step=t.step,
                reason="本人が「向かっています」と連絡 (resident on the way)", at=t.on_my_way_at)
    return t


@durable
def ticket_notice_opt_in(*, ticket: Ticket, email: str) -> TicketNotice:
    """Keep an e-mail address for this ticket's near-turn and call messages (the resident's
    choice on the status page). ``email`` is as ``appointments.contacts.email_clean`` reads
    it, the one home of what an address may be. The audit row never holds the address."""
    if not email:
        raise QueueError("An e-mail address is needed.", code="invalid_email")
    t = _locked(ticket)
    if t.status not in Ticket.OPEN:
        raise Conflict(f"Ticket {t.display_number} is already closed.", code="closed")
    now = timezone.now()
    notice, _ = TicketNotice.objects.update_or_create(
        ticket=t, defaults={"email": email, "opted_in_at": now})
    _record(t, Action.NOTICE_OPTED_IN, from_status=t.status, from_step=t.step,
            reason="通知メール登録 (e-mail opt-in)", at=now)
    return notice


RATING_COMMENT_LIMIT = TicketRating._meta.get_field("comment").max_length


@durable
def ticket_rate(*, ticket: Ticket, score: int, comment: str = "") -> TicketRating:
    """Record the resident's satisfaction with a completed visit (the status page, by its
    token), once per ticket, with the kind of the counter that completed it. The comment is
    optional; one holding an Individual Number is refused and never stored or echoed."""
    comment = (comment or "").strip()
    if score not in TicketRating.Score.values:
        raise QueueError("The score must be a whole number from 1 to 5.", code="invalid_score")
    if len(comment) > RATING_COMMENT_LIMIT:
        raise QueueError(f"The comment is over {RATING_COMMENT_LIMIT} characters.",
                         code="comment_too_long")
    if holds_individual_number(comment):
        raise IndividualNumberRefused("comment")
    t = _locked(ticket)
    if t.status != S.COMPLETED:
        raise Conflict(f"Ticket {t.display_number} is not completed yet.", code="not_completed")
    if TicketRating.objects.filter(ticket=t).exists():
        raise Conflict(f"Ticket {t.display_number} is already rated.", code="already_rated")
    completed = (TicketEvent.objects.filter(ticket=t, action=Action.COMPLETED)
                 .order_by("-at", "-id").values_list("counter_kind", flat=True).first())
    return TicketRating.objects.create(ticket=t, score=score, comment=comment,
                                       counter_kind=completed or t.step.kind,
                                       rated_at=timezone.now())


@durable
def ticket_notice_send(*, notice_id: int, kind: str,
                       send: Callable[[TicketNotice, str], None]) -> str | None:
    """Send one ticket's near-turn or call message once (``send`` renders and mails it).

    The notice row is locked and checked again (still due, not sent yet), marked sent
    and mailed in one transaction: a send that fails rolls the mark back and is tried
    by a later run (``queueing.isolation``); two runs at once never both send. Returns
    the kind sent, or None when there was nothing to do after all.
    """
    notice = (TicketNotice.objects.select_for_update(skip_locked=True, of=("self",))
              .select_related("ticket__counter", "ticket__office")
              .filter(pk=notice_id).exclude(email="").first())
    if notice is None or not _notice_due(notice, kind):
        return None
    now = timezone.now()
    if kind == TicketNotice.Kind.NEAR:
        notice.near_sent_at = now
    else:
        notice.called_sent_at, notice.called_counter = now, notice.ticket.counter.number
    notice.save(update_fields=["near_sent_at", "called_sent_at", "called_counter"])
    send(notice, kind)
    return kind


def _notice_due(notice: TicketNotice, kind: str) -> bool:
    """Whether that message of the notice is still to be sent (the job's rule, checked again
    with the row locked)."""
    t = notice.ticket
    if t.business_day != numbering.business_day():
        return False
    if kind == TicketNotice.Kind.CALLED:
        return notice.called_sent_at is None and t.status == S.CALLED
    return (notice.near_sent_at is None and notice.called_sent_at is None
            and t.status == S.WAITING and people_ahead(ticket=t) <= t.office.near_turn_ahead)


# --- internals ----------------------------------------------------------------


def _free_text(text: str, *, field: str, limit: int, required: bool = False) -> str:
    """A typed reason or note, trimmed; refused when empty (if required), too long, or holding
    an Individual Number (個人番号, never stored, never echoed)."""
    text = (text or "").strip()
    label = {"reason": ("理由", "reason"), "note": ("メモ", "note")}[field]
    if required and not text:
        raise QueueError(f"{label[0]}を選ぶか入力してください。 A {label[1]} is needed.",
                         code="reason_required")
    if len(text) > limit:
        raise QueueError(f"{label[0]}は{limit}文字までです。 The {label[1]} is over {limit} "
                         "characters.", code=f"{field}_too_long")
    if holds_individual_number(text):
        raise QueueError(
            f"{label[0]}に12桁の数字 (個人番号のような番号) があります。"
            "個人番号は書かないでください。保存していません。 "
            f"The {label[1]} holds 12 digits in a row, like an Individual Number; "
            "it was not saved. Leave the number out.",
            code="individual_number",
        )
    return text


def _units_record(event: TicketEvent, recorded: dict[int, int]) -> None:
    WorkUnit.objects.bulk_create(
        WorkUnit(event=event, unit_id=unit_id, quantity=quantity)
        for unit_id, quantity in recorded.items())


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
    now = _attend(counter, by=by)
    t = _locked(ticket)
    _staff(counter, by=by, at=now)
    _ensure_at(t, counter)
    if t.status not in allowed:
        raise Conflict(
            f"Ticket {t.display_number} is {t.get_status_display()}; "
            "that action does not apply.",
            code="invalid_transition",
        )
    return t


def _lock_counter(counter: Counter) -> Counter:
    """Lock the counter's row (lock order: counter, then ticket) and refresh what the caller
    holds of it (it may be a moment old)."""
    locked = (Counter.objects.select_for_update(no_key=True)
              .filter(pk=counter.pk).values("status", "staffed").first())
    if locked is None:
        raise NotFound("No such counter.", code="counter_not_found")
    counter.status, counter.staffed = locked["status"], locked["staffed"]
    return counter


def _attend(counter: Counter, *, by: AbstractBaseUser) -> datetime.datetime:
    """Lock the counter, and count the action as a sign of life of the person there: it
    keeps their console's presence (or makes one for an API client). Returns the time of
    the action; the caller staffs the counter (``_staff``) once it holds its tickets."""
    now = timezone.now()
    _lock_counter(counter)
    seen = CounterPresence.objects.filter(counter=counter, user=by, left_at__isnull=True)
    if not seen.update(seen_at=now):
        CounterPresence.objects.create(counter=counter, user=by, role=role_of(by) or "",
                                       started_at=now, seen_at=now)
    return now


def _staff(counter: Counter, *, by: AbstractBaseUser, at: datetime.datetime) -> None:
    """Someone is at the counter: staffed from now, audited when it was not.

    Its audit bumps the office's version, the last lock of every transaction
    (lock order: counter, ticket, office), so it comes after the ticket locks.
    """
    if counter.staffed:
        return
    counter.staffed = True
    counter.save(update_fields=["staffed"])
    _counter_audit(counter, Action.COUNTER_STAFFED, from_status=counter.status, by=by, at=at,
                   reason=f"着席: {role_label(role_of(by))} (someone signed in here)")


def _lock_counters_and_tickets(counter_ids: list[int]) -> list[Counter]:
    """Lock these counters (by id), then the tickets at them (by id), before any change: the
    lock order of every action (counter, ticket, office) across several counters."""
    counters = list(Counter.objects.select_for_update(no_key=True).filter(pk__in=counter_ids)
                    .order_by("pk"))
    list(Ticket.objects.select_for_update(no_key=True).filter(
        counter__in=counters, status__in=Ticket.AT_COUNTER).order_by("pk").values_list("pk"))
    return counters


def _unstaff_if_gone(counter: Counter, *, now: datetime.datetime) -> bool:
    """With the counter locked: if none of its presences counts any more, the ticket at it
    goes back in line, it pauses and is no longer staffed, each audited with the reason.
    True when it was unstaffed."""
    rows = CounterPresence.objects.filter(counter=counter)
    if not counter.staffed or rows.filter(presence.live_q(now)).exists():
        return False
    last = rows.order_by("-seen_at", "-id").first()
    why = presence.why_gone(last) if last else CounterPresence.Left.SILENT
    reason = str(CounterPresence.Left(why).label)
    rows.filter(left_at__isnull=True).update(left_at=now, left_reason=CounterPresence.Left.SILENT)
    current = (Ticket.objects.select_related("step", "service", "office")
               .select_for_update(no_key=True, of=("self",))
               .filter(counter=counter, status__in=Ticket.AT_COUNTER).first())
    if current is not None:
        _return_to_line(current, counter=counter, reason=reason, at=now)
    if counter.status == Counter.Status.OPEN:
        _counter_record(counter, to=Counter.Status.BREAK, by=None, reason=reason, at=now)
    counter.staffed = False
    counter.save(update_fields=["staffed"])
    _counter_audit(counter, Action.COUNTER_UNSTAFFED, from_status=counter.status, by=None,
                   at=now, reason=reason)
    return True


def _return_to_line(ticket: Ticket, *, counter: Counter, reason: str,
                    at: datetime.datetime) -> None:
    """A ticket at a counter that stopped goes back to its place (its issue time never
    changed), callable at once."""
    before = ticket.status
    ticket.status, ticket.counter, ticket.called_at = S.WAITING, None, None
    ticket.save(update_fields=["status", "counter", "called_at"])
    _record(ticket, Action.RETURNED, from_status=before, from_step=ticket.step, counter=counter,
            reason=f"窓口休止のため列に戻す: {reason}", at=at)


class _counter_free:
    """The part of a service in which the counter takes a ticket; refuses if it already has one.

    The counter row is locked first (``_attend``), so two consoles of the same
    counter take turns. The conditional unique constraint
    ``one_active_ticket_per_counter`` is the backstop when two consoles of one
    counter press "call" together. Entering gives the time of the action.
    """

    def __init__(self, counter: Counter, *, by: AbstractBaseUser):
        self.counter, self.by = counter, by

    def __enter__(self) -> datetime.datetime:
        # Lock order: counter, then ticket. Two consoles of one counter queue
        # here instead of both picking a ticket.
        now = _attend(self.counter, by=self.by)
        current = Ticket.objects.filter(
            counter=self.counter, status__in=Ticket.AT_COUNTER
        ).first()
        if current is not None:
            raise Conflict(
                f"Counter {self.counter.number} is still at ticket {current.display_number}; "
                "complete, hold or transfer it first.",
                code="counter_busy",
            )
        return now

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, IntegrityError):
            raise Conflict(
                f"Counter {self.counter.number} just took another ticket.", code="counter_busy"
            ) from exc
        return False


def _call(ticket: Ticket, *, counter: Counter, by: AbstractBaseUser, action: Action,
          at: datetime.datetime) -> None:
    _staff(counter, by=by, at=at)  # with the ticket locked (lock order)
    before = ticket.status
    ticket.status, ticket.counter, ticket.called_at = S.CALLED, counter, at
    ticket.first_called_at = ticket.first_called_at or at
    ticket.recall_count, ticket.call_after, ticket.held_at = 0, None, None
    ticket.on_my_way_at = None  # the call answers it; back in line, the resident says it anew
    ticket.save(update_fields=["status", "counter", "called_at", "first_called_at",
                               "recall_count", "call_after", "held_at", "on_my_way_at"])
    if counter.status != Counter.Status.OPEN:  # calling opens the counter, audited like any
        _counter_record(counter, to=Counter.Status.OPEN, by=by, reason="A ticket was called.",
                        at=at)
    _record(ticket, action, from_status=before, from_step=ticket.step, by=by, counter=counter,
            at=at)


def _counter_record(counter: Counter, *, to: str, by: AbstractBaseUser | None,
                    reason: str = "", at: datetime.datetime | None = None) -> None:
    """Change the counter's status, write its audit row, bump the version, publish after commit."""
    before = counter.status
    counter.status = to
    counter.save(update_fields=["status"])
    _counter_audit(counter, events.counter_action(to), from_status=before, by=by, reason=reason,
                   at=at)


def _counter_audit(counter: Counter, action: Action, *, from_status: str,
                   by: AbstractBaseUser | None, reason: str = "",
                   at: datetime.datetime | None = None) -> None:
    """Write a counter's audit row, bump the office version, publish after commit."""
    at = at or timezone.now()
    CounterEvent.objects.create(
        counter=counter, at=at, action=action, from_status=from_status, to_status=counter.status,
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
    note: str = "",
    at: datetime.datetime | None = None,
    from_service_id: int | None = None,
) -> TicketEvent:
    """Write the audit row, bump the office version and queue the event for after commit.

    The note stays in the audit row: the event leaves without it (``events.ticket_payload``).
    """
    at = at or timezone.now()
    event = _audit_row(ticket, action, from_status=from_status, from_step=from_step, by=by,
                       device=device, counter=counter, reason=reason, note=note, at=at)
    event.save(force_insert=True)
    _announce(ticket, action, version=_version_bump(office_id=ticket.office_id), at=at,
              from_status=from_status, from_step=from_step, from_service_id=from_service_id,
              counter=counter)
    return event


def _audit_row(ticket: Ticket, action: Action, *, from_status: str, from_step: Step | None,
               by: AbstractBaseUser | None = None, device: Device | None = None,
               counter: Counter | None = None, reason: str = "", note: str = "",
               at: datetime.datetime) -> TicketEvent:
    """The (unsaved) audit row of a ticket's change, from the ticket as it is after it."""
    return TicketEvent(
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
        note=note,
    )


def _announce(ticket: Ticket, action: Action, *, version: int, at: datetime.datetime,
              from_status: str, from_step: Step | None, from_service_id: int | None = None,
              counter: Counter | None = None) -> None:
    """Give the ticket the change's event version and publish the event after commit."""
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
    with connection.cursor() as cursor:
        cursor.execute(*_version_bump_sql(office_id=office_id))
        return cursor.fetchone()[0]


def _version_bump_sql(*, office_id: int) -> tuple[str, list]:
    table = connection.ops.quote_name(Office._meta.db_table)
    return (f"UPDATE {table} SET event_version = event_version + 1 WHERE id = %s "
            "RETURNING event_version", [office_id])


# --- retention -------------------------------------------------------------------------


@retention.eraser("ticket_notes")
@durable
def ticket_notes_erase(*, now: datetime.datetime | None = None) -> int:
    """Blank the free text staff wrote on tickets and counters (hand-off, transfer and hold
    reasons, notes for the next counter) older than HANDOFF_NOTE_RETENTION_DAYS; the events,
    their preset reasons and their counts stay."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.HANDOFF_NOTE_RETENTION_DAYS)
    erased = (TicketEvent.objects.filter(at__lt=before).exclude(reason="", note="")
              .update(reason="", note=""))
    erased += CounterEvent.objects.filter(at__lt=before).exclude(reason="").update(reason="")
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


@retention.eraser("ticket_notice_addresses")
@durable
def ticket_notice_addresses_erase(*, now: datetime.datetime | None = None) -> int:
    """Blank the e-mail addresses residents left on their status pages once the ticket's
    business day is over; when the messages were sent stays."""
    today = numbering.business_day(now) if now else numbering.business_day()
    return (TicketNotice.objects.filter(ticket__business_day__lt=today).exclude(email="")
            .update(email=""))


@retention.eraser("rating_comments")
@durable
def rating_comments_erase(*, now: datetime.datetime | None = None) -> int:
    """Blank the comments residents left with their ratings after
    RATING_COMMENT_RETENTION_DAYS; the scores stay for the reports."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.RATING_COMMENT_RETENTION_DAYS)
    return TicketRating.objects.filter(rated_at__lt=before).exclude(comment="").update(
        comment="")


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
