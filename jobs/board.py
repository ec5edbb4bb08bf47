"""What supervisors read about the scheduled jobs (/supervisor/jobs/): each job's last run,
its counts and its last failed run, and the records that failed (read only)."""

from dataclasses import dataclass

from django.db.models import Q
from django_apscheduler.models import DjangoJobExecution

from queueing.models import RecordFailure

from .schedule import JOBS, Job

STATUS = {
    DjangoJobExecution.SUCCESS: "完了 Done",
    DjangoJobExecution.SENT: "実行中 Running",
    DjangoJobExecution.ERROR: "失敗 Failed",
    DjangoJobExecution.MISSED: "見送り Missed",
    DjangoJobExecution.MAX_INSTANCES: "重複のため見送り Skipped (still running)",
}
FAILURES_SHOWN = 50


@dataclass
class JobRow:
    """One job as the board shows it."""

    job: Job
    when: str
    last: DjangoJobExecution | None
    status: str
    counts: dict
    last_error: DjangoJobExecution | None


def when(job: Job) -> str:
    """How often the job runs, in words (Japanese, then English)."""
    if job.every_seconds:
        if job.every_seconds % 60 == 0:
            minutes = job.every_seconds // 60
            return f"{minutes}分ごと every {minutes} min"
        return f"{job.every_seconds}秒ごと every {job.every_seconds} s"
    hour, minute = job.daily_at
    return f"毎日 {hour:02d}:{minute:02d} daily"


def job_rows() -> list[JobRow]:
    """Every job of the schedule with its last run and its last failed run."""
    rows = []
    for job in JOBS:
        runs = DjangoJobExecution.objects.filter(job_id=job.id).order_by("-run_time")
        last = runs.select_related("counts").first()
        counts = getattr(last, "counts", None) if last is not None else None
        last_error = runs.filter(Q(status=DjangoJobExecution.ERROR)
                                 | Q(status=DjangoJobExecution.MISSED)).first()
        rows.append(JobRow(job=job, when=when(job), last=last,
                           status=STATUS.get(last.status, last.status) if last else "",
                           counts=counts.counts if counts else {}, last_error=last_error))
    return rows


def failures() -> list[RecordFailure]:
    """The latest records a job could not handle (which record, which attempt, which error)."""
    return list(RecordFailure.objects.order_by("-at", "-id")[:FAILURES_SHOWN])
