"""WebSocket consumers of every live screen: lobby displays, status pages, consoles, dashboards.

The contract other screens are built against (frames: ``boards.py``):

- ``/ws/display/<key>/``: a display device key; unknown or revoked -> close 4403.
- ``/ws/ticket/<token>/``: a resident's status page; a token unknown or of an
  earlier day -> 4404.
- ``/ws/counter/<counter_id>/``: a console; anonymous -> 4401, a user who may
  not work at that counter (the hybrid rule) -> 4403, unknown counter -> 4404.
- ``/ws/dashboard/<office_id>/``: a supervisor's dashboard; anonymous -> 4401,
  not a supervisor -> 4403, unknown office -> 4404.
- ``{"type": "resync"}`` from the client -> a fresh snapshot (at most one a second).
- ``{"type": "heartbeat"}`` from a console -> its presence at the counter
  (``queueing/presence.py``); a console whose session has expired or was signed out
  is closed with 4401 (the page sends the person to sign in and back to the counter).

Consumers are thin: they check who may listen, attach to their board and
send what it pushes. They own no channel-layer channel: the hub listens once
for all of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from importlib import import_module

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from queueing import routing, selectors, services
from queueing.models import Counter, CounterPresence, Device, Office, Ticket
from queueing.roles import Role, has_staff_role, is_supervisor, role_of

from . import boards

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_SERVER_ERROR = 1011  # the client reconnects with backoff and gets a fresh snapshot

RESYNC_MIN_INTERVAL = 1.0  # a client asking for resync in a loop costs one snapshot a second
SESSION_CHECK_SECONDS = 60.0  # a staff socket looks at its session at least this often
MAX_FRAME = 4096  # a client only ever sends {"type": "resync"}

Frame = str | Callable[[], str]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Shared: refuse with a close code, attach to the board, send its frames, resync."""

    # No channel-layer channel per socket (Channels skips it when the alias names
    # no layer): the process's hub receives each event once and hands it to the boards.
    channel_layer_alias = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.board = None
        self.last_version: int | None = None  # of the last frame sent
        # Frames pushed before the snapshot went out wait here (None once it was sent).
        self._early: list[tuple[int, Frame]] | None = []
        self._resyncs = boards.Throttle(self._resend, RESYNC_MIN_INTERVAL)

    # --- to fill in by each screen ------------------------------------------------

    def check(self) -> int | None:
        """Load what the socket follows (sync); return a close code to refuse it, None to accept."""
        raise NotImplementedError

    def board_for(self):
        """The board this socket's screen watches."""
        raise NotImplementedError

    # --- protocol -----------------------------------------------------------------

    async def connect(self):
        """Accept, then refuse with a code the browser can read, or attach and get a snapshot."""
        await self.accept()
        try:
            refusal = await database_sync_to_async(self.check)()
        except Exception:
            log.exception("authorizing a %s socket failed", type(self).__name__)
            refusal = CLOSE_SERVER_ERROR
        if refusal is not None:
            await self.close(code=refusal)
            return
        self.board = self.board_for()
        self._resyncs.mark()
        try:
            await self.board.attach(self)
        except Exception:
            log.exception("attaching a %s socket failed", type(self).__name__)
            self.board.detach(self)
            self.board = None
            await self.close(code=CLOSE_SERVER_ERROR)

    async def disconnect(self, code):
        """Leave the board and stop pending work."""
        self._resyncs.cancel()
        if self.board is not None:
            self.board.detach(self)

    async def receive_json(self, content, **kwargs):
        """``{"type": "resync"}`` asks for a fresh snapshot, ``{"type": "heartbeat"}`` says the
        screen is still there; anything else gets a clear error."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "resync":
            self._resyncs.request()
            return
        if kind == "heartbeat":
            await self.heartbeat()
            return
        await self.send_json({
            "type": "error",
            "code": "unknown_message",
            "detail": 'Only {"type": "resync"} or {"type": "heartbeat"} may be sent here.',
        })

    async def heartbeat(self) -> None:
        """The screen is still there (only consoles keep a presence)."""

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Parse a client frame; binary frames, text that is not JSON, frames too large or
        nested too deep get a clear error (never a crash)."""
        content = None
        if text_data and len(text_data) <= MAX_FRAME:
            try:
                content = await self.decode_json(text_data)
            except (ValueError, RecursionError):
                content = None
        await self.receive_json(content)

    async def refuse(self, code: int) -> None:
        """Close the socket with a code the client reads (e.g. its key was revoked)."""
        if self.board is not None:
            self.board.detach(self)
            self.board = None
        await self.close(code=code)

    # --- what the board calls -----------------------------------------------------

    async def send_snapshot(self, version: int, data: dict) -> None:
        """Send the whole state, then what was pushed meanwhile and is newer."""
        await self.send(text_data=json.dumps({"type": "snapshot", "version": version,
                                              "data": data}, ensure_ascii=False))
        self.last_version = version
        while self._early:
            frame_version, frame = self._early.pop(0)
            if frame_version > self.last_version:
                await self._send_frame(frame, frame_version)
        self._early = None

    async def push(self, frame: Frame, version: int) -> None:
        """Send one frame (text, or a function making it at send time) at that version."""
        if self._early is not None:
            self._early.append((version, frame))
            return
        if self.last_version is not None and version < self.last_version:
            return  # older than what the client has
        await self._send_frame(frame, version)

    async def send_link(self, live: bool) -> None:
        """Tell the screen whether events reach the server (``{"type": "link"}``)."""
        await self.send(text_data=json.dumps({"type": "link", "live": live}))

    # --- internals ----------------------------------------------------------------

    async def _send_frame(self, frame: Frame, version: int) -> None:
        await self.send(text_data=frame() if callable(frame) else frame)
        self.last_version = version

    async def _resend(self) -> None:
        if self.board is None:
            return
        try:
            await self.board.resend(self)
        except Exception:
            log.exception("a resync for a %s socket failed", type(self).__name__)
            await self.close(code=CLOSE_SERVER_ERROR)


