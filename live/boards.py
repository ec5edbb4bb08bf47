"""Per process: one board per screen type and key, kept current from its office's events.

Every live screen gets its state pushed by the server; no client asks for it
again after an event. A board holds what one kind of screen shows (a display
board per office and language, a counter board per counter, a dashboard board
per office, a status board per office for the residents' pages), is a member
of its office's group at the process's hub (``hub.py``), and on each event
works out the new state once and sends it to all of its sockets, encoding
each distinct frame once.

The frames a socket receives (``docs/architecture.md``):

- ``{"type": "snapshot", "version", "data"}``: on connect and after the
  client sends ``{"type": "resync"}``.
- ``{"type": "board", "version", "prev", "data", "announce"}``: a display's,
  console's or dashboard's new state; ``announce`` names the ticket and
  counter a display calls out, or is null.
- ``{"type": "status", "version", "prev", "data"}``: a status page's ticket.
- ``{"type": "event", "version", "prev", "event"}``: a status page's own
  ticket changed (its alert sounds before the new status is read).
- ``{"type": "link", "live": false}``: events cannot reach this server now (the
  channel layer is down, ``hub.py``); the screen shows it is reconnecting while
  the board follows the database every few seconds. ``{"type": "link", "live":
  true}`` when they can again, followed by the state read afresh.

``version`` is the office's event version the frame shows; ``prev`` is the
version of the frame before it on the same socket, so a client whose last
version is not ``prev`` knows it missed a frame and asks for a resync.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from queueing import events, selectors
from queueing.models import Counter, CounterService, Ticket

from .hub import hub, per_loop

log = logging.getLogger(__name__)

REPAIR_INTERVAL = 1.0  # seconds between reads that repair a gap or follow a layer outage
CLOSE_REVOKED = 4403  # the close code of a socket whose device key was revoked


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
        try:
            await self.fn()
        except Exception:  # noqa: BLE001 - a failed round is retried by the next request
            log.exception("a throttled round failed")


class SharedRead:
    """Per process: one read of an office's live state, shared by every socket that needs it.

    A read is reused while it is younger than ``MAX_AGE`` (estimates move with
    the clock) and its version is at least the asker's ``min_version``; sockets
    that ask while it runs wait for it instead of reading again. Askers pass
    the last version their process's hub delivered: every read here starts
    after the hub joined the office group, so what such a read misses reaches
    the board as an event.
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
                value = await database_sync_to_async(_at_one_moment(self._read))(**key)
                self._values[k] = (time.monotonic(), value)
        return value


class Screen(Protocol):
    """What a board needs of a socket (``consumers.LiveConsumer``)."""

    async def send_snapshot(self, version: int, data: dict) -> None:
        """Send the whole state; frames pushed meanwhile follow it."""

    async def push(self, text: str, version: int) -> None:
        """Send one encoded frame at that version."""

    async def send_link(self, live: bool) -> None:
        """Say whether events reach the server (a frame without a version)."""


def _frame(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False)


