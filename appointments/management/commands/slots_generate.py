"""manage.py slots_generate: create the slots of every active schedule over its horizon."""

from django.core.management.base import BaseCommand

from appointments import services
from appointments.models import Schedule


class Command(BaseCommand):
    help = "Generate booking slots ahead (idempotent; slots with bookings are never touched)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="horizon (default: schedule's)")

    def handle(self, *args, days=None, **options):
        for schedule in Schedule.objects.filter(active=True):
            counts = services.slots_generate(schedule=schedule, days=days)
            self.stdout.write(f"{schedule}: {counts}")
