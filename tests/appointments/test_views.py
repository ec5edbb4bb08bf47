"""Booking pages and API through the test client: the flow, refusals, manage link, staff views."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from appointments.models import Booking, Slot
from demo.bookings import appointments_demo_load
from tests.conftest import api_as

DOB = "1985-04-01"
DOB_PARTS = {"birth_date_0": "昭和60", "birth_date_1": "4", "birth_date_2": "1"}  # 1985-04-01


@pytest.fixture
def demo(office):
    return appointments_demo_load()


def first_open_slot(schedule) -> Slot:
    first = timezone.localdate() + datetime.timedelta(days=schedule.earliest_days)
    return Slot.objects.filter(schedule=schedule, start__date__gte=first).order_by("start").first()


def details(**kw):
    data = {"notice_reference": "ABC-123456", **DOB_PARTS, "email": "hanako@example.jp",
            "phone": "", "party_size": "2", "lang": "en"}
    data.update(kw)
    return data


@pytest.mark.django_db
def test_book_through_the_pages_then_cancel_through_the_manage_link(demo):
    c = Client()
    page = c.get("/book/demo/mynumber/?lang=en")
    assert page.status_code == 200 and b"Choose a day" in page.content
    slot = first_open_slot(demo)
    day = timezone.localdate(slot.start).isoformat()
    assert c.get(f"/book/demo/mynumber/{day}/?lang=en").status_code == 200
    r = c.post(f"/book/demo/mynumber/slot/{slot.id}/", details())
    assert r.status_code == 302 and "/book/hold/" in r["Location"]
    hold_page = c.get(r["Location"])
    assert b"Confirm booking" in hold_page.content
    r = c.post(r["Location"], {"lang": "en"})
    assert r.status_code == 302 and "/book/manage/" in r["Location"]
    confirmation = c.get(r["Location"])
    b = Booking.objects.get()
    assert b.status == "booked"
    assert b.reference.encode() in confirmation.content
    assert b"<svg" in confirmation.content and b"What to bring" in confirmation.content
    # A GET never cancels; the POST behind the confirm button does.
    cancel_url = f"/book/manage/{b.token}/cancel/?lang=en"
    assert c.get(cancel_url).status_code == 200
    assert Booking.objects.get().status == "booked"
    done = c.post(cancel_url, {"lang": "en"})
    assert b"is cancelled" in done.content
    assert Booking.objects.get().status == "cancelled"
    assert Slot.objects.get(pk=slot.pk).seats_taken == 0


@pytest.mark.django_db
def test_page_refuses_a_twelve_digit_number_and_does_not_echo_it(demo):
    slot = first_open_slot(demo)
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/",
                      details(notice_reference="1234 5678 9012"))
    assert r.status_code == 400
    assert b"12-digit Individual Number" in r.content
    assert b"1234 5678 9012" not in r.content
    assert b"hanako@example.jp" in r.content  # the rest of the input is kept
    assert not Booking.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["１２３４－５６７８－９０１２", "1234\u200b5678\u200b9012",
                                      "٠١٢٣ ٤٥٦٧ ٨٩٠١"])
def test_a_refused_number_is_not_echoed_even_when_another_field_is_wrong_too(demo, spelling):
    slot = first_open_slot(demo)
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/",
                      details(notice_reference=spelling, email=spelling, phone=spelling,
                              birth_date_0=spelling, birth_date_1=spelling,
                              birth_date_2=spelling))
    page = r.content.decode()
    assert r.status_code == 400 and "Individual Number" in page
    assert spelling not in page and "5678" not in page and "٤٥٦٧" not in page
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_japanese_page_is_the_default(demo):
    r = Client().get("/book/demo/mynumber/", HTTP_ACCEPT_LANGUAGE="ja")
    assert r.status_code == 200 and b'lang="ja"' in r.content
    assert "日を選んでください".encode() in r.content


@pytest.mark.django_db
def test_poster_has_a_qr_code_to_the_booking_page_in_every_language(demo):
    r = Client().get("/book/demo/mynumber/poster/")
    assert r.status_code == 200
    assert r.content.count(b"<li lang=") == 8
    assert b"http://testserver/book/demo/mynumber/" in r.content and b"<svg" in r.content


@pytest.mark.django_db
def test_unknown_office_or_service_is_404(demo):
    assert Client().get("/book/nowhere/mynumber/").status_code == 404


@pytest.mark.django_db
def test_staff_day_view_contractor_sees_no_personal_data(demo, contractor, municipal):
    slot = first_open_slot(demo)
    api_as(None).post("/api/v1/bookings/", {"slot": slot.id, "notice_reference": "ABC-123456",
                                            "birth_date": DOB, "phone": "090-1111-2222"},
                      format="json")
    day = timezone.localdate(slot.start).isoformat()
    c = Client()
    c.force_login(municipal)
    full = c.get(f"/staff/bookings/demo/?date={day}")
    assert b"ABC-123456" in full.content and b"09011112222" in full.content
    c.force_login(contractor)
    limited = c.get(f"/staff/bookings/demo/?date={day}")
    ref = Booking.objects.get().reference.encode()
    assert ref in limited.content
    assert b"ABC-123456" not in limited.content and b"09011112222" not in limited.content
    assert c.get("/staff/bookings/demo/mynumber/phone/").status_code == 403


@pytest.mark.django_db
def test_staff_books_by_phone_on_a_residents_behalf(demo, municipal):
    slot = first_open_slot(demo)
    c = Client()
    c.force_login(municipal)
    r = c.post("/staff/bookings/demo/mynumber/phone/", {
        "slot": slot.id, "notice_reference": "ABC-123456", **DOB_PARTS,
        "phone": "090-1111-2222", "party_size": "1"})
    assert r.status_code == 200
    b = Booking.objects.get()
    assert (b.channel, b.created_by, b.status) == ("phone", municipal, "booked")
    assert b.reference.encode() in r.content


@pytest.mark.django_db
def test_api_booking_answers_409_when_full(demo):
    slot = first_open_slot(demo)
    client = api_as(None)
    body = {"slot": slot.id, "birth_date": DOB, "email": "a@example.jp", "party_size": 2}
    assert client.post("/api/v1/bookings/", {**body, "notice_reference": "ABC-000001"},
                       format="json").status_code == 201
    r = client.post("/api/v1/bookings/", {**body, "notice_reference": "ABC-000002"},
                    format="json")
    assert r.status_code == 409 and r.json()["code"] == "slot_full"
    r = client.post("/api/v1/bookings/", {**body, "notice_reference": "123456789012"},
                    format="json")
    assert r.status_code == 400 and r.json()["code"] == "individual_number"


@pytest.mark.django_db
def test_kiosk_check_in_api_gives_a_priority_ticket(demo, kiosk_client):
    slot = Slot.objects.create(schedule=demo, start=timezone.now() + datetime.timedelta(minutes=5),
                               end=timezone.now() + datetime.timedelta(minutes=35), capacity=2,
                               seats_taken=1)
    b = Booking.objects.create(slot=slot, office=demo.office, service=demo.service,
                               status="booked", reference="ABCD-EFGH", party_size=1,
                               created_at=timezone.now())
    r = kiosk_client.post("/api/v1/kiosk/check-in/", {"reference": "abcd efgh"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["priority"] == 2 and body["ticket"].startswith("M")
    assert body["status_url"].endswith(f"/t/{body['token']}/")
    again = kiosk_client.post("/api/v1/kiosk/check-in/", {"reference": "ABCD-EFGH"},
                              format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_checked_in"
    missing = kiosk_client.post("/api/v1/kiosk/check-in/", {"reference": "nope"}, format="json")
    assert missing.status_code == 404 and missing.json()["code"] == "booking_not_found"
    assert api_as(None).post("/api/v1/kiosk/check-in/", {"reference": "ABCD-EFGH"},
                             format="json").status_code in (401, 403)
    b.refresh_from_db()
    assert b.status == "checked_in"


@pytest.mark.django_db
def test_change_through_the_manage_link_needs_the_confirm_post(demo):
    slot = first_open_slot(demo)
    later = Slot.objects.filter(schedule=demo, start__gt=slot.start).order_by("start")[3]
    r = api_as(None).post("/api/v1/bookings/", {"slot": slot.id, "notice_reference": "ABC-123456",
                                                "birth_date": DOB, "email": "a@example.jp"},
                          format="json")
    token = r.json()["token"]
    c = Client()
    page = c.get(f"/book/manage/{token}/change/?lang=en&slot={later.id}")
    assert page.status_code == 200 and b"Confirm the change" in page.content
    assert Booking.objects.get().slot_id == slot.id  # choosing is not changing
    r = c.post(f"/book/manage/{token}/change/", {"lang": "en", "slot": later.id, "confirm": "1"})
    assert r.status_code == 302
    b = Booking.objects.get()
    assert b.slot_id == later.id
    assert [e.action for e in b.events.all()] == ["held", "booked", "changed"]
    assert (Slot.objects.get(pk=slot.pk).seats_taken, Slot.objects.get(pk=later.pk).seats_taken) \
        == (0, 1)


@pytest.mark.django_db
def test_manage_page_refuses_cancel_after_the_deadline_with_the_reason(demo):
    slot = first_open_slot(demo)
    r = api_as(None).post("/api/v1/bookings/", {"slot": slot.id, "notice_reference": "ABC-123456",
                                                "birth_date": DOB, "email": "a@example.jp"},
                          format="json")
    demo.change_deadline_days = 10
    demo.save()
    token = r.json()["token"]
    page = Client().get(f"/book/manage/{token}/?lang=en")
    assert b"Changes and cancellations online closed" in page.content
    refused = Client().post(f"/book/manage/{token}/cancel/", {"lang": "en"})
    assert refused.status_code == 409
    assert b"Please call the city hall" in refused.content
    assert Booking.objects.get().status == "booked"


@pytest.mark.django_db
def test_empty_details_form_is_400_with_field_errors(demo):
    slot = first_open_slot(demo)
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/", {"lang": "en"})
    assert r.status_code == 400
    assert b"Enter your date of birth." in r.content
    assert not Booking.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("lang,html_lang,word", [
    ("ja", "ja", "日を選んでください"), ("ja-easy", "ja", "ひ を えらんで ください"),
    ("en", "en", "Choose a day"), ("zh-hans", "zh-hans", "请选择日期"),
    ("ko", "ko", "날짜를 선택하세요"), ("vi", "vi", "Chọn ngày"),
    ("pt-br", "pt-br", "Escolha um dia"), ("es", "es", "Elija un día")])
def test_booking_pages_in_the_eight_kiosk_languages(demo, lang, html_lang, word):
    c = Client()
    page = c.get(f"/book/demo/mynumber/?lang={lang}")
    assert f'<html lang="{html_lang}">'.encode() in page.content
    assert word.encode() in page.content
    slot = first_open_slot(demo)
    form = c.get(f"/book/demo/mynumber/slot/{slot.id}/?lang={lang}")
    assert form.status_code == 200 and b'name="lang" value="' + lang.encode() in form.content


# --- per-address limit ----------------------------------------------------------------


def _address() -> str:
    """A client address of this test run only (the Redis cache outlives runs)."""
    import secrets

    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


@pytest.mark.django_db
def test_booking_form_refuses_a_flood_from_one_address_in_plain_words(demo, monkeypatch):
    from api.bookings import BookingRateThrottle

    monkeypatch.setattr(BookingRateThrottle, "THROTTLE_RATES", {"booking": "2/hour"})
    slot = first_open_slot(demo)
    url = f"/book/demo/mynumber/slot/{slot.id}/"
    flood, other = _address(), _address()
    c = Client()
    codes = [c.post(url, details(notice_reference=f"ABC-10000{i}", party_size="1", lang="ja"),
                    REMOTE_ADDR=flood).status_code for i in range(2)]
    assert codes == [302, 302]
    refused = c.post(url, details(notice_reference="ABC-100009", party_size="1", lang="ja"),
                     REMOTE_ADDR=flood)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "このネットワークからの予約が多すぎます" in text
    assert 'value="ABC-100009"' in text  # what they typed is kept for later
    assert Booking.objects.count() == 2
    # Another address has its own allowance (at another time: this one is full now).
    later = Slot.objects.filter(schedule=demo, start__gt=slot.start).order_by("start").first()
    assert c.post(f"/book/demo/mynumber/slot/{later.id}/",
                  details(notice_reference="ABC-100010", party_size="1"), REMOTE_ADDR=other
                  ).status_code == 302


@pytest.mark.django_db
def test_booking_api_limits_per_address_whatever_forwarded_header_the_client_sends(
    demo, monkeypatch
):
    from api.bookings import BookingRateThrottle

    monkeypatch.setattr(BookingRateThrottle, "THROTTLE_RATES", {"booking": "2/hour"})
    slot = first_open_slot(demo)
    flood = _address()
    c = api_as(None)
    codes = []
    for i in range(3):
        r = c.post("/api/v1/bookings/", {
            "slot": slot.id, "notice_reference": f"XYZ-20000{i}", "birth_date": DOB,
            "phone": "03-1234-5678"},
            format="json", REMOTE_ADDR=flood, HTTP_X_FORWARDED_FOR=_address())
        codes.append(r.status_code)
    assert codes == [201, 201, 429]
    assert r.json()["code"] == "throttled"
    assert r.json()["detail"].startswith("このネットワークからの予約が多すぎます")
    assert Booking.objects.count() == 2


# --- dates with their weekday ---------------------------------------------------------


def _next_tuesday(schedule) -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=schedule.earliest_days + 1)
    return day + datetime.timedelta(days=(1 - day.weekday()) % 7)


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "shape"), [
    ("ja", "{m}月{d}日(火)"), ("en", "Tue, {mon} {d}"), ("ko", "{m}월 {d}일 (화)"),
    ("es", "Mar {d} de {month}")])
def test_booking_pages_show_each_date_with_its_weekday(demo, lang, shape):
    tuesday = _next_tuesday(demo)
    start = datetime.datetime.combine(tuesday, datetime.time(10), timezone.get_current_timezone())
    slot, _ = Slot.objects.get_or_create(schedule=demo, start=start, defaults={
        "end": start + datetime.timedelta(minutes=30), "capacity": 2})
    spanish = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
               "septiembre", "octubre", "noviembre", "diciembre"]
    shown = shape.format(m=tuesday.month, d=tuesday.day, mon=f"{tuesday:%b}",
                         month=spanish[tuesday.month - 1])
    c = Client()
    day_page = c.get(f"/book/demo/mynumber/{tuesday.isoformat()}/?lang={lang}").content.decode()
    assert f"{shown}</h1>" in day_page
    form = c.get(f"/book/demo/mynumber/slot/{slot.id}/?lang={lang}").content.decode()
    assert f"<strong>{shown} 10:00</strong>" in form
    r = c.post(f"/book/demo/mynumber/slot/{slot.id}/", details(lang=lang, party_size="1"))
    assert f"{shown} 10:00–10:30" in c.get(r["Location"]).content.decode()  # the hold page
    manage = c.get(c.post(r["Location"], {"lang": lang})["Location"]).content.decode()
    assert f"{shown} 10:00–10:30" in manage
    sunday = tuesday - datetime.timedelta(days=demo.change_deadline_days)  # until 23:59 then
    assert shape.replace("火", "日").replace("Tue", "Sun").replace("화", "일").replace(
        "Mar", "Dom").format(m=sunday.month, d=sunday.day, mon=f"{sunday:%b}",
                             month=spanish[sunday.month - 1]) + " 23:59" in manage


# --- date of birth as 年/月/日, 和暦 accepted --------------------------------------------


@pytest.mark.django_db
def test_birth_date_in_the_japanese_era_is_stored_as_the_date(demo):
    slot = first_open_slot(demo)
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/", details(
        lang="ja", birth_date_0="平成２", birth_date_1="７", birth_date_2="15"))
    assert r.status_code == 302, r.content.decode()
    assert Booking.objects.get().birth_date == datetime.date(1990, 7, 15)


@pytest.mark.django_db
def test_the_details_form_asks_the_birth_date_as_year_month_and_day(demo):
    slot = first_open_slot(demo)
    page = Client().get(f"/book/demo/mynumber/slot/{slot.id}/?lang=ja").content.decode()
    assert "<legend>生年月日</legend>" in page
    for n, part in enumerate("年月日"):
        assert f'<label for="id_birth_date_{n}">{part}</label>' in page


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "year", "message"), [
    ("ja", "昭和64", "正しい生年月日を入力してください。"),  # 1月8日 was 平成元年
    ("en", "平成31", "Enter a real date of birth."),
    ("ko", "1990", "올바른 생년월일을 입력하세요."),
])
def test_a_day_outside_its_era_is_refused_in_the_pages_language(demo, lang, year, message):
    slot = first_open_slot(demo)
    month, day = ("1", "8") if year == "昭和64" else ("5", "1") if year == "平成31" else ("2", "30")
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/", details(
        lang=lang, birth_date_0=year, birth_date_1=month, birth_date_2=day))
    page = r.content.decode()
    assert r.status_code == 400 and message in page
    assert f'value="{year}"' in page  # what was typed is kept to correct it
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_an_unreadable_year_says_how_to_write_it(demo):
    slot = first_open_slot(demo)
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/", details(
        lang="en", birth_date_0="90", birth_date_1="7", birth_date_2="15"))
    assert r.status_code == 400
    assert "Write the year as a number such as 1990, or with its era such as 平成2." in \
        r.content.decode()


# --- the poster -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", ["月曜日〜水曜日", "木曜日", "9:00–16:30, 17:30–19:30", "5番窓口", "交付通知書",
            "祝日と12月29日〜1月3日は休みです。", "<h1>マイナンバーカード 交付の予約</h1>"]),
    ("en", ["Opening hours", "Monday to Wednesday", "Thursday", "Friday", "9:00–16:30",
            "Counter 5", "What to bring", "Photo ID"]),
])
def test_poster_shows_the_hours_the_place_and_what_to_bring(demo, lang, expected):
    page = Client().get(f"/book/demo/mynumber/poster/?lang={lang}").content.decode()
    for text in expected:
        assert text in page, text
    assert "20:00" not in page  # Thursday evenings end at the 19:30 cut-off
    assert demo.office.name in page


@pytest.mark.django_db
def test_poster_lists_the_extra_openings_with_their_weekday(demo):
    sunday = demo.extra_openings.order_by("date").first().date
    page = Client().get("/book/demo/mynumber/poster/?lang=ja").content.decode()
    assert f"{sunday.month}月{sunday.day}日(日) 9:00–12:00 休日開庁" in page


@pytest.mark.django_db
def test_poster_qr_code_prints_at_least_six_centimetres(demo):
    page = Client().get("/book/demo/mynumber/poster/").content.decode()
    svg = re.search(r'<div class="poster-qr"><svg [^>]*>', page)[0]
    width, height = (float(re.search(fr'{side}="([\d.]+)mm"', svg)[1])
                     for side in ("width", "height"))
    assert width >= 60 and height >= 60


@pytest.mark.django_db
def test_a_twelve_digit_number_in_the_birth_year_is_refused_and_not_echoed(demo):
    slot = first_open_slot(demo)
    r = Client().post(f"/book/demo/mynumber/slot/{slot.id}/", details(
        lang="ja", birth_date_0="１２３４ ５６７８ ９０１２", birth_date_1="7", birth_date_2="15"))
    page = r.content.decode()
    assert r.status_code == 400
    assert re.search(r'id="birth_date_error">12桁の個人番号（マイナンバー）は入力しないで', page)
    assert "５６７８" not in page and "5678" not in page
    assert 'value="ABC-123456"' in page  # the other fields are kept
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_staff_booking_pages_of_an_office_one_does_not_work_at_are_refused(
        branch, municipal, contractor2):
    from django.contrib.auth.models import User

    from appointments.models import Schedule

    Schedule.objects.create(office=branch, service=branch.services.get(code="juminhyo"))
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(municipal)  # the demo office's staff
    refused = c.get("/staff/bookings/kita/")
    assert refused.status_code == 403
    assert b"Your account does not work at this office." in refused.content
    assert c.get("/staff/bookings/kita/juminhyo/phone/").status_code == 403
    c.force_login(contractor2)  # its company holds the branch's contract, not the demo's
    assert c.get("/staff/bookings/demo/").status_code == 403
    assert c.get("/staff/bookings/kita/").status_code == 200
    c.force_login(User.objects.get(username="branch_supervisor"))
    assert c.get("/staff/bookings/kita/").status_code == 200
    assert c.get("/staff/bookings/kita/juminhyo/phone/").status_code == 200
