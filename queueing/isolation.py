"""Each record on its own: how every scheduled job walks its records.

A job (send the confirmations, release expired holds, mark no-shows ...)
handles each record in its own transaction. A record that raises is rolled
back, written down as a ``RecordFailure`` (the exception's class name only)
and skipped until its back-off has passed (1, 2, 4 ... minutes, at most a
day); the other records go on. A job run twice at once, or again after a
crash, is safe as long as each handler locks its record and checks again
that there is still something to do (each one here does).
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.utils import timezone

from .models import RecordFailure

log = logging.getLogger(__name__)
T = TypeVar("T")
# What a handler returns: the name of the count it adds one to, counts to add, or nothing.
Outcome = str | dict[str, int] | None


def backoff(attempt: int) -> datetime.timedelta:
    """How long a record that failed ``attempt`` times waits before the next try."""
    return datetime.timedelta(minutes=min(2 ** (attempt - 1), 24 * 60))


def each_on_its_own(job: str, records: Iterable[T], handle: Callable[[T], Outcome], *,
                    key: Callable[[T], str] = str, now: datetime.datetime | None = None,
                    counts: dict[str, int] | None = None) -> dict[str, int]:
    """Run ``handle`` on every record; a failure is recorded and backed off, the rest go on.

    ``handle`` opens its own transaction. Returns the handlers' counts with
    ``failed`` (this run) and ``retry_later`` (records still in their back-off).
    """
    now = now or timezone.now()
    counts = {**(counts or {}), "failed": 0, "retry_later": 0}
    last_failure = {f.record: f for f in RecordFailure.objects.filter(job=job).order_by("at", "id")}
    for record in records:
        name = key(record)
        last = last_failure.get(name)
        if last is not None and now < last.at + backoff(last.attempt):
            counts["retry_later"] += 1
            continue
        try:
            outcome = handle(record)
        except Exception as exc:  # noqa: BLE001 - one bad record must not block the others
            attempt = (last.attempt if last else 0) + 1
            log.warning("%s: %s failed (attempt %s): %s", job, name, attempt,
                        type(exc).__name__)
            RecordFailure.objects.create(job=job, record=name[:80], at=now, attempt=attempt,
                                         error=type(exc).__name__[:100])
            counts["failed"] += 1
            continue
        if isinstance(outcome, str):
            counts[outcome] = counts.get(outcome, 0) + 1
        elif outcome:
            for count, n in outcome.items():
                counts[count] = counts.get(count, 0) + n
    return counts


def failures_prune(*, days: int, now: datetime.datetime | None = None) -> int:
    """Delete the failure records older than ``days``; how many went."""
    before = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted, _ = RecordFailure.objects.filter(at__lt=before).delete()
    return deleted
