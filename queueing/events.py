"""The event vocabulary, and the only code that publishes to the channel layer.

Every state change of a ticket or a counter is one ``Action``: the audit
models use it as their choices (with a database check), each action's payload
has one declared shape and one builder here, and the few questions screens
and reports ask of an event ("is it a call?", "does it change this waiting
line?") are answered here and nowhere else.

Events leave after commit, one group per office (``office.<id>``): every live
screen of the office listens to it through its process's hub (``live/hub.py``),
which is why each message names its group. Every message carries the
office's event version. Messages hold ticket numbers, never names, and never a
hand-off's reason or note: those are for staff, and displays and status pages get these.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import logging
from typing import TYPE_CHECKING, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import models, transaction

if TYPE_CHECKING:  # for the annotations only: the models import Action from here
    from .models import Counter, Step, Ticket

log = logging.getLogger(__name__)

MESSAGE_TYPE = "queue.event"  # the hub hands every message of an office group to its sockets
# Not a queue event (no version, no audit row of a ticket or counter): a device key was
# revoked, and every socket that key opened closes (``live/boards.py``).
DEVICE_REVOKED = "device.revoked"


class Action(models.TextChoices):
    """Every state change the audit trail records and the live screens receive."""

    # A ticket's life (TicketEvent).
    ISSUED = "issued", "発券"
    CALLED = "called", "呼出"
    RECALLED = "recalled", "再呼出"
    RESUMED = "resumed", "保留から呼出"
    STARTED = "started", "対応開始"
    HELD = "held", "保留"
    NO_SHOW_REQUEUED = "no_show_requeued", "不在 (列に戻す)"
    NO_SHOW = "no_show", "不在"
    STEP_COMPLETED = "step_completed", "次の手順へ"
    COMPLETED = "completed", "完了"
    TRANSFERRED = "transferred", "回付"
    CANCELLED = "cancelled", "取消"
    # Its counter stopped with nobody at it (console closed, signed out, silent): the
    # ticket goes back to its place in line.
    RETURNED = "returned", "窓口休止で列に戻す"
    # The resident, on the status page: on the way back to the lobby; an e-mail address
    # left for the near-turn and call messages. The ticket keeps its status and place.
    ON_MY_WAY = "on_my_way", "向かっています"
    NOTICE_OPTED_IN = "notice_opted_in", "通知メール登録"
    # A counter's status (CounterEvent).
    COUNTER_OPENED = "counter_opened", "窓口開始"
    COUNTER_PAUSED = "counter_paused", "窓口休止"
    COUNTER_CLOSED = "counter_closed", "窓口閉鎖"
    # Whether someone is signed in at the counter with a live console (CounterEvent).
    COUNTER_STAFFED = "counter_staffed", "在席"
    COUNTER_UNSTAFFED = "counter_unstaffed", "不在 (窓口)"


A = Action
COUNTER_ACTIONS = frozenset({A.COUNTER_OPENED, A.COUNTER_PAUSED, A.COUNTER_CLOSED,
                             A.COUNTER_STAFFED, A.COUNTER_UNSTAFFED})
TICKET_ACTIONS = frozenset(set(A) - COUNTER_ACTIONS)
# A resident is called to a counter: displays announce it and list it as a recent call.
CALLS = frozenset({A.CALLED, A.RECALLED, A.RESUMED})
# A counter starts its time with a ticket (a recall does not restart it).
COUNTER_TIME_STARTS = frozenset({A.CALLED, A.RESUMED})
# The counter is free again: what a waiting resident waits for (estimates). A ticket
# returned because its counter stopped is not a service and is left out.
FREES_COUNTER = frozenset({A.COMPLETED, A.STEP_COMPLETED, A.TRANSFERRED, A.HELD, A.NO_SHOW,
                           A.NO_SHOW_REQUEUED, A.CANCELLED})
# A step finished at a counter: the countable unit of the contract, and of service time.
STEP_FINISHED = frozenset({A.COMPLETED, A.STEP_COMPLETED, A.TRANSFERRED})
# A ticket joins a step's line (a visit starts; a resumed or requeued one keeps its visit).
JOINS_A_LINE = frozenset({A.ISSUED, A.STEP_COMPLETED, A.TRANSFERRED})
# A hand-off to another step (a transfer, or a step completed that has a next one): it
# carries a reason, a note for the next counter, and the counter it came from.
HAND_OFFS = frozenset({A.STEP_COMPLETED, A.TRANSFERRED})
# What a resident tells about their ticket: no status changes, no one moves in line.
RESIDENT_SAYS = frozenset({A.ON_MY_WAY, A.NOTICE_OPTED_IN})


def counter_action(status: str) -> Action:
    """The action that puts a counter into a status (``Counter.Status``)."""
    return {"open": A.COUNTER_OPENED, "break": A.COUNTER_PAUSED,
            "closed": A.COUNTER_CLOSED}[status]


# --- payloads: one declared shape per kind of action, one builder each ------------------


class TicketPayload(TypedDict):
    """What every ticket action tells the live screens (numbers only, never names)."""

    action: str
    at: str  # ISO time of the change (the audit row's)
    ticket: str  # display number, A012
    ticket_id: int
    service_id: int
    from_service_id: int  # differs from service_id after a transfer to another service
    step_id: int
    from_step_id: int | None  # None when issued
    step_kind: str
    from_status: str  # "" when issued
    status: str
    priority: int
    counter: int | None  # the counter's number, for calls and counter actions
    counter_kind: str | None
    called_at: str | None  # ISO; set while the ticket is at a counter


class CounterPayload(TypedDict):
    """What a counter action tells the live screens (its status, and whether it is staffed)."""

    action: str
    at: str
    counter: int  # number
    counter_id: int
    kind: str
    status: str
    staffed: bool  # someone is signed in at it with a live console


PAYLOAD_SHAPES: dict[Action, type] = {
    **{a: TicketPayload for a in TICKET_ACTIONS},
    **{a: CounterPayload for a in COUNTER_ACTIONS},
}


def ticket_payload(*, action: Action, ticket: Ticket, at: datetime.datetime,
                   from_status: str, from_step: Step | None,
                   from_service_id: int | None = None,
                   counter: Counter | None = None) -> TicketPayload:
    """The event of a ticket action, from the ticket as it is after the change."""
    assert action in TICKET_ACTIONS, action
    return TicketPayload(
        action=action.value,
        at=at.isoformat(),
        ticket=ticket.display_number,
        ticket_id=ticket.pk,
        service_id=ticket.service_id,
        from_service_id=from_service_id or ticket.service_id,
        step_id=ticket.step_id,
        from_step_id=from_step.pk if from_step else None,
        step_kind=ticket.step.kind,
        from_status=from_status,
        status=ticket.status,
        priority=ticket.priority,
        counter=counter.number if counter else None,
        counter_kind=counter.kind if counter else None,
        called_at=ticket.called_at.isoformat() if ticket.called_at and ticket.counter_id else None,
    )


def counter_payload(*, action: Action, counter: Counter,
                    at: datetime.datetime) -> CounterPayload:
    """The event of a counter action, from the counter as it is after the change."""
    assert action in COUNTER_ACTIONS, action
    return CounterPayload(action=action.value, at=at.isoformat(), counter=counter.number,
                          counter_id=counter.pk, kind=counter.kind, status=counter.status,
                          staffed=counter.staffed)


# --- questions screens ask of an event ----------------------------------------------------


def is_call(event: dict) -> bool:
    """Whether the event calls a resident to a counter (displays announce it)."""
    return event.get("action") in CALLS


def is_counter_event(event: dict) -> bool:
    """Whether the event changes a counter rather than a ticket."""
    return event.get("action") in COUNTER_ACTIONS


def changes_waiting_line(event: dict, *, step_id: int) -> bool:
    """Whether the event adds a ticket to, or takes one from, that step's waiting line.

    Only the waiting line of a step sets a resident's place in it: a ticket
    issued, called, transferred, cancelled or resumed moves the others; one
    completed at a counter does not, nor does what a resident says of their
    ticket. A counter opening or closing changes
    every estimate, so it counts too.
    """
    if is_counter_event(event):
        return True
    if event.get("action") in RESIDENT_SAYS:
        return False
    waiting = "waiting"
    joins = event.get("status") == waiting and event.get("step_id") == step_id
    left_step = event.get("from_step_id") or event.get("step_id")
    leaves = event.get("from_status") == waiting and left_step == step_id
    return joins or leaves


# --- publishing --------------------------------------------------------------


def office_group(office_id: int) -> str:
    """The channel-layer group of every live screen of an office."""
    return f"office.{office_id}"


def publish_on_commit(*, office_id: int, version: int,
                      event: TicketPayload | CounterPayload) -> None:
    """Send an event to the office's live screens once the change commits."""
    group, message = _office_message(office_id=office_id, version=version, event=event)
    transaction.on_commit(lambda: _send(group, message))


