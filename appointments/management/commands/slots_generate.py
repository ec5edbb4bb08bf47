"""manage.py slots_generate: create the slots of every active schedule over its horizon."""

import json

from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = "Generate booking slots ahead (idempotent; slots with bookings are never touched)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="horizon (default: schedule's)")

    def handle(self, *args, days=None, **options):
        self.stdout.write(json.dumps(services.slots_generate_all(days=days)))
