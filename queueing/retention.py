"""Retention: every kind of personal data has an eraser, and one run erases them all.

Each app registers the eraser of what it keeps (``eraser("bookings")``); a
run (``manage.py personal_data_erase``, nightly) calls every one, each on its
own: one that fails is logged and the others still run. Erasers blank the
personal fields and keep the rows, so the anonymous counts of the reports
stay. Periods: a booking schedule's ``retention_days`` (default 90); the free
text staff write on tickets (hand-off, transfer and hold reasons and the notes
for the next counter) ``HANDOFF_NOTE_RETENTION_DAYS`` (default 30).
"""

import datetime
import logging
from collections.abc import Callable

from django.utils import timezone

log = logging.getLogger(__name__)

Eraser = Callable[..., int]  # (now=...) -> rows erased
ERASERS: dict[str, Eraser] = {}


def eraser(name: str) -> Callable[[Eraser], Eraser]:
    """Register a function ``(*, now) -> int`` that erases one kind of personal data."""

    def register(fn: Eraser) -> Eraser:
        ERASERS[name] = fn
        return fn

    return register


def personal_data_erase(*, now: datetime.datetime | None = None) -> dict[str, int | str]:
    """Run every registered eraser; the rows each erased (or "failed")."""
    now = now or timezone.now()
    done: dict[str, int | str] = {}
    for name, fn in ERASERS.items():
        try:
            done[name] = fn(now=now)
        except Exception as exc:  # noqa: BLE001 - one failing eraser must not stop the others
            log.error("erasing %s failed: %s", name, type(exc).__name__)
            done[name] = "failed"
    return done
