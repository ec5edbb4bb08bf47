"""The process's one listener (live/hub.py): joins once, hands each message to its members."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer

from live.hub import Hub


class Recorder:
    """A member that records what the hub hands it."""

    def __init__(self):
        self.messages, self.resyncs = [], 0

    async def deliver(self, message):
        self.messages.append(message)

    def resync(self):
        self.resyncs += 1


class FlakyLayer(InMemoryChannelLayer):
    """An in-memory layer whose receive fails a given number of times (an outage)."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures

    async def receive(self, channel):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("layer down")
        return await super().receive(channel)


async def until(condition, timeout=3.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_each_message_reaches_every_member_once_with_its_version():
    hub = Hub(InMemoryChannelLayer())
    a, b = Recorder(), Recorder()
    await hub.join("office.1", a)
    await hub.join("office.1", b)
    await hub.layer.group_send("office.1", {"type": "queue.event", "group": "office.1",
                                            "version": 7, "event": {}})
    await until(lambda: a.messages and b.messages)
    assert [m["version"] for m in a.messages + b.messages] == [7, 7]
    assert hub.version("office.1") == 7 and hub.members("office.1") == 2
    hub.leave("office.1", a)
    assert hub.members("office.1") == 1


@pytest.mark.asyncio
async def test_after_a_layer_outage_every_member_is_asked_to_resync(monkeypatch):
    monkeypatch.setattr("live.hub.RETRY_SECONDS", 0.01)
    hub = Hub(FlakyLayer(failures=2))
    member = Recorder()
    await hub.join("office.1", member)
    await hub.layer.group_send("office.1", {"type": "queue.event", "group": "office.1",
                                            "version": 1, "event": {}})
    await until(lambda: member.messages)
    assert member.resyncs == 1  # once receiving works again, not once per failure
