"""manage.py bookings_sweep: expire holds, mark no-shows and completions (every minute)."""

import json

from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = "Release expired holds, mark no-shows after the late-arrival time, mark completions."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(services.bookings_sweep()))
