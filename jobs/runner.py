"""The scheduler process: APScheduler 3 with django-apscheduler's job store.

``run`` starts a background scheduler with every row of ``schedule.JOBS``
and returns it; django-apscheduler records each run as a
``DjangoJobExecution`` (status, duration, exception) and ``JobCounts`` keeps
what the run counted. One scheduler per installation: on PostgreSQL a second
``jobs_run`` waits on an advisory lock (a standby that takes over when the
first stops); were two to run anyway, every job is idempotent (each record is
locked and checked again), so the only cost is doubled work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from django_apscheduler import util
from django_apscheduler.jobstores import DjangoJobStore
from django_apscheduler.models import DjangoJobExecution

from .models import JobCounts
from .schedule import BY_ID, JOBS, Job

log = logging.getLogger(__name__)
LOCK_KEY = 0x6A6F6273  # "jobs": the advisory lock held by the running scheduler


class JobFailed(Exception):
    """A whole run failed; carries the exception's class name only (its message may quote
    personal data, and django-apscheduler stores the message and traceback)."""


@util.close_old_connections
def run_job(job_id: str) -> dict:
    """Run one job of the schedule (what the scheduler calls; a module-level function so
    that the job store can keep a reference to it)."""
    try:
        return BY_ID[job_id].run()
    except Exception as exc:
        log.error("job %s failed: %s", job_id, type(exc).__name__)
        raise JobFailed(type(exc).__name__) from None


def _trigger(job: Job) -> dict:
    if job.every_seconds:
        return {"trigger": "interval", "seconds": job.every_seconds,
                "next_run_time": timezone.now()}
    hour, minute = job.daily_at
    return {"trigger": "cron", "hour": hour, "minute": minute}


class _Scheduler(BackgroundScheduler):
    """APScheduler's background scheduler whose thread closes its database connection
    when it stops (the job store reads the database from that thread)."""

    def _main_loop(self):
        try:
            super()._main_loop()
        finally:
            connections.close_all()


@util.close_old_connections
def _counts_record(event) -> None:
    """Keep what a finished run returned beside django-apscheduler's record of the run.
    Runs last in the job's thread, after django-apscheduler's own listener: closing the
    connection afterwards leaves no connection open in an idle thread."""
    if not isinstance(event.retval, dict):
        return
    run_time = util.get_django_internal_datetime(event.scheduled_run_time)
    execution = DjangoJobExecution.objects.filter(job_id=event.job_id,
                                                  run_time=run_time).first()
    if execution is not None:
        JobCounts.objects.update_or_create(execution=execution,
                                           defaults={"counts": event.retval})


def run() -> BackgroundScheduler:
    """Start the scheduler with every job of the schedule (jobs no longer in it are dropped)."""
    scheduler = _Scheduler(timezone=settings.TIME_ZONE, job_defaults={
        "coalesce": True, "max_instances": 1})
    scheduler.add_jobstore(DjangoJobStore(), "default")
    scheduler.start(paused=True)
    scheduler.add_listener(_counts_record, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    for stale in {j.id for j in scheduler.get_jobs()} - set(BY_ID):
        scheduler.remove_job(stale)
    for job in JOBS:
        scheduler.add_job(run_job, args=(job.id,), id=job.id, name=job.id,
                          replace_existing=True,
                          misfire_grace_time=job.misfire_hours * 3600, **_trigger(job))
    scheduler.resume()
    return scheduler


def lock_wait(stop: threading.Event, *, every: float = 5.0,
              waiting: Callable[[], None] = lambda: None) -> bool:
    """Become the installation's one scheduler: on PostgreSQL, wait for the advisory lock
    (``waiting`` is called once if it is taken; False when told to stop first); elsewhere
    (SQLite, one machine) go ahead."""
    if connection.vendor != "postgresql":
        return True
    told = False
    while not stop.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if cursor.fetchone()[0]:
                return True
        if not told:
            log.info("another scheduler runs; waiting to take over")
            waiting()
            told = True
        stop.wait(every)
    return False
