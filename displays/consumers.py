"""WebSocket consumers of every live screen: lobby displays, status pages, staff screens.

The contract other screens are built against:

- ``/ws/display/<key>/``: a display device key; unknown or revoked -> close 4403.
- ``/ws/ticket/<token>/``: a resident's status page; unknown token -> close 4404.
- ``/ws/office/<office_id>/``: signed-in staff with a role; anonymous -> 4401,
  no role -> 4403, unknown office -> 4404.
- On connect: ``{"type": "snapshot", "version": N, "data": {...}}``.
- Each event: ``{"type": "event", "version": N, "event": {...}}``; the ticket
  socket gets only its own ticket's events, plus ``{"type": "status", "version":
  N, "data": {...}}`` when an event changes the waiting line of its step
  (coalesced, at most four a second). Its versions therefore skip; status pages
  need no gap check because every status message is the whole state.
- ``{"type": "resync"}`` from the client -> a fresh snapshot.

Consumers are thin: they check who may listen, join their office's group
through the process's hub (``hub.py``) and send what the selectors return.
They own no channel-layer channel: the hub listens once for all of them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ObjectDoesNotExist

from queueing import events
from queueing import selectors as queue_selectors
from queueing.devices import device_by_key
from queueing.models import Device, Office, Ticket
from queueing.roles import role_of

from . import selectors
from .hub import hub, loop_state

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 1011  # the client reconnects with backoff and gets a fresh snapshot

SNAPSHOT_MIN_INTERVAL = 1.0  # a client asking for resync in a loop costs one snapshot a second


class Throttle:
    """Run a coroutine function at most once per interval; requests in between fold into one run.

    A request made while a run is waiting joins it; a request made once that run
    has started schedules the next one, so the latest state is always sent.
    """

    def __init__(self, fn: Callable[[], Awaitable[None]], interval: float) -> None:
        self.fn, self.interval = fn, interval
        self.last = float("-inf")
        self._task: asyncio.Task | None = None

    def request(self) -> None:
        """Ask for a run as soon as the interval allows."""
        if self._task is not None:
            return
        delay = max(0.0, self.last + self.interval - time.monotonic())
        self._task = asyncio.create_task(self._run(delay))

    def mark(self) -> None:
        """Record a run made outside the throttle (e.g. the snapshot on connect)."""
        self.last = time.monotonic()

    def cancel(self) -> None:
        """Drop a pending run."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        self._task = None
        self.mark()
        await self.fn()


class SharedRead:
    """Per process: one read of an office's live state, shared by every socket that needs it.

    A read is reused while it is younger than ``MAX_AGE`` (estimates move with
    the clock) and its version is at least the asker's ``min_version``; sockets
    that ask while it runs wait for it instead of reading again. Sockets pass
    the last version their process's hub delivered: every read here starts
    after the hub joined the office group, so what such a read misses reaches
    the socket as an event.
    """

    MAX_AGE = 5.0  # seconds

    def __init__(self, read: Callable[..., dict]) -> None:
        self._read = read
        self._values: dict[tuple, tuple[float, dict]] = {}
        self._locks: dict[tuple, asyncio.Lock] = {}

    async def get(self, *, min_version: int, **key) -> dict:
        """The selector's answer for ``key`` (its keyword arguments) at ``min_version`` or later."""
        k = tuple(sorted(key.items()))
        async with self._locks.setdefault(k, asyncio.Lock()):
            read_at, value = self._values.get(k, (float("-inf"), None))
            if (value is None or value["version"] < min_version
                    or time.monotonic() - read_at > self.MAX_AGE):
                value = await database_sync_to_async(self._read)(**key)
                self._values[k] = (time.monotonic(), value)
        return value


class StatusBoard:
    """Per process: sends every status page of an office its status after one shared read.

    A call changes the place of every waiting resident; reading each page's
    status on its own cost one query set per page and, at 1000 pages a
    process, delayed that process's deliveries by seconds (bench/fanout.py).
    Pages that need a newer status ask for one (``request``); a round per
    office reads the whole office once (``office_ticket_statuses``) and sends
    each waiting page its status, one task for all of them. Rounds of an
    office start at most four times a second, so a burst of events folds into
    few messages; a request made during a round joins the next.
    """

    MIN_INTERVAL = 0.25  # seconds between the starts of two rounds of one office

    def __init__(self) -> None:
        self.reads = SharedRead(queue_selectors.office_ticket_statuses)
        self._waiting: dict[int, dict[TicketConsumer, None]] = {}  # ordered set per office
        self._rounds: dict[int, Throttle] = {}

    def request(self, page: TicketConsumer) -> None:
        """Send the page a fresh status in the office's next round."""
        office_id = page.office_id
        self._waiting.setdefault(office_id, {})[page] = None
        rounds = self._rounds.get(office_id)
        if rounds is None:
            rounds = self._rounds[office_id] = Throttle(
                functools.partial(self._round, office_id), self.MIN_INTERVAL)
        rounds.request()

    async def _round(self, office_id: int) -> None:
        for page in self._waiting.pop(office_id, {}):  # the first reads, the others find it fresh
            await page.send_status()


