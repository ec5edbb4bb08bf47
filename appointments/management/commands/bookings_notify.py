"""manage.py bookings_notify: confirmations and day-before reminders, each sent once."""

import json

from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = "Send pending confirmation emails and tomorrow's reminders; records every send."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(services.bookings_notify()))
