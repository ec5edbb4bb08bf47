"""The schedule: which service function runs how often. The one place that says so.

Each job calls the service its management command calls (the command stays,
for a run by hand); ``covers`` names those commands, and a test fails when a
job command has no row here. Every job is idempotent and walks its records
one by one (``queueing.isolation``), so a run that is missed, repeated or
interrupted is made good by the next one.

Interval jobs also run once as the scheduler starts; daily jobs run at their
time in TIME_ZONE, or within ``misfire_hours`` after it if the scheduler was
down then.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from django_apscheduler.models import DjangoJobExecution

from appointments import services as bookings
from kiosk import notices
from queueing import isolation, retention
from queueing import services as queue


@dataclass(frozen=True)
class Job:
    """One row of the schedule."""

    id: str
    run: Callable[[], dict]
    what: str  # shown to supervisors, Japanese then English
    every_seconds: int | None = None  # an interval job, or
    daily_at: tuple[int, int] | None = None  # (hour, minute) in TIME_ZONE
    covers: tuple[str, ...] = field(default=())  # the management commands it stands for
    misfire_hours: int = 6


def counter_presence_expire() -> dict[str, int]:
    """Pause the counters nobody is signed in at; counts ``paused``."""
    return {"paused": len(queue.counter_presence_expire())}


def personal_data_erase() -> dict[str, int | str]:
    """Run every eraser of ``queueing.retention`` (bookings, ticket notes, sign-in names)."""
    return retention.personal_data_erase()


def history_prune() -> dict[str, int]:
    """Forget job runs older than 14 days and record failures older than 30 (ids only)."""
    before = timezone.now() - datetime.timedelta(days=14)
    runs, _ = DjangoJobExecution.objects.filter(run_time__lt=before).delete()
    return {"runs": runs, "failures": isolation.failures_prune(days=30)}


JOBS: tuple[Job, ...] = (
    Job("bookings_sweep", bookings.bookings_sweep, every_seconds=60,
        what="期限切れの仮予約の解放・無断キャンセル・完了の記録 "
             "(expired holds, no-shows, completions)",
        covers=("bookings_sweep",)),
    Job("bookings_notify", bookings.bookings_notify, every_seconds=300,
        what="予約確認と前日のお知らせの送信 (confirmations and reminders)",
        covers=("bookings_notify",)),
    Job("ticket_notices_send", notices.ticket_notices_send, every_seconds=30,
        what="順番が近い・呼出のメール送信 (near-turn and call e-mails to residents)",
        covers=("ticket_notices_send",)),
    Job("counter_presence_expire", counter_presence_expire, every_seconds=30,
        what="誰もいない窓口の一時停止 (pause counters nobody is at)",
        covers=("counter_presence_expire",)),
    Job("slots_generate", bookings.slots_generate_all, daily_at=(1, 0),
        what="予約枠の作成 (booking slots over each schedule's horizon)",
        covers=("slots_generate",)),
    Job("personal_data_erase", personal_data_erase, daily_at=(2, 30),
        what="保存期間を過ぎた個人情報の消去 (personal data past retention)",
        covers=("personal_data_erase", "bookings_erase")),
    Job("history_prune", history_prune, daily_at=(3, 30),
        what="古い実行記録の削除 (old job runs and failures)"),
)

BY_ID: dict[str, Job] = {job.id: job for job in JOBS}