class Board:
    """One screen type's state for one key, pushed to its sockets.

    Subclasses say how to read the state (``read``), what one socket sees of
    it (``key_of`` and ``data_for``), and how an event changes it (``apply``;
    None means "read it again", throttled to ``REREAD_INTERVAL``).
    """

    REREAD_INTERVAL = 1.0  # seconds between two reads caused by events
    PERIODIC_SECONDS = 60.0  # estimates move with the clock even when nothing happens
    # A read that changed the state is pushed after this many quiet seconds; an event's
    # frame pushed meanwhile carries it anyway (0: push it at once).
    PUSH_READ_AFTER = 0.0

    def __init__(self, office_id: int) -> None:
        self.office_id = office_id
        self.group = events.office_group(office_id)
        self.screens: dict[Screen, None] = {}  # an ordered set
        self.state: dict | None = None
        self.version = 0  # of the state held
        self.pushed = 0  # of the last frame every socket got (the next frame's prev)
        self._held_back: asyncio.TimerHandle | None = None  # a read's state not pushed yet
        self._recent: deque[dict] = deque(maxlen=64)  # replayed over a read that missed them
        self._rereads = Throttle(self.reread, self.REREAD_INTERVAL)
        self._repairs = Throttle(self.reread, REPAIR_INTERVAL)  # a gap, a layer outage
        self._reading: asyncio.Future | None = None
        self._periodic: asyncio.Task | None = None

    # --- to fill in ------------------------------------------------------------------------

    def read(self) -> dict:
        """The state from the database (sync; it must hold ``version``)."""
        raise NotImplementedError

    def apply(self, state: dict, message: dict) -> dict | None:
        """The state after an event, or None to read it again instead."""
        return None

    def concerns(self, event: dict) -> bool:
        """Whether the event can change this board at all."""
        return True

    def key_of(self, screen: Screen) -> object:
        """Sockets with the same key see the same frame (it is encoded once for them)."""
        return None

    def data_for(self, key: object) -> dict:
        """What the sockets of that key see of the state."""
        return self.state

    def announce_for(self, key: object, event: dict | None) -> dict | None:
        """What a screen of that key calls out for the event (displays only)."""
        return None

    def needs_read_for(self, screen: Screen) -> bool:
        """Whether the state lacks what this new socket sees (read again before its snapshot)."""
        return False

    # --- what consumers and the hub call ---------------------------------------------------

    async def attach(self, screen: Screen) -> None:
        """Start pushing to the socket: the current state as a snapshot, then every change."""
        await hub().join(self.group, self)
        self.screens[screen] = None  # frames pushed before its snapshot wait for it
        if self.state is None or self.needs_read_for(screen):
            await self.reread()
        if self._periodic is None:
            self._periodic = asyncio.create_task(self._every_minute())
        await self._catch_up()  # so that every socket's next frame follows self.version
        await screen.send_snapshot(self.version, self.data_for(self.key_of(screen)))
        if not hub().live:
            await screen.send_link(False)

    def detach(self, screen: Screen) -> None:
        """Stop pushing to the socket; a board nobody watches forgets its state."""
        self.screens.pop(screen, None)
        if not self.screens:
            hub().leave(self.group, self)
            if self._periodic is not None:
                self._periodic.cancel()
                self._periodic = None
            self._rereads.cancel()
            self._repairs.cancel()
            self._cancel_held_back()
            self.state, self._recent = None, deque(maxlen=self._recent.maxlen)

    async def resend(self, screen: Screen) -> None:
        """The client asked for a resync: read again, then send it a snapshot."""
        await self.reread()
        if screen in self.screens:
            await self._catch_up()
            await screen.send_snapshot(self.version, self.data_for(self.key_of(screen)))

    def resync(self) -> None:
        """Messages may have been lost (the hub says so after a layer outage): read again."""
        if self.screens:
            self._repairs.request()

    async def link_changed(self, live: bool) -> None:
        """The channel layer went down or came back (the hub says so): tell every socket."""
        await _tell_link(self.screens, live)

    async def deliver(self, message: dict) -> None:
        """One event of the office (called by the hub)."""
        if message.get("type") == events.DEVICE_REVOKED:
            await self.device_revoked(message["device_id"])
            return
        self._recent.append(message)
        version, event = message["version"], message["event"]
        if self.state is None or version <= self.version or not self.concerns(event):
            return
        new = self.apply(self.state, message)
        if new is None:
            self._rereads.request()
            return
        gap = version > self.version + 1
        self.state, self.version = new, version
        await self._push(event)
        if gap:  # an event this process never received: read what it changed, soon
            self._repairs.request()
        else:  # the estimates the event moved come with the next read (REREAD_INTERVAL)
            self._rereads.request()

    async def device_revoked(self, device_id: int) -> None:
        """A device key was revoked: close the sockets it opened (displays only)."""

    async def periodic(self) -> None:
        """Once a minute: the estimates move with the clock even when nothing happens."""
        self._rereads.request()

    async def idle(self) -> None:
        """Wait until no read of this board is running (a test's teardown, a shutdown)."""
        self._rereads.cancel()
        self._repairs.cancel()
        self._cancel_held_back()
        if self._reading is not None:
            await asyncio.gather(self._reading, return_exceptions=True)

    async def reread(self) -> None:
        """Read the state again and push it if it changed; callers meanwhile share the read."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.ensure_future(self._read_and_push())
        await asyncio.shield(self._reading)

    # --- internals ---------------------------------------------------------------------------

    async def _read_and_push(self) -> None:
        state = await database_sync_to_async(_at_one_moment(self.read))()
        if not self.screens:  # everyone left meanwhile; the next one reads afresh
            return
        version = state["version"]
        for message in sorted(self._recent, key=lambda m: m["version"]):
            if message["version"] <= version:
                continue
            if not self.concerns(message["event"]):
                version = message["version"]
                continue
            replayed = self.apply(state, message)
            if replayed is None:  # cannot replay: what the read missed comes with another read
                self._repairs.request()
                break
            state, version = replayed, message["version"]
        if self.state is not None and version < self.version:
            return  # older than what the sockets already have
        first = self.state is None  # the sockets waiting for it get it as their snapshot
        changed = first or _without_version(state) != _without_version(self.state)
        self.state, self.version = state, version
        if first:
            self.pushed = version
        elif changed:
            if not self.PUSH_READ_AFTER:
                await self._push(None)
            elif self._held_back is None:
                self._held_back = asyncio.get_running_loop().call_later(
                    self.PUSH_READ_AFTER, lambda: asyncio.ensure_future(self._catch_up()))

    async def _catch_up(self) -> None:
        """Push a state a read brought and no frame has carried yet."""
        if self._held_back is not None:
            await self._push(None)

    def _cancel_held_back(self) -> None:
        if self._held_back is not None:
            self._held_back.cancel()
            self._held_back = None

    async def _push(self, event: dict | None) -> None:
        self._cancel_held_back()
        prev, self.pushed = self.pushed, self.version
        by_key: dict[object, list[Screen]] = {}
        for screen in self.screens:
            by_key.setdefault(self.key_of(screen), []).append(screen)
        for key, screens in by_key.items():
            text = _frame(type="board", version=self.version, prev=prev,
                          data=self.data_for(key), announce=self.announce_for(key, event))
            for screen in screens:
                try:
                    await screen.push(text, self.version)
                except Exception:  # noqa: BLE001 - one broken socket must not starve the others
                    log.exception("pushing to %r failed", screen)

    async def _every_minute(self) -> None:
        while True:
            await asyncio.sleep(self.PERIODIC_SECONDS)
            try:
                await self.periodic()
            except Exception:  # noqa: BLE001 - tried again next minute
                log.exception("the periodic round of %r failed", self)


async def _tell_link(screens, live: bool) -> None:
    for screen in list(screens):
        try:
            await screen.send_link(live)
        except Exception:  # noqa: BLE001 - one broken socket must not starve the others
            log.exception("telling %r the link changed failed", screen)


def _at_one_moment(read: Callable[..., dict]) -> Callable[..., dict]:
    """The read with all of its queries at one moment of the database (``selectors.one_moment``)."""

    @functools.wraps(read)
    def at_one_moment(*args, **kwargs) -> dict:
        with selectors.one_moment():
            return read(*args, **kwargs)

    return at_one_moment


def _without_version(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "version"}


class DisplayBoard(Board):
    """The lobby displays of an office in one language: the office snapshot, narrowed per display.

    Events are applied to the snapshot in memory (``selectors.office_snapshot_apply``),
    so a call reaches the screens without a database read, waiting counts
    included; the estimates are read again at most every ``REREAD_INTERVAL``
    seconds while events come, and a read's new estimates wait for two quiet
    seconds or the next event's frame, whichever comes first: pushed on their own
    in the middle of a burst of calls, they were one more fan-out to every
    display competing with the calls' (``python -m bench fanout``).
    """

    REREAD_INTERVAL = 10.0
    PUSH_READ_AFTER = 2.0

    def __init__(self, office_id: int, language: str) -> None:
        super().__init__(office_id)
        self.language = language

    def read(self) -> dict:
        """The office snapshot in the board's language."""
        return selectors.office_snapshot(office_id=self.office_id, language=self.language)

    def apply(self, state: dict, message: dict) -> dict:
        """The snapshot after the event."""
        return selectors.office_snapshot_apply(state, message)

    async def device_revoked(self, device_id: int) -> None:
        """Close the sockets of a revoked display key (4403), in every process at once."""
        for screen in [s for s in self.screens if s.device.pk == device_id]:
            await screen.refuse(CLOSE_REVOKED)

    async def periodic(self) -> None:
        """Also close sockets whose key was revoked while the revocation's event was lost
        (the channel layer was down): a backstop, within a minute."""
        await super().periodic()
        ids = {screen.device.pk for screen in self.screens}
        if ids:
            revoked = await database_sync_to_async(selectors.devices_revoked)(ids=ids)
            for device_id in revoked:
                await self.device_revoked(device_id)

    def key_of(self, screen) -> frozenset[int]:
        """Displays showing the same services see the same frame."""
        return frozenset(screen.shown)

    def data_for(self, key: frozenset[int]) -> dict:
        """The snapshot as the displays of the key draw it."""
        return display_view(self.state, shown=key)

    def announce_for(self, key: frozenset[int], event: dict | None) -> dict | None:
        """A call of a service these displays show: the number and counter to call out."""
        if event is None or not events.is_call(event):
            return None
        if key and event["service_id"] not in key:
            return None
        return {"ticket": event["ticket"], "counter": event["counter"]}


