"""Per process: one channel-layer listener that hands each event to this process's boards.

Each live socket used to own a channel-layer channel and join its office's
group itself. At 1000 sockets a process one call then cost 1000 queue puts,
1000 message decodes and 1000 consumer wake-ups (a task and an
``asyncio.wait`` each) before the first frame was written; py-spy on
``python -m bench fanout`` put that at a third of a daphne process's time.
The hub joins each group once per process with one channel, decodes each
message once, and calls every member's ``deliver(message)`` in one pass. Its
members are the boards (``boards.py``), a few per office, each of which keeps
one screen type's state and pushes it to its sockets.

After a failed receive (the layer lost its connection, e.g. Redis restarted)
messages may have been lost, so once receiving works again the hub asks every
member to ``resync()`` from the database.

The Redis pub/sub layer never fails a receive: it reconnects underneath, and
what was published meanwhile is gone. So the hub also sends itself a probe
through the layer every ``PROBE_SECONDS``; one not back within
``PROBE_TIMEOUT`` means the layer is down. Then every member hears
``link_changed(False)`` (its screens show they are reconnecting) and reads the
database every ``OUTAGE_RESYNC_SECONDS`` (calls still show while events cannot
travel); the first probe back means it is up again: ``link_changed(True)`` and
a resync, so every screen shows the database's state within seconds.

Groups are joined once and kept for the life of the process: they are per
office, so there are few, and a group nobody local listens to costs one
ignored message per event. ``queueing/events.py`` names the group in every
message, which is how the hub knows whose sockets it is for.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

# Group memberships expire after 86400 s in the in-memory and core Redis layers
# (the pub/sub layer has no expiry). A display stays connected for days, so the
# hub re-joins its groups well within that; re-joining is idempotent.
GROUP_REFRESH_SECONDS = 3600.0
RETRY_SECONDS = 1.0  # after a failed receive (e.g. the core Redis layer while Redis is down)
PROBE_SECONDS = 1.0  # between two probes of the layer (not with the in-memory layer)
PROBE_TIMEOUT = 3.0  # a probe not back by then: the layer is down
OUTAGE_RESYNC_SECONDS = 5.0  # while the layer is down, members read the database this often
PROBE = "hub.probe"  # the type of the hub's message to itself


class Member(Protocol):
    """What the hub calls: a board."""

    async def deliver(self, message: dict) -> None:
        """Handle one message of a group the member joined."""

    def resync(self) -> None:
        """Messages may have been lost: read the state again from the database."""

    async def link_changed(self, live: bool) -> None:
        """The layer went down (False) or came back (True): tell the screens."""


class Hub:
    """The listener of one event loop (one daphne process runs one loop)."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self._members: dict[str, set[Member]] = {}
        self._joined: dict[str, asyncio.Future] = {}
        self._versions: dict[str, int] = {}
        self._channel: str | None = None
        self._setup = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self.live = True  # whether events travel (the last probe came back)
        self._probes_sent = 0
        self._probe_back = asyncio.Event()

    async def join(self, group: str, member: Member) -> None:
        """Deliver the group's messages to ``member`` from now on; raises if the layer is down
        and the group is new to this process (the socket then closes and its client retries)."""
        joined = self._joined.get(group)
        if joined is None or (joined.done() and (joined.cancelled() or joined.exception())):
            joined = self._joined[group] = asyncio.ensure_future(self._add(group))
        await asyncio.shield(joined)
        self._members.setdefault(group, set()).add(member)

    def leave(self, group: str, member: Member) -> None:
        """Stop delivering the group's messages to ``member``."""
        members = self._members.get(group)
        if members is not None:
            members.discard(member)

    def version(self, group: str) -> int:
        """The newest version among the messages this hub received for the group (0: none)."""
        return self._versions.get(group, 0)

    def members(self, group: str) -> int:
        """How many members (boards) of this process listen to the group."""
        return len(self._members.get(group, ()))

    async def _add(self, group: str) -> None:
        async with self._setup:
            if self._channel is None:
                self._channel = await self.layer.new_channel("hub.")
                self._tasks = [asyncio.create_task(self._listen()),
                               asyncio.create_task(self._refresh())]
                if not isinstance(self.layer, InMemoryChannelLayer):  # it cannot go down
                    self._tasks.append(asyncio.create_task(self._watch()))
        await self.layer.group_add(group, self._channel)

    async def _listen(self) -> None:
        failed = False
        while True:
            try:
                message = await self.layer.receive(self._channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the listener must outlive a layer outage
                log.warning("receiving events failed; retrying", exc_info=True)
                failed = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if failed:
                failed = False
                self.resync_all()
            if message.get("type") == PROBE:
                if message.get("probe") == self._probes_sent:
                    self._probe_back.set()
                continue
            group = message.get("group")
            self._versions[group] = max(self._versions.get(group, 0), message.get("version", 0))
            # A copy: a socket that leaves (or joins) during a delivery must not
            # change the set being walked.
            for member in list(self._members.get(group, ())):
                try:
                    await member.deliver(message)
                except Exception:  # noqa: BLE001 - one broken socket must not starve the others
                    log.exception("delivering an event to %r failed", member)

    def resync_all(self) -> None:
        """Ask every member of every group to read its state again (after a layer outage)."""
        for members in self._members.values():
            for member in list(members):
                member.resync()

    async def _watch(self) -> None:
        last_read = 0.0
        while True:
            await asyncio.sleep(PROBE_SECONDS)
            live = await self._probe()
            now = asyncio.get_running_loop().time()
            if live != self.live:
                self.live = live
                log.warning("the channel layer is %s", "back" if live else "down")
                await self._tell_link(live)
                self.resync_all()
                last_read = now
            elif not live and now - last_read >= OUTAGE_RESYNC_SECONDS:
                self.resync_all()  # no event travels: the screens follow the database
                last_read = now

    async def _probe(self) -> bool:
        """Whether a message sent to the hub's own channel comes back through the layer."""
        self._probes_sent += 1
        self._probe_back.clear()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                await self.layer.send(self._channel, {"type": PROBE, "probe": self._probes_sent})
                await self._probe_back.wait()
        except Exception:  # noqa: BLE001 - a timeout or a connection error: the layer is down
            return False
        return True

    async def _tell_link(self, live: bool) -> None:
        for members in list(self._members.values()):
            for member in list(members):
                try:
                    await member.link_changed(live)
                except Exception:  # noqa: BLE001 - one broken socket must not starve the others
                    log.exception("telling %r the link changed failed", member)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            for group in list(self._joined):
                try:
                    await self.layer.group_add(group, self._channel)
                except Exception:  # noqa: BLE001 - retried at the next refresh; clients resync
                    log.warning("re-joining %s failed", group, exc_info=True)


_LOOP_STATE: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict] = (
    weakref.WeakKeyDictionary())


def loop_state() -> dict:
    """Process-wide state of the running event loop (daphne runs one; tests run many)."""
    return _LOOP_STATE.setdefault(asyncio.get_running_loop(), {})


def per_loop(name: str, make):
    """State shared by the sockets of one event loop, made on first use."""
    state = loop_state()
    if name not in state:
        state[name] = make()
    return state[name]


def hub() -> Hub:
    """The running event loop's hub, made on first use (and again if the layer was replaced)."""
    state, layer = loop_state(), get_channel_layer()
    current = state.get("hub")
    if current is None or current.layer is not layer:
        current = state["hub"] = Hub(layer)
    return current
