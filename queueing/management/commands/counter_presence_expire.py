"""manage.py counter_presence_expire: pause counters nobody is signed in at (once, or --every)."""

import time

from django.core.management.base import BaseCommand

from queueing import services


class Command(BaseCommand):
    help = ("Pause every counter whose consoles are gone (no heartbeat for the timeout, or "
            "closed past the grace time); their tickets go back in line. --every N repeats.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0,
                            help="repeat every N seconds (0: once)")

    def handle(self, *args, every: float = 0, **options):
        while True:
            for counter in services.counter_presence_expire():
                self.stdout.write(f"counter {counter.number} paused: nobody signed in at it")
            if every <= 0:
                return
            time.sleep(every)
