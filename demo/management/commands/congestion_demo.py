"""manage.py congestion_demo: past weeks of visits for the demo office's congestion page."""

from django.core.management.base import BaseCommand, CommandError

from demo.congestion_history import HistoryExists, history_demo_load
from queueing.models import Office


class Command(BaseCommand):
    help = ("Write past weeks of visits (tickets and audit events) for an office with none, "
            "so its forecast and congestion page have a history (after demo_load).")

    def add_arguments(self, parser):
        parser.add_argument("--office", default="demo", help="office code (default: demo)")
        parser.add_argument("--weeks", type=int, default=8)
        parser.add_argument("--per-day", type=int, default=240)
        parser.add_argument("--replace", action="store_true",
                            help="delete the office's tickets before today first")

    def handle(self, *args, **options):
        office = Office.objects.filter(code=options["office"]).first()
        if office is None:
            raise CommandError(f"no office with code {options['office']!r} (run demo_load)")
        try:
            n = history_demo_load(office=office, weeks=options["weeks"],
                                  per_day=options["per_day"], replace=options["replace"])
        except HistoryExists as exc:
            self.stdout.write(f"{exc} Nothing written (use --replace to rewrite).")
            return
        self.stdout.write(f"{n} past tickets written for {office}")
