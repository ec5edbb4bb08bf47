"""manage.py demo_urls: print the pages to open and the demo logins."""

from django.core.management.base import BaseCommand

from demo.city_hall import ACCOUNTS, ADMIN, DISPLAY_KEY, KIOSK_KEY
from queueing.models import Office, Service


class Command(BaseCommand):
    help = "Print the demo city hall's URLs and logins."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        base = f"http://{host}:{port}"
        office = Office.objects.get(code="demo")
        mynumber = Service.objects.filter(office=office, code="mynumber").first()
        lines = [
            ("Kiosk (発券機)", f"{base}/kiosk/{KIOSK_KEY}/"),
            ("Lobby display (呼出表示)", f"{base}/display/{DISPLAY_KEY}/"),
            ("Phone ticket (Web 整理券)", f"{base}/join/{office.code}/"),
            ("Staff console (窓口)", f"{base}/staff/"),
            ("Supervisor dashboard", f"{base}/supervisor/"),
        ]
        if mynumber:
            lines.append(("Booking QR poster (予約)",
                          f"{base}/book/{office.code}/{mynumber.code}/poster/"))
        lines += [("Congestion page (混雑状況)", f"{base}/congestion/{office.code}/"),
                  ("Admin", f"{base}/admin/"), ("API docs", f"{base}/api/docs/")]
        self.stdout.write("\nOpen:")
        for label, url in lines:
            self.stdout.write(f"  {label:28} {url}")
        self.stdout.write("\nDemo logins (username / password):")
        for username, password, role, _ in ACCOUNTS:
            self.stdout.write(f"  {role.value:12} {username} / {password}")
        self.stdout.write(f"  {'admin':12} {ADMIN[0]} / {ADMIN[1]}\n")