def _same_but_version(a: dict, b: dict) -> bool:
    return {**a, "version": None} == {**b, "version": None}


class DisplayConsumer(LiveConsumer):
    """A lobby display, by its device key: the office board narrowed to its services."""

    device: Device
    shown: set[int]

    def check(self) -> int | None:
        """Accept an active display device key."""
        device = selectors.device_by_key(key=self.scope["url_route"]["kwargs"]["key"],
                                         type=Device.Type.DISPLAY)
        if device is None:
            return CLOSE_FORBIDDEN
        self.device = device
        self.shown = selectors.display_service_ids(device=device)
        return None

    def board_for(self) -> boards.DisplayBoard:
        """The office's display board in the display's language."""
        return boards.display_board(office_id=self.device.office_id,
                                    language=selectors.display_language(device=self.device))


class TicketConsumer(LiveConsumer):
    """A resident's status page: its ticket's status, and its own ticket's events."""

    ticket: Ticket
    _last_status: dict | None = None

    async def send_snapshot(self, version: int, data: dict) -> None:
        """As LiveConsumer, remembering the status it holds."""
        self._last_status = data
        await super().send_snapshot(version, data)

    def check(self) -> int | None:
        """Accept a ticket token of today."""
        ticket = selectors.ticket_by_token(token=self.scope["url_route"]["kwargs"]["token"])
        if ticket is None:
            return CLOSE_NOT_FOUND
        self.ticket = ticket
        return None

    def board_for(self) -> boards.StatusBoard:
        """The status board of the ticket's office."""
        return boards.status_board(office_id=self.ticket.office_id)

    async def push_status(self, data: dict) -> None:
        """Send the ticket's status (the board's rounds call it), unless the page has it."""
        if self._last_status is not None and _same_but_version(data, self._last_status):
            return
        self._last_status = data
        await self.push(lambda: json.dumps({"type": "status", "version": data["version"],
                                            "prev": self.last_version, "data": data},
                                           ensure_ascii=False), data["version"])

    async def push_event(self, message: dict) -> None:
        """Forward an event of this socket's own ticket."""
        await self.push(lambda: json.dumps({"type": "event", "version": message["version"],
                                            "prev": self.last_version,
                                            "event": message["event"]}, ensure_ascii=False),
                        message["version"])

    def fresh_status(self) -> dict:
        """The ticket's status read on its own (sync), for a ticket closed since connect."""
        ticket = selectors.ticket_by_token(token=self.ticket.token)
        if ticket is None:  # removed, or its day is over
            raise ObjectDoesNotExist("ticket gone")
        self.ticket = ticket
        return selectors.ticket_status(ticket=ticket)


class StaffConsumer(LiveConsumer):
    """A screen of signed-in staff (its route adds the session and the user).

    The socket lives no longer than the staff session: when the session ends
    (idle for STAFF_IDLE_MINUTES, or signed out) the socket closes with 4401 and
    the page goes to the sign-in page.
    """

    user = None
    _session_watch: asyncio.Task | None = None

    def check(self) -> int | None:
        """Refuse anonymous sockets (4401), then ask ``check_user``."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return CLOSE_UNAUTHENTICATED
        self.user = user
        return self.check_user(user)

    async def connect(self):
        """As LiveConsumer, then watch the session's end."""
        await super().connect()
        session = self.scope.get("session")
        if self.board is not None and session is not None and session.session_key:
            self._session_watch = asyncio.create_task(self._watch(session.session_key))

    async def disconnect(self, code):
        """As LiveConsumer, and stop watching the session."""
        if self._session_watch is not None:
            self._session_watch.cancel()
        await super().disconnect(code)

    def check_user(self, user) -> int | None:
        """Whether this signed-in user may watch what the socket follows."""
        raise NotImplementedError

    async def session_ended(self) -> None:
        """The session no longer signs the user in: close with 4401 (the page signs in again)."""
        await self.refuse(CLOSE_UNAUTHENTICATED)

    async def _watch(self, session_key: str) -> None:
        while True:
            ends = await database_sync_to_async(self._session_end)(session_key)
            left = (ends - timezone.now()).total_seconds() if ends else 0
            if left <= 0:
                await self.session_ended()
                return
            await asyncio.sleep(min(left + 1, SESSION_CHECK_SECONDS))

    def _session_end(self, session_key: str):
        """When the staff session ends (each request moves it on); None when it no longer
        signs this user in (signed out, expired, the password changed)."""
        if not _still_signed_in(self.scope.get("session"), self.user):
            return None
        return (Session.objects.filter(session_key=session_key)
                .values_list("expire_date", flat=True).first())


