"""manage.py ticket_notices_send: the residents' near-turn and call e-mails, each sent once."""

import json

from django.core.management.base import BaseCommand

from kiosk import notices


class Command(BaseCommand):
    help = "Send the due near-turn and call e-mails of today's tickets; each goes once."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(notices.ticket_notices_send()))