def display_view(snapshot: dict, *, shown: frozenset[int] | set[int]) -> dict:
    """What a lobby display draws of the office snapshot: its services only (all when
    ``shown`` is empty), and only the fields it draws.

    Every call sends this to every display, so it is kept small (numbers and
    counts; the display has the services' names in every language from its
    page). The office snapshot is shared by the whole process and is not changed.
    """

    def mine(row: dict) -> bool:
        return not shown or row["service_id"] in shown

    return {
        "calling": [{"ticket": c["ticket"], "counter": c["counter"]}
                    for c in snapshot["calling"] if mine(c)],
        "recent_calls": [{"ticket": r["ticket"], "counter": r["counter"]}
                         for r in snapshot["recent_calls"] if mine(r)],
        "services": [{"service_id": s["service_id"], "waiting": s["waiting"],
                      "estimated_wait_minutes": s["estimated_wait_minutes"]}
                     for s in snapshot["services"] if mine(s)],
    }


class CounterBoard(Board):
    """The consoles of one counter: its current ticket, its waiting line, its held tickets.

    What a console sees depends on its user's role (a contractor sees
    booking references only for the ticket its counter serves), so the view is
    read once per role class among the consoles watching.
    """

    REREAD_INTERVAL = 0.2  # a console's own action should show at once

    def __init__(self, office_id: int, counter_id: int) -> None:
        super().__init__(office_id)
        self.counter_id = counter_id
        self._services: set[int] = set()

    def read(self) -> dict:
        """The counter's view for each role class of its consoles, with the office's version."""
        counter = Counter.objects.select_related("office").get(pk=self.counter_id)
        self._services = set(CounterService.objects.filter(counter=counter)
                             .values_list("service_id", flat=True))
        version = selectors.office_version(office_id=self.office_id)
        users = {self.key_of(s): s.user for s in self.screens}
        return {"version": version,
                "views": {key: selectors.counter_view(counter=counter, user=user)
                          for key, user in users.items()}}

    def concerns(self, event: dict) -> bool:
        """Its own status, and tickets of the services it serves."""
        if events.is_counter_event(event):
            return event["counter_id"] == self.counter_id
        return bool({event["service_id"], event["from_service_id"]} & self._services)

    def key_of(self, screen) -> bool:
        """True for contractor consoles: they see less."""
        return screen.contractor

    def data_for(self, key: bool) -> dict:
        """The view for consoles of that role class."""
        return self.state["views"][key]

    def needs_read_for(self, screen) -> bool:
        """A console whose role class no console here had yet needs its own view read."""
        return self.key_of(screen) not in self.state["views"]