class CounterConsumer(StaffConsumer):
    """A counter's console: its view (current ticket, line, held), pushed after each change.

    While it is open and its heartbeats come, someone is signed in at the counter
    (its presence); closing it, or its session expiring, ends that.
    """

    counter: Counter
    contractor = False
    presence: str | None = None  # the presence's socket id
    HEARTBEAT_MIN_INTERVAL = 5.0  # seconds: a client beating faster costs no more queries
    _last_beat = float("-inf")

    def check_user(self, user) -> int | None:
        """Accept a user who may work at this counter (the hybrid rule and the user's offices,
        ``routing.may_operate``); they are at it now."""
        if not has_staff_role(user):
            return CLOSE_FORBIDDEN
        counter = Counter.objects.filter(
            pk=self.scope["url_route"]["kwargs"]["counter_id"]).first()
        if counter is None:
            return CLOSE_NOT_FOUND
        if not routing.may_operate(counter=counter, user=user):
            return CLOSE_FORBIDDEN
        self.counter = counter
        self.contractor = role_of(user) is Role.CONTRACTOR
        self._present()
        return None

    def board_for(self) -> boards.CounterBoard:
        """The counter's board."""
        return boards.counter_board(office_id=self.counter.office_id, counter_id=self.counter.id)

    async def disconnect(self, code):
        """The console closed (or reloads): its presence ends, with the grace time."""
        await super().disconnect(code)
        if self.presence is not None:
            socket, self.presence = self.presence, None
            await database_sync_to_async(services.counter_presence_leave)(
                socket=socket, reason=CounterPresence.Left.CLOSED)

    async def heartbeat(self) -> None:
        """Keep the presence; a session that expired or signed out closes the socket (4401)."""
        now = time.monotonic()
        if self.presence is None or now - self._last_beat < self.HEARTBEAT_MIN_INTERVAL:
            return
        self._last_beat = now
        if not await database_sync_to_async(self._beat)():
            await self.session_ended()

    async def session_ended(self) -> None:
        """The person is no longer signed in: they leave the counter at once (no grace)."""
        if self.presence is not None:
            socket, self.presence = self.presence, None
            await database_sync_to_async(services.counter_presence_leave)(
                socket=socket, reason=CounterPresence.Left.SESSION_EXPIRED)
        await super().session_ended()

    def _beat(self) -> bool:
        if not _still_signed_in(self.scope.get("session"), self.user):
            return False
        if not services.counter_presence_beat(socket=self.presence):
            self._present()  # it was swept (the console slept): at the counter again
        return True

    def _present(self) -> None:
        session = self.scope.get("session")
        self.presence = services.counter_presence_start(
            counter=self.counter, by=self.user,
            session_key=getattr(session, "session_key", "") or "").socket


def _still_signed_in(session, user) -> bool:
    """Whether the socket's session still signs this user in: not expired, not signed out,
    the password not changed since (the socket's scope holds the session as it was)."""
    key = getattr(session, "session_key", None)
    if not key:
        return False
    fresh = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    if str(fresh.get(SESSION_KEY)) != str(user.pk):
        return False
    current = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if current is None:
        return False
    stored = fresh.get(HASH_SESSION_KEY)
    return stored is None or constant_time_compare(stored, current.get_session_auth_hash())


class DashboardConsumer(StaffConsumer):
    """A supervisor's dashboard of one office: the live figures, pushed after changes."""

    office_id: int

    def check_user(self, user) -> int | None:
        """Accept a supervisor, for an existing office among those it may see."""
        if not is_supervisor(user):
            return CLOSE_FORBIDDEN
        office_id = self.scope["url_route"]["kwargs"]["office_id"]
        if not Office.objects.filter(pk=office_id).exists():
            return CLOSE_NOT_FOUND
        if not routing.may_see_office(office_id=office_id, user=user):
            return CLOSE_FORBIDDEN
        self.office_id = office_id
        return None

    def board_for(self) -> boards.DashboardBoard:
        """The office's dashboard board."""
        return boards.dashboard_board(office_id=self.office_id)