def _per_loop(name: str, make: Callable[[], object]):
    """State shared by the sockets of one event loop: a daphne process runs one (tests, many)."""
    state = loop_state()
    if name not in state:
        state[name] = make()
    return state[name]


def status_board() -> StatusBoard:
    """This process's status board."""
    return _per_loop("status_board", StatusBoard)


def office_snapshots() -> SharedRead:
    """This process's shared office snapshots (what displays show), by office and language."""
    return _per_loop("office_snapshots", lambda: SharedRead(queue_selectors.office_snapshot))


def _event_text(office_id: int, message: dict) -> str:
    """The event frame's text, encoded once per process however many sockets forward it."""
    key = (office_id, message["version"])  # versions count per office
    text = _EVENT_TEXT.get(key)
    if text is None:
        text = json.dumps({"type": "event", "version": message["version"],
                           "event": message["event"]})
        _EVENT_TEXT[key] = text
        while len(_EVENT_TEXT) > 256:
            _EVENT_TEXT.pop(next(iter(_EVENT_TEXT)))  # oldest first (dicts keep order)
    return text


_EVENT_TEXT: dict[tuple[int, int], str] = {}


def _changes_line(event: dict, step_id: int) -> bool:
    """Whether a ticket event adds a ticket to, or takes one from, the step's waiting line."""
    waiting = Ticket.Status.WAITING
    joins = event.get("status") == waiting and event.get("step_id") == step_id
    left_step = event.get("from_step_id") or event.get("step_id")
    leaves = event.get("from_status") == waiting and left_step == step_id
    return joins or leaves


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Shared: refuse with a close code, join the office group, snapshot, events, resync."""

    # No channel-layer channel per socket (Channels skips it when the alias names
    # no layer): the process's hub receives each event once and calls deliver().
    channel_layer_alias = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.live_group: str | None = None
        self._snapshots = Throttle(self._send_snapshot, SNAPSHOT_MIN_INTERVAL)
        # Events the hub delivers before the first snapshot went out wait here, so
        # the client always gets the snapshot first (None once it was sent).
        self._early: list[dict] | None = []

    # --- to fill in by each screen ------------------------------------------------

    async def authorize(self) -> int | None:
        """Load what the socket follows; return a close code to refuse it, None to accept."""
        raise NotImplementedError

    def group_to_join(self) -> str:
        """The channel-layer group this socket listens to (its office's)."""
        return events.office_group(self.office_id)

    async def snapshot(self) -> dict:
        """The data of a snapshot message."""
        raise NotImplementedError

    def delivered_version(self) -> int:
        """The newest office version the process's hub has delivered: a shared read at that
        version or later holds everything this socket was not sent as an event."""
        return hub().version(self.live_group)

    async def on_event(self, event: dict, version: int) -> None:
        """Called after an event was forwarded (the ticket socket refreshes its status)."""

    # --- protocol -----------------------------------------------------------------

    async def connect(self):
        """Accept, then refuse with a code the browser can read, or join and send a snapshot."""
        await self.accept()
        try:
            refusal = await self.authorize()
        except Exception:
            log.exception("authorizing a %s socket failed", type(self).__name__)
            refusal = CLOSE_SERVER_ERROR
        if refusal is not None:
            await self.close(code=refusal)
            return
        # Join before reading the snapshot: an event committed in between is then
        # either in the snapshot or delivered afterwards, never lost.
        group = self.group_to_join()
        try:
            await hub().join(group, self)
        except Exception:
            log.exception("joining %s failed", group)
            await self.close(code=CLOSE_SERVER_ERROR)
            return
        self.live_group = group
        self._snapshots.mark()
        version = await self._send_snapshot()
        early, self._early = self._early, None
        for message in early:
            if version is not None and message["version"] > version:
                await self.deliver(message)

    async def disconnect(self, code):
        """Leave the group and stop pending work."""
        self._snapshots.cancel()
        if self.live_group is not None:
            hub().leave(self.live_group, self)

    async def receive_json(self, content, **kwargs):
        """``{"type": "resync"}`` asks for a fresh snapshot; anything else gets a clear error."""
        if isinstance(content, dict) and content.get("type") == "resync":
            self._snapshots.request()
            return
        await self.send_json({
            "type": "error",
            "code": "unknown_message",
            "detail": 'Only {"type": "resync"} may be sent on this socket.',
        })

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Parse a client frame; binary frames and text that is not JSON get a clear error."""
        try:
            content = await self.decode_json(text_data) if text_data else None
        except ValueError:
            content = None
        await self.receive_json(content)

    async def deliver(self, message: dict) -> None:
        """Forward one event from queueing/events.py (called by the hub) with its version."""
        if self._early is not None:
            self._early.append(message)
            return
        if self.forwards(message["event"]):
            await self.send(text_data=_event_text(self.office_id, message))
        await self.on_event(message["event"], message["version"])

    def forwards(self, event: dict) -> bool:
        """Whether this socket's client gets the event itself (status pages: only their own)."""
        return True

    # --- internals ----------------------------------------------------------------

    async def _send_snapshot(self) -> int | None:
        try:
            data = await self.snapshot()
        except Exception:
            log.exception("snapshot for a %s socket failed", type(self).__name__)
            await self.close(code=CLOSE_SERVER_ERROR)
            return None
        await self.send_json({"type": "snapshot", "version": data["version"], "data": data})
        return data["version"]


class DisplayConsumer(LiveConsumer):
    """A lobby display, by its device key: every event of its office, snapshot of its services."""

    device: Device

    async def authorize(self) -> int | None:
        """Accept an active display device key."""
        key = self.scope["url_route"]["kwargs"]["key"]
        device = await database_sync_to_async(device_by_key)(key=key, type=Device.Type.DISPLAY)
        if device is None:
            return CLOSE_FORBIDDEN
        self.device = device
        self.office_id = device.office_id
        self.shown = await database_sync_to_async(selectors.display_service_ids)(device=device)
        return None

    async def snapshot(self) -> dict:
        """The office snapshot (one read per process and version) narrowed to its services."""
        office = await office_snapshots().get(
            min_version=self.delivered_version(), office_id=self.office_id,
            language=selectors.display_language(device=self.device))
        return selectors.narrow_snapshot(office, shown=self.shown)


class TicketConsumer(LiveConsumer):
    """A resident's status page: the office's events plus its own ticket's fresh status."""

    ticket: Ticket

    async def authorize(self) -> int | None:
        """Accept a known ticket token."""
        token = self.scope["url_route"]["kwargs"]["token"]
        ticket = await database_sync_to_async(selectors.ticket_by_token)(token=token)
        if ticket is None:
            return CLOSE_NOT_FOUND
        self.ticket = ticket
        self.office_id = ticket.office_id
        return None

    async def snapshot(self) -> dict:
        """The ticket's status, from the process's shared board when it is recent."""
        return await self._status()

    def forwards(self, event: dict) -> bool:
        """Only the ticket's own events: other tickets' events only move its place, which
        the coalesced status message carries (half the sends per call at 1000 pages)."""
        return event.get("ticket_id") == self.ticket.id

    async def on_event(self, event: dict, version: int) -> None:
        """Refresh the status (coalesced) when the event changes this ticket's line.

        Only the waiting line of the ticket's step sets its place, so a ticket
        joining or leaving that line (issued, called, transferred, cancelled,
        resumed...) moves it and one completed at a counter does not. An open
        or closed counter changes its estimate.
        """
        if event.get("ticket_id") == self.ticket.id:
            self.ticket.step_id = event.get("step_id", self.ticket.step_id)
            self.ticket.status = event.get("status", self.ticket.status)
            status_board().request(self)
        elif self.ticket.status == Ticket.Status.WAITING and (
            event.get("action") == "counter_status" or _changes_line(event, self.ticket.step_id)
        ):
            status_board().request(self)

    def _fresh_status(self) -> dict:
        ticket = selectors.ticket_by_token(token=self.ticket.token)
        if ticket is None:  # removed since connect; keep the last known identity
            raise ObjectDoesNotExist("ticket gone")
        self.ticket = ticket
        return queue_selectors.ticket_status(ticket=ticket)

    async def _status(self) -> dict:
        board = await status_board().reads.get(min_version=self.delivered_version(),
                                               office_id=self.office_id)
        data = board["by_token"].get(self.ticket.token)
        if data is None:  # closed since (completed, cancelled...): read it on its own
            return await database_sync_to_async(self._fresh_status)()
        self.ticket.status = data["status"]  # on_event filters on it
        return data

    async def send_status(self) -> None:
        """Send the ticket's current status (the board's rounds call it); 1011 if it fails."""
        try:
            data = await self._status()
        except Exception:
            log.exception("status for a ticket socket failed")
            await self.close(code=CLOSE_SERVER_ERROR)
            return
        await self.send_json({"type": "status", "version": data["version"], "data": data})


class OfficeConsumer(LiveConsumer):
    """Staff console and supervisor dashboard: signed-in users with a role, one office."""

    office_id: int

    async def authorize(self) -> int | None:
        """Accept a signed-in user with a staff role, for an existing office."""
        return await database_sync_to_async(self._authorize)()

    def _authorize(self) -> int | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return CLOSE_UNAUTHENTICATED
        if role_of(user) is None:
            return CLOSE_FORBIDDEN
        office_id = int(self.scope["url_route"]["kwargs"]["office_id"])
        if not Office.objects.filter(pk=office_id).exists():
            return CLOSE_NOT_FOUND
        self.office_id = office_id
        return None

    async def snapshot(self) -> dict:
        """The office snapshot (shared with the process's displays)."""
        return await office_snapshots().get(min_version=self.delivered_version(),
                                            office_id=self.office_id, language="ja")
