"""manage.py personal_data_erase: erase every kind of personal data past its retention time."""

import json

from django.core.management.base import BaseCommand

from queueing import retention


class Command(BaseCommand):
    help = "Erase personal data past retention (bookings, ticket notes); counts stay."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(retention.personal_data_erase()))
