"""The in-process presence sweep: it pauses a counter nobody is at, with no request coming."""

import asyncio
import datetime

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.utils import timezone

from live import sweeps
from queueing import services
from queueing.models import Counter, CounterPresence

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def _open_counter_whose_console_went_silent() -> Counter:
    counter = Counter.objects.get(number=1)
    services.counter_set_status(counter=counter, by=User.objects.get(username="contractor"),
                                status="open")
    CounterPresence.objects.update(seen_at=timezone.now() - datetime.timedelta(minutes=6))
    return counter


async def test_the_sweep_pauses_a_silent_counter_on_its_own(office):
    # Given counter 1 open, its only presence silent for longer than the timeout
    counter = await _open_counter_whose_console_went_silent()
    # When the process's sweep runs for a moment, with no request at all
    task = asyncio.create_task(sweeps.sweep_forever(0.05))
    await asyncio.sleep(1.0)
    task.cancel()
    # Then the counter is paused and nobody counts as being at it, and it says why
    counter = await database_sync_to_async(Counter.objects.get)(pk=counter.pk)
    assert (counter.status, counter.staffed) == ("break", False)
    reason = await database_sync_to_async(
        lambda: counter.events.filter(action="counter_paused").last().reason)()
    assert reason == "コンソールの応答がありません (no heartbeat)"


async def test_the_application_starts_one_sweep_per_process(office, settings):
    settings.COUNTER_PRESENCE_SWEEP_SECONDS = 60
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["type"])

    wrapped = sweeps.sweeping(app)
    await wrapped({"type": "http"}, None, None)
    await wrapped({"type": "websocket"}, None, None)
    from live.hub import loop_state

    task = loop_state()["presence_sweep"]
    assert calls == ["http", "websocket"] and isinstance(task, asyncio.Task) and not task.done()
    task.cancel()


def test_the_management_command_runs_the_same_sweep(office, contractor):
    from io import StringIO

    from django.core.management import call_command

    counter = Counter.objects.get(number=2)
    services.counter_set_status(counter=counter, by=contractor, status="open")
    CounterPresence.objects.update(seen_at=timezone.now() - datetime.timedelta(minutes=6))
    out = StringIO()
    call_command("counter_presence_expire", stdout=out)
    assert "counter 2 paused" in out.getvalue()
    assert Counter.objects.get(pk=counter.pk).status == "break"
