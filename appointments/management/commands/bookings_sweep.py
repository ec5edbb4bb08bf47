"""manage.py bookings_sweep: expire holds, mark no-shows and completions (every minute)."""

from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = "Release expired holds, mark no-shows after the late-arrival time, mark completions."

    def handle(self, *args, **options):
        expired = services.holds_release_expired()
        no_shows = services.bookings_mark_no_show()
        completed = services.bookings_mark_completed()
        self.stdout.write(f"expired holds: {expired}, no-shows: {no_shows}, "
                          f"completed: {completed}")