class DashboardBoard(Board):
    """The supervisors' dashboards of an office: the live figures, rendered once as HTML.

    The page's first paint includes the same template, so the figures have
    one rendering, on the server.
    """

    def read(self) -> dict:
        """The live figures of the office as the dashboard's HTML."""
        version = selectors.office_version(office_id=self.office_id)
        figures = selectors.office_live_figures(office_id=self.office_id)
        return {"version": version,
                "html": render_to_string("live/dashboard_figures.html", {"live": figures})}


class StatusBoard:
    """Per process and office: every resident's status page, after one shared read per round.

    A call changes the place of every waiting resident; reading each page's
    status on its own cost one query set per page and, at 1000 pages a
    process, delayed that process's deliveries by seconds (bench/fanout.py).
    A page is refreshed only when an event changes its step's waiting line
    (``events.changes_waiting_line``) or its own ticket; a round per office
    reads the whole office once (``office_ticket_statuses``) and sends each
    waiting page its status. Rounds start at most four times a second, so a
    burst of events folds into few messages.
    """

    MIN_INTERVAL = 0.25  # seconds between the starts of two rounds of one office

    def __init__(self, office_id: int) -> None:
        self.office_id = office_id
        self.group = events.office_group(office_id)
        self.pages: dict = {}  # an ordered set of TicketConsumer
        self.reads = SharedRead(selectors.office_ticket_statuses)
        self._waiting: dict = {}
        self._rounds = Throttle(self._round, self.MIN_INTERVAL)
        self._version = 0  # the newest office version this board has seen (event or read)
        self._repairs = Throttle(self._repair, REPAIR_INTERVAL)

    async def attach(self, page) -> None:
        """Send the page its ticket's status, then keep it current."""
        await hub().join(self.group, self)
        self.pages[page] = None
        data = await self.status_of(page)
        await page.send_snapshot(data["version"], data)
        if not hub().live:
            await page.send_link(False)

    def detach(self, page) -> None:
        """Stop sending to the page."""
        self.pages.pop(page, None)
        self._waiting.pop(page, None)
        if not self.pages:
            hub().leave(self.group, self)
            self._repairs.cancel()
            self._version = 0  # what it sees next comes after a fresh read

    async def resend(self, page) -> None:
        """The page asked for a resync: its current status as a snapshot."""
        data = await self.status_of(page)
        await page.send_snapshot(data["version"], data)

    def resync(self) -> None:
        """Messages may have been lost: every page gets a fresh status."""
        for page in self.pages:
            self._waiting[page] = None
        if self._waiting:
            self._rounds.request()

    async def link_changed(self, live: bool) -> None:
        """The channel layer went down or came back (the hub says so): tell every page."""
        await _tell_link(self.pages, live)

    async def deliver(self, message: dict) -> None:
        """One event of the office: forward it to its own ticket's page, refresh those it moves."""
        if message.get("type") != events.MESSAGE_TYPE:
            return  # a device message: status pages hold no device key
        if self._version and message["version"] > self._version + 1:
            # An event this process never received: the Redis layer loses what is published
            # while it reconnects, faster than the hub's probe notices. Every page reads
            # afresh (after REPAIR_INTERVAL, so one arriving out of order is not a gap).
            self._repairs.request()
        self._version = max(self._version, message["version"])
        event = message["event"]
        ticket_id = event.get("ticket_id")
        for page in list(self.pages):
            ticket = page.ticket
            if ticket_id == ticket.id:
                ticket.step_id, ticket.status = event["step_id"], event["status"]
                await page.push_event(message)
                self._waiting[page] = None
            elif ticket.status == Ticket.Status.WAITING and events.changes_waiting_line(
                    event, step_id=ticket.step_id):
                self._waiting[page] = None
        if self._waiting:
            self._rounds.request()

    async def status_of(self, page) -> dict:
        """The page's ticket status, from the round's shared read when it is recent enough."""
        board = await self.reads.get(min_version=hub().version(self.group),
                                     office_id=self.office_id)
        self._version = max(self._version, board["version"])
        data = board["by_token"].get(page.ticket.token)
        if data is None:  # closed since (completed, cancelled...): read it on its own
            data = await database_sync_to_async(page.fresh_status)()
        page.ticket.status = data["status"]  # deliver() filters on it
        return data

    async def _repair(self) -> None:
        """Every page reads its status again: a version went missing."""
        self.resync()

    async def _round(self) -> None:
        waiting, self._waiting = self._waiting, {}
        for page in waiting:  # the first reads, the others find the read fresh
            if page in self.pages:
                await page.push_status(await self.status_of(page))


def _board(kind: type, key: tuple, make: Callable[[], object]):
    boards = per_loop("boards", dict)
    board = boards.get((kind, key))
    if board is None:
        board = boards[(kind, key)] = make()
    return board


def display_board(*, office_id: int, language: str) -> DisplayBoard:
    """This process's board of the office's displays in that language."""
    return _board(DisplayBoard, (office_id, language),
                  functools.partial(DisplayBoard, office_id, language))


def counter_board(*, office_id: int, counter_id: int) -> CounterBoard:
    """This process's board of the counter's consoles."""
    return _board(CounterBoard, (counter_id,),
                  functools.partial(CounterBoard, office_id, counter_id))


def dashboard_board(*, office_id: int) -> DashboardBoard:
    """This process's board of the office's supervisor dashboards."""
    return _board(DashboardBoard, (office_id,), functools.partial(DashboardBoard, office_id))


def status_board(*, office_id: int) -> StatusBoard:
    """This process's board of the office's status pages."""
    return _board(StatusBoard, (office_id,), functools.partial(StatusBoard, office_id))
