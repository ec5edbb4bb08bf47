"""The scheduled jobs: the schedule covers every job command, the real scheduler runs a job
with a bad record (recorded, the others processed, shown to supervisors), and the
``jobs_run`` process starts, runs a due job, records it and stops on SIGTERM."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django_apscheduler.models import DjangoJobExecution

from appointments import services
from appointments.models import Booking
from jobs import runner
from jobs.models import JobCounts
from jobs.schedule import JOBS
from queueing.models import RecordFailure

ROOT = Path(__file__).resolve().parents[2]
DOB = datetime.date(1985, 4, 1)
# Commands that are not scheduled work: demo data, and the scheduler itself.
NOT_JOBS = {"jobs_run"}
APPS_WITHOUT_JOBS = {"demo"}


def job_commands() -> set[str]:
    """Every management command of the product's apps that is a job."""
    found = set()
    for commands in ROOT.glob("*/management/commands"):
        if commands.parts[-3] in APPS_WITHOUT_JOBS:
            continue
        found |= {p.stem for p in commands.glob("*.py") if p.stem != "__init__"}
    return found - NOT_JOBS


def test_the_schedule_covers_every_job_command():
    commands = job_commands()
    assert {"bookings_notify", "bookings_sweep", "slots_generate", "bookings_erase",
            "counter_presence_expire", "personal_data_erase"} <= commands
    covered = {command for job in JOBS for command in job.covers}
    assert commands - covered == set(), "a job command without a row in jobs/schedule.py"
    assert all(bool(job.every_seconds) != bool(job.daily_at) for job in JOBS)


def wait_for(check, seconds: float = 30.0):
    """Poll until check() returns something true; that value (fails after the time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"not within {seconds} s: {check.__doc__ or check}")


def notify_run():
    """bookings_notify's run, once finished."""
    return DjangoJobExecution.objects.filter(
        job_id="bookings_notify", status=DjangoJobExecution.SUCCESS).first()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_runs_a_job_past_one_bad_record_and_supervisors_see_it(
        postgres, future_slot, supervisor, client):
    # Given two bookings, one with an address written before addresses were checked
    good = services.booking_create(slot=future_slot, notice_reference="ABC-123456",
                                   birth_date=DOB, email="hanako@example.jp")
    crafted = services.booking_create(slot=future_slot, notice_reference="XYZ-000009",
                                      birth_date=DOB, email="taro@example.jp")
    Booking.objects.filter(pk=crafted.pk).update(email="a@example.jp\r\nBcc: all@evil.example")
    mail.outbox.clear()
    # When the real scheduler runs (interval jobs run as it starts)
    scheduler = runner.run()
    try:
        execution = wait_for(notify_run)
    finally:
        scheduler.shutdown(wait=True)
    # Then the good booking got its confirmation and the bad one is a recorded failure
    assert [m.to for m in mail.outbox] == [["hanako@example.jp"]]
    assert good.notifications.filter(kind="confirmation").exists()
    failure = RecordFailure.objects.get(job="bookings_notify")
    assert failure.record == f"booking {crafted.pk} confirmation" and failure.attempt == 1
    assert "evil" not in failure.error
    assert execution.counts.counts["confirmation"] == 1
    assert execution.counts.counts["failed"] == 1
    # And the supervisor's page shows the run, its counts and the failed record
    client.force_login(supervisor)
    page = client.get("/supervisor/jobs/").content.decode()
    assert "bookings_notify" in page and "confirmation: 1" in page and "failed: 1" in page
    assert f"booking {crafted.pk} confirmation" in page and failure.error in page
    assert "evil" not in page and "a@example.jp" not in page


@pytest.mark.django_db
def test_only_supervisors_see_the_jobs_page(municipal, contractor, client):
    for user in (municipal, contractor):
        client.force_login(user)
        assert client.get("/supervisor/jobs/").status_code == 403


def database_url() -> str:
    """The test database, for a process started by the test."""
    s = connection.settings_dict
    return (f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT'] or 5432}"
            f"/{s['NAME']}")


class JobsRun:
    """A ``manage.py jobs_run`` process on the test database; its output lines as they come."""

    def __init__(self):
        env = {**os.environ, "DATABASE_URL": database_url()}
        self.proc = subprocess.Popen([sys.executable, "manage.py", "jobs_run"], cwd=ROOT,
                                     env=env, stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()

    def scheduling(self) -> bool:
        """Whether it has become the scheduler (it says how many jobs it scheduled)."""
        return any("jobs scheduled" in line for line in self.lines)

    def stop(self) -> int:
        """SIGTERM, then its exit status (killed if it has not stopped in 30 s)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_second_scheduler_waits_and_takes_over_when_the_first_stops(postgres, office):
    first = JobsRun()
    second = None
    try:
        wait_for(first.scheduling)
        second = JobsRun()
        wait_for(lambda: any("waiting to take over" in line for line in second.lines))
        assert not second.scheduling()  # a standby on the advisory lock
        assert first.stop() == 0
        wait_for(second.scheduling, seconds=20)
    finally:
        for run in (first, second):
            if run is not None and run.proc.poll() is None:
                run.stop()
    assert second.proc.returncode == 0


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_jobs_run_starts_runs_a_due_job_records_it_and_stops_on_sigterm(postgres, office):
    env = {**os.environ, "DATABASE_URL": database_url(), "COUNTER_PRESENCE_SWEEP_SECONDS": "0"}
    proc = subprocess.Popen([sys.executable, "manage.py", "jobs_run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def swept():
            """a recorded bookings_sweep run"""
            return DjangoJobExecution.objects.filter(
                job_id="bookings_sweep", status=DjangoJobExecution.SUCCESS).first()

        execution = wait_for(swept, seconds=60)
        assert execution.duration is not None

        def counted():
            """the run's counts recorded"""
            return JobCounts.objects.filter(execution=execution).first()

        counts = wait_for(counted, seconds=10)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert f"{len(JOBS)} jobs scheduled" in out
    assert out.rstrip().endswith("jobs_run: stopped")
    assert counts.counts["expired"] == 0 and counts.counts["failed"] == 0
