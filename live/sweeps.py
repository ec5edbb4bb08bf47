"""Per process: the counter-presence sweep, run on the server's own event loop.

A counter must pause when nobody is at it even if no request comes (a console
closed at lunchtime, a server restarted overnight), so something has to run
``services.counter_presence_expire`` on a clock. Each server process runs it
every ``COUNTER_PRESENCE_SWEEP_SECONDS`` (default 10; 0 turns it off), and the
scheduler (``jobs/schedule.py``) runs it every 30 s as a backstop for a process
that has had no connection since it started. It starts with the process's
first connection or request (``sweeping`` wraps the ASGI application: daphne
has no lifespan events). Several processes sweeping at once is safe: the
service locks each counter and checks again.

This module is only the runner: leaving the job to the scheduler alone means
setting the interval to 0.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from queueing import services

from .hub import per_loop

log = logging.getLogger(__name__)

DEFAULT_SWEEP_SECONDS = 10.0


def interval() -> float:
    """Seconds between two sweeps in this process (0: this process does not sweep)."""
    return float(getattr(settings, "COUNTER_PRESENCE_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS))


async def sweep_forever(every: float) -> None:
    """Expire counter presences every ``every`` seconds until cancelled; a failed sweep
    (the database restarting) is logged and the next one runs on time."""
    while True:
        await asyncio.sleep(every)
        try:
            expired = await database_sync_to_async(services.counter_presence_expire)()
        except Exception:  # noqa: BLE001 - the sweep must outlive a database outage
            log.exception("the counter presence sweep failed")
            continue
        for counter in expired:
            log.info("counter %s paused: nobody signed in at it", counter.number)


def sweeping(app):
    """The ASGI application, starting this process's sweep on its first connection."""

    def start() -> asyncio.Task | None:
        every = interval()
        return asyncio.create_task(sweep_forever(every)) if every > 0 else None

    async def application(scope, receive, send):
        per_loop("presence_sweep", start)
        return await app(scope, receive, send)

    return application
