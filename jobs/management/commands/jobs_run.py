"""manage.py jobs_run: the scheduler process; runs every job of jobs/schedule.py until SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand

from jobs import runner


class Command(BaseCommand):
    help = ("Run the scheduled jobs (jobs/schedule.py) until stopped by SIGTERM or SIGINT; "
            "one per installation (on PostgreSQL a second one waits as a standby).")

    def handle(self, *args, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if not runner.lock_wait(stop, waiting=lambda: self.say("another scheduler runs; "
                                                               "waiting to take over")):
            return
        scheduler = runner.run()
        self.say(f"{len(scheduler.get_jobs())} jobs scheduled")
        stop.wait()
        scheduler.shutdown(wait=True)  # a run in progress finishes (each record commits alone)
        self.say("stopped")

    def say(self, text: str) -> None:
        """One line on stdout, at once (systemd's journal, make run's terminal)."""
        self.stdout.write(f"jobs_run: {text}")
        self.stdout.flush()
