"""manage.py bookings_erase: erase personal data of bookings past the retention time."""

from django.core.management.base import BaseCommand

from appointments import services


class Command(BaseCommand):
    help = "Erase notice number, birth date and contact of past bookings (default after 90 days)."

    def handle(self, *args, **options):
        erased = services.bookings_erase_personal_data()
        self.stdout.write(f"erased personal data of {erased} bookings")
