"""manage.py appointments_demo: the demo office's My Number pickup schedule and slots."""

from django.core.management.base import BaseCommand

from demo.bookings import appointments_demo_load


class Command(BaseCommand):
    help = "Load the demo booking schedule (after demo_load) and generate its slots; idempotent."

    def handle(self, *args, **options):
        schedule = appointments_demo_load()
        self.stdout.write(f"booking schedule: {schedule} ({schedule.slots.count()} slots)")
