"""The card-pickup notice list: imported per office as keyed hashes with a report of the
rows refused, replaced or erased; with a list a booking must match, failed tries back off."""

import datetime
import secrets

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from appointments import services
from appointments.models import NoticeEntry, NoticeList
from appointments.notices import notice_digest
from queueing.errors import QueueError

pytestmark = pytest.mark.django_db
DOB = datetime.date(1990, 7, 15)


def reference() -> str:
    """A notice number of its own for each test (the back-off counts live in Redis)."""
    return f"NT{secrets.choice('ABCDEFGH')}-{secrets.randbelow(10**6):06d}"


def upload(clerk, office, rows: str, notice_list=None):
    url = (f"/admin/appointments/noticelist/{notice_list.pk}/change/" if notice_list
           else "/admin/appointments/noticelist/add/")
    response = clerk.post(url, {"office": office.pk, "csv_file": SimpleUploadedFile(
        "notices.csv", rows.encode("cp932"), content_type="text/csv")}, follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    return [str(m) for m in get_messages(response.wsgi_request) if "取り込み" in str(m)]


def address() -> str:
    """A client address of its own (the back-off counts outlive the test in Redis)."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def book(slot, notice, birth_date=DOB, client=None):
    client = client or address()
    return services.booking_create(slot=slot, notice_reference=notice, birth_date=birth_date,
                                   email="hanako@example.jp", client=client)


def test_the_import_keeps_only_keyed_hashes_and_reports_refused_rows(clerk, office):
    good = reference()
    rows = ("交付通知書番号,生年月日\n"
            f"{good},1990/07/15\n"
            "XX-1,1990-07-15\n"
            f"{reference()},1990-13-40\n"
            f"{good},19900715\n"
            f"{reference()},123456789012\n")
    [message] = upload(clerk, office, rows)
    assert "1件取り込みました" in message and "取り込まなかった行は4件" in message
    assert "3行目: 交付通知書の番号の形" in message and "4行目: 生年月日が読めません" in message
    assert "5行目: 2行目と同じ通知です" in message and "6行目: 12桁の数字" in message
    assert "123456789012" not in message and "XX-1" not in message  # no data echoed
    notice_list = NoticeList.objects.get(office=office)
    [entry] = NoticeEntry.objects.filter(notice_list=notice_list)
    assert entry.digest == notice_digest(good, DOB)
    assert "1990" not in entry.digest and good not in entry.digest
    assert "3行目" in notice_list.report


def test_a_list_can_be_replaced_and_erased(clerk, office, future_slot):
    first, second = reference(), reference()
    upload(clerk, office, f"{first},1990-07-15\n")
    notice_list = NoticeList.objects.get(office=office)
    upload(clerk, office, f"{second},1990-07-15\n", notice_list)
    assert NoticeEntry.objects.filter(notice_list=notice_list).count() == 1
    with pytest.raises(QueueError) as refused:
        book(future_slot, first)
    assert refused.value.code == "notice_not_on_list"
    clerk.post(f"/admin/appointments/noticelist/{notice_list.pk}/delete/", {"post": "yes"})
    assert not NoticeEntry.objects.exists()
    assert book(future_slot, first).status == "booked"  # no list: as before


def test_with_a_list_a_booking_must_match_and_a_mismatch_is_said_plainly(clerk, office,
                                                                         future_slot):
    listed = reference()
    upload(clerk, office, f"{listed},1990-07-15\n")
    with pytest.raises(QueueError) as refused:
        book(future_slot, listed, birth_date=datetime.date(1990, 7, 16))
    assert refused.value.code == "notice_not_on_list"
    assert "do not match a notice" in str(refused.value.detail) or "一致" in refused.value.detail
    assert book(future_slot, listed).status == "booked"


def test_repeated_failures_for_one_reference_or_from_one_address_are_slowed_down(
        clerk, office, future_slot, slot_factory):
    listed, one_address = reference(), address()
    upload(clerk, office, f"{listed},1990-07-15\n")
    for day in range(1, 6):  # five wrong birth dates for that notice, from many addresses
        with pytest.raises(QueueError) as refused:
            book(future_slot, listed, birth_date=datetime.date(1990, 7, day),
                 client=address())
        assert refused.value.code == "notice_not_on_list"
    with pytest.raises(QueueError) as refused:
        book(future_slot, listed)  # now even the right pair is refused: nothing to learn
    assert refused.value.code == "notice_attempts"
    for _ in range(5):  # five guessed numbers from one address
        with pytest.raises(QueueError):
            book(future_slot, reference(), client=one_address)
    with pytest.raises(QueueError) as refused:
        book(future_slot, reference(), client=one_address)
    assert refused.value.code == "notice_attempts"


def test_the_booking_page_says_a_mismatch_plainly_in_the_residents_language(clerk, office):
    from django.test import Client

    from demo.bookings import appointments_demo_load
    from tests.appointments.test_views import details, first_open_slot

    schedule = appointments_demo_load()
    listed = reference()
    upload(clerk, office, f"{listed},1985-04-01\n")
    slot = first_open_slot(schedule)
    page = Client(REMOTE_ADDR=address()).post(
        f"/book/demo/mynumber/slot/{slot.id}/",
        details(lang="ja", notice_reference=reference()))
    assert page.status_code == 400
    assert "市がお送りした通知と一致しません" in page.content.decode()
    ok = Client(REMOTE_ADDR=address()).post(f"/book/demo/mynumber/slot/{slot.id}/",
                       details(lang="ja", notice_reference=listed))
    assert ok.status_code == 302
