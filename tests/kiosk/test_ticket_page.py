"""The issued ticket: number, service, time, people ahead, estimate, and a QR code that
encodes exactly the status page's URL (checked module by module against qrcode)."""

import datetime
import re

import pytest
import qrcode

from demo.city_hall import KIOSK_KEY
from queueing.models import Device, Office
from queueing.qrcodes import qr_svg

pytestmark = pytest.mark.django_db


def qr_modules_in_svg(svg: str) -> set[tuple[int, int]]:
    """The dark modules drawn by a qrcode SvgPathImage path (one square per module)."""
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", path)}


def qr_modules_for(url: str) -> set[tuple[int, int]]:
    """The dark modules of a QR code for ``url`` as the qrcode library computes them."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return {(x, y) for y, row in enumerate(qr.get_matrix()) for x, dark in enumerate(row) if dark}


def test_ticket_page_shows_what_the_paper_ticket_needs(client, issue):
    first = issue()
    ticket = issue()
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=en").content.decode()
    assert ">A002<" in html
    assert "Certificate of residence" in html
    assert "People ahead of you" in html
    assert re.search(r'id="people-ahead">1<', html)
    assert "Estimated wait" in html
    assert first.issued_at.astimezone().strftime("%Y") in html


def test_ticket_says_at_which_counters_its_step_is_served(client, issue):
    ticket = issue()  # 住民票: its first step at the outsourced counters that serve it
    from queueing.selectors import step_counters

    counters = step_counters(office_id=ticket.office_id)[ticket.step_id]
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=ja").content.decode()
    assert counters
    assert re.search(r"<dt>窓口</dt><dd id=\"ticket-counters\">"
                     + re.escape(", ".join(map(str, counters))) + "<", html)


def test_a_checked_in_bookings_ticket_shows_the_appointment_time(client, office, kiosk, clock):
    import appointments.references
    from appointments.models import Booking, Schedule, Slot
    from queueing import services

    clock.at("10:00")  # the walk-in button's hours too
    mynumber = office.services.get(code="mynumber")
    start = datetime.datetime(2026, 6, 10, 10, 30, tzinfo=datetime.timezone(
        datetime.timedelta(hours=9)))
    slot = Slot.objects.create(schedule=Schedule.objects.create(office=office, service=mynumber),
                               start=start, end=start + datetime.timedelta(minutes=30),
                               capacity=1, seats_taken=1)
    booking = Booking.objects.create(
        slot=slot, office=office, service=mynumber, status="booked", party_size=1,
        reference=appointments.references.booking_code_new(), notice_reference="XYZ-000001",
        birth_date=datetime.date(1990, 7, 15), created_at=clock.now)
    ticket = services.ticket_issue(service=mynumber, device=kiosk, priority=2,
                                   booking_reference=booking.reference)
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=en").content.decode()
    assert re.search(r'<dt>Appointment</dt><dd id="appointment-at"><time [^>]*>10:30<', html)
    walk_in = services.ticket_issue(service=mynumber, device=kiosk, booking_reference="")
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{walk_in.token}/?lang=en").content.decode()
    assert "appointment-at" not in html


def test_qr_code_on_ticket_encodes_exactly_the_status_page_url(client, issue):
    ticket = issue()
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=en").content.decode()
    url = f"http://testserver/t/{ticket.token}/"
    svg = re.search(r"<svg class=\"qr\".*?</svg>", html, re.S).group(0)
    assert f'data-qr="{url}"' in svg
    assert qr_modules_in_svg(svg) == qr_modules_for(url)
    assert qr_modules_in_svg(svg) != qr_modules_for(url + "x")  # the check can fail


def test_qr_svg_escapes_its_label():
    svg = qr_svg("http://example.jp/t/abc/", label='a "b" <c>')
    assert 'aria-label="a &quot;b&quot; &lt;c&gt;"' in svg


def test_status_page_url_uses_public_base_url_behind_a_proxy(client, issue, settings):
    settings.PUBLIC_BASE_URL = "https://madoguchi.city.example.jp/"
    ticket = issue()
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/").content.decode()
    assert f'data-qr="https://madoguchi.city.example.jp/t/{ticket.token}/"' in html


def test_print_view_is_requested_only_with_print_flag(client, issue):
    ticket = issue()
    url = f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/"
    assert 'data-autoprint="1"' in client.get(url + "?print=1").content.decode()
    assert 'data-autoprint="0"' in client.get(url).content.decode()


def test_ticket_of_another_office_is_not_shown_at_this_kiosk(client, issue, office):
    ticket = issue()
    other = Office.objects.create(code="branch", name="支所")
    kiosk = Device.objects.create(office=other, type=Device.Type.KIOSK, name="支所 発券機")
    assert client.get(f"/kiosk/{kiosk.key}/ticket/{ticket.token}/").status_code == 404


def test_ticket_page_with_bad_key_is_403(client, issue):
    ticket = issue()
    assert client.get(f"/kiosk/nope/ticket/{ticket.token}/").status_code == 403


@pytest.mark.parametrize(("lang", "day"), [
    ("ja", "12月2日(水)"), ("ja-easy", "12月2日(すい)"), ("en", "Wed, Dec 2"),
    ("zh-hans", "12月2日 星期三"), ("ko", "12월 2일 (수)"), ("vi", "Thứ Tư, 2/12"),
    ("pt-br", "Qua, 2/12"), ("es", "Mié 2 de diciembre"),
])
def test_ticket_shows_its_business_day_with_the_weekday_in_its_language(
        client, issue, clock, lang, day):
    clock.at("10:15", day=datetime.date(2026, 12, 2))  # a Wednesday, whenever the test runs
    ticket = issue(language=lang)
    assert ticket.business_day == datetime.date(2026, 12, 2)
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang={lang}").content.decode()
    assert re.search(r'<span class="day" id="ticket-day">([^<]*)</span> 10:15<', html)[1] == day


def test_ticket_page_carries_the_offline_notice_outside_the_print(client, issue):
    ticket = issue()
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=ko").content.decode()
    notice = re.search(r'<p id="offline"[^>]*>(.*?)</p>', html).group(0)
    assert "지금은 번호표를 발급할 수 없습니다. 창구에 문의해 주세요." in notice
    assert "no-print" in notice and " hidden>" in notice
    assert html.index("kiosk/offline.js") < html.index("kiosk/ticket.js")
