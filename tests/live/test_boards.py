"""Boards (live/boards.py): one state per screen type, pushed once per distinct frame."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from live import boards
from queueing import services
from queueing.models import Counter, Service

pytestmark = pytest.mark.django_db(transaction=True)


class Screen:
    """A socket as a board sees it: records the frames it is sent."""

    def __init__(self, shown=()):
        self.shown = set(shown)
        self.snapshots, self.frames = [], []

    async def send_snapshot(self, version, data):
        self.snapshots.append((version, data))

    async def push(self, text, version):
        self.frames.append(text)


async def until(condition, timeout=3.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_throttle_folds_a_burst_of_requests_into_two_runs():
    runs = []

    async def run():
        runs.append(asyncio.get_running_loop().time())

    throttle = boards.Throttle(run, interval=0.2)
    for _ in range(10):
        throttle.request()
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.4)
    assert len(runs) == 2 and runs[1] - runs[0] >= 0.19


def test_a_display_sees_its_services_only_and_only_what_it_draws():
    call = {"ticket": "A001", "service_id": 1, "counter": 2, "status": "called",
            "called_at": "2026-12-02T09:00:00+00:00"}
    snapshot = {"version": 3, "calling": [call, {**call, "ticket": "B001", "service_id": 2}],
                "recent_calls": [{"ticket": "B001", "service_id": 2, "counter": 3, "at": "x"}],
                "services": [{"service_id": 1, "code": "juminhyo", "prefix": "A", "name": "住民票",
                              "waiting": 4, "target_wait_minutes": 15,
                              "estimated_wait_minutes": 12}],
                "counters": [{"number": 2, "label": "", "kind": "outsourced", "status": "open"}]}
    view = boards.display_view(snapshot, shown={1})
    assert view == {"calling": [{"ticket": "A001", "counter": 2}], "recent_calls": [],
                    "services": [{"service_id": 1, "waiting": 4,
                                  "estimated_wait_minutes": 12}]}
    assert len(boards.display_view(snapshot, shown=set())["calling"]) == 2
    assert len(snapshot["calling"]) == 2  # the shared snapshot is left alone


@pytest.mark.asyncio
async def test_displays_with_the_same_services_share_one_encoded_frame(office):
    juminhyo = await database_sync_to_async(Service.objects.get)(code="juminhyo")
    board = boards.DisplayBoard(office.id, "ja")
    everything = [Screen(), Screen()]
    certificates = Screen(shown={juminhyo.id})
    for screen in [*everything, certificates]:
        await board.attach(screen)
    await database_sync_to_async(services.ticket_issue)(service=juminhyo)
    await until(lambda: all(s.frames for s in [*everything, certificates]))
    assert everything[0].frames[0] is everything[1].frames[0]  # encoded once for both
    assert certificates.frames[0] != everything[0].frames[0]  # narrowed differently
    for screen in [*everything, certificates]:
        board.detach(screen)
    await board.idle()


@pytest.mark.asyncio
async def test_a_resync_after_an_outage_reads_what_the_board_missed(office, monkeypatch):
    from queueing import events

    juminhyo = await database_sync_to_async(Service.objects.get)(code="juminhyo")
    board = boards.DisplayBoard(office.id, "ja")
    screen = Screen()
    await board.attach(screen)
    monkeypatch.setattr(events, "_send", lambda group, message: None)  # the outage
    await database_sync_to_async(services.ticket_issue)(service=juminhyo)
    assert screen.frames == []
    board.resync()  # what the hub does once the layer answers again
    await until(lambda: screen.frames)
    assert '"waiting": 1' in screen.frames[-1]
    board.detach(screen)
    await board.idle()


@pytest.mark.asyncio
async def test_a_counter_board_reads_once_per_role_class(office, contractor, municipal):
    counter = await database_sync_to_async(Counter.objects.get)(number=1)
    board = boards.CounterBoard(office.id, counter.id)
    consoles = []
    for user, is_contractor in ((contractor, True), (municipal, False), (municipal, False)):
        screen = Screen()
        screen.user, screen.contractor = user, is_contractor
        await board.attach(screen)
        consoles.append(screen)
    assert set(board.state["views"]) == {True, False}
    assert all(s.snapshots for s in consoles)
    for screen in consoles:
        board.detach(screen)
    await board.idle()