async def publish(*, office_id: int, version: int, event: TicketPayload | CounterPayload) -> None:
    """Send an event to the office's live screens now, from the event loop: for a change
    already committed (a statement run in autocommit, as the kiosk's lean path issues)."""
    await send_collected([_office_message(office_id=office_id, version=version, event=event)])


def _office_message(*, office_id: int, version: int,
                    event: TicketPayload | CounterPayload) -> tuple[str, dict]:
    group = office_group(office_id)
    return group, {"type": MESSAGE_TYPE, "group": group, "version": version, "event": event}


def publish_device_revoked_on_commit(*, office_id: int, device_id: int) -> None:
    """Tell every process, once the revocation commits, to close that device's sockets."""
    group = office_group(office_id)
    message = {"type": DEVICE_REVOKED, "group": group, "device_id": device_id}
    transaction.on_commit(lambda: _send(group, message))


# Where a caller on the event loop collects the events its worker thread commits, to
# send them itself (``events_collected``) instead of the thread hopping back to the loop.
_outbox: contextvars.ContextVar[list | None] = contextvars.ContextVar("outbox", default=None)


@contextlib.contextmanager
def events_collected():
    """Collect the events committed in this context (and the threads it runs code in) in a
    list instead of sending them; the caller sends them with ``send_collected``."""
    outbox: list = []
    token = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(token)


async def send_collected(outbox: list) -> None:
    """Send collected events from the event loop, with the same failure rule as ``_send``."""
    layer = get_channel_layer()
    for group, message in outbox if layer is not None else ():
        try:
            await layer.group_send(group, message)
        except Exception:  # noqa: BLE001 - any layer failure must not fail the action
            log.exception("publishing %s to %s failed", message["type"], group)


def _send(group: str, message: dict) -> None:
    outbox = _outbox.get()
    if outbox is not None:
        outbox.append((group, message))
        return
    # The database is the truth: a publish that fails (Redis down) is logged and
    # the request still succeeds; screens resync from a snapshot on reconnect or gap.
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 - any layer failure must not fail the action
        what = message.get("event", {}).get("action") or message["type"]
        log.exception("publishing %s to %s failed", what, group)
