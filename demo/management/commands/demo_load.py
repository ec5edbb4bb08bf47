"""manage.py demo_load: load the demo city hall (idempotent)."""

from django.core.management.base import BaseCommand

from demo.city_hall import demo_load


class Command(BaseCommand):
    help = "Create or update the demo city hall (idempotent)."

    def handle(self, *args, **options):
        office = demo_load()
        self.stdout.write(self.style.SUCCESS(f"Demo office ready: {office.name} (id {office.id})"))
