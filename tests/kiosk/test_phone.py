"""The phone ticket page (kiosk/phone.py): /join/<office code>/."""

import datetime

import pytest
from django.test import Client

from queueing import services
from queueing.events import Action
from queueing.models import Office, Service, Ticket, TicketEvent
from queueing.presence_code import presence_code

pytestmark = pytest.mark.django_db

JOIN = "/join/demo/"


@pytest.fixture
def phone() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def the_code(office) -> str:
    return presence_code(office_id=office.pk).code


def wrong_code(office) -> str:
    shown = {the_code(office), presence_code(
        office_id=office.pk, at=datetime.datetime.now(datetime.UTC)
        - datetime.timedelta(minutes=5)).code}
    return next(c for c in ("0000", "1111", "2222") if c not in shown)


def test_an_office_without_phone_tickets_says_so_plainly(office, phone):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.OFF)
    response = phone.get(JOIN + "?lang=en")
    assert response.status_code == 404
    assert "Please take a ticket at the kiosk in the lobby." in response.content.decode()


def test_a_new_office_does_not_offer_phone_tickets(db):
    assert Office.objects.create(code="branch", name="支所").phone_join == Office.PhoneJoin.OFF
    assert Client().get("/join/branch/").status_code == 404
    assert Client().get("/join/no-such-office/").status_code == 404


def test_the_page_lists_the_services_taking_tickets_and_asks_for_the_code(office, phone):
    page = phone.get(JOIN + "?lang=en").content.decode()
    assert 'name="code"' in page and "Code shown on the screen in the lobby" in page
    assert "Certificate of residence" in page or "住民票" in page
    Service.objects.filter(office=office, code="juminhyo").update(active=False)
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    assert f'value="{juminhyo.pk}"' not in phone.get(JOIN + "?lang=en").content.decode()


def test_the_right_code_issues_a_ticket_and_leads_to_its_status_page(office, phone):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    response = phone.post(JOIN + "?lang=en", {"code": the_code(office), "service": juminhyo.pk})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/t/{ticket.token}/?lang=en"
    assert ticket.service == juminhyo and ticket.language == "en"
    assert ticket.status == Ticket.Status.WAITING
    assert TicketEvent.objects.filter(ticket=ticket, action=Action.ISSUED).count() == 1
    assert phone.get(response["Location"]).status_code == 200
    cookie = response.cookies["phone_ticket"]
    assert cookie["httponly"] and ticket.token not in cookie.value.split(":")[1:]  # signed


def test_an_office_open_to_anywhere_needs_no_code(office, phone):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.ANYWHERE)
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    assert 'name="code"' not in phone.get(JOIN).content.decode()
    assert phone.post(JOIN, {"service": juminhyo.pk}).status_code == 302
    assert Ticket.objects.count() == 1


def test_a_wrong_code_is_refused_in_plain_words_and_issues_nothing(office, phone):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    response = phone.post(JOIN + "?lang=en", {"code": wrong_code(office), "service": juminhyo.pk})
    assert response.status_code == 400
    assert "This code is wrong or has expired." in response.content.decode()
    response = phone.post(JOIN + "?lang=en", {"code": "", "service": juminhyo.pk})
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_an_individual_number_typed_as_the_code_is_refused_and_never_echoed(office, phone):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    response = phone.post(JOIN + "?lang=en", {"code": "123456789018", "service": juminhyo.pk})
    page = response.content.decode()
    assert response.status_code == 400
    assert "12-digit Individual Number" in page and "123456789018" not in page
    assert not Ticket.objects.exists()


def test_a_twelve_digit_service_value_is_refused(office, phone):
    response = phone.post(JOIN + "?lang=en", {"code": the_code(office), "service": "123456789018"})
    assert response.status_code == 400 and "123456789018" not in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_closed_service_takes_no_ticket(office, phone):
    # Reception ended at midnight: every moment of the day is after it.
    Service.objects.filter(office=office).update(available_until=datetime.time(0, 0))
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    page = phone.get(JOIN + "?lang=en").content.decode()
    assert "No service is taking tickets now." in page
    response = phone.post(JOIN + "?lang=en", {"code": the_code(office), "service": juminhyo.pk})
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_one_open_ticket_per_phone_pressing_again_shows_the_same_ticket(office, phone):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    first = phone.post(JOIN + "?lang=en", {"code": the_code(office), "service": juminhyo.pk})
    again = phone.post(JOIN + "?lang=en", {"code": the_code(office), "service": juminhyo.pk})
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    page = phone.get(JOIN + "?lang=en").content.decode()
    ticket = Ticket.objects.get()
    assert "You already have a ticket" in page and ticket.display_number in page
    assert 'name="service"' not in page
    # Another phone (no cookie) takes its own ticket.
    other = Client().post(JOIN + "?lang=en", {"code": the_code(office), "service": juminhyo.pk})
    assert other.status_code == 302 and Ticket.objects.count() == 2


def test_once_the_ticket_is_closed_the_phone_may_take_another(office, phone):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    phone.post(JOIN, {"code": the_code(office), "service": juminhyo.pk})
    services.ticket_cancel(ticket=Ticket.objects.get())
    assert phone.post(JOIN, {"code": the_code(office), "service": juminhyo.pk}).status_code == 302
    assert Ticket.objects.filter(status=Ticket.Status.WAITING).count() == 1


def test_a_forged_cookie_is_ignored(office, phone):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    ticket = services.ticket_issue(service=juminhyo)
    phone.cookies["phone_ticket"] = ticket.token  # unsigned: someone else's token
    assert "You already have a ticket" not in phone.get(JOIN).content.decode()


def test_tries_per_address_are_limited(office, phone, settings):
    settings.PHONE_TICKET_RATE = "3/hour"
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    for _ in range(3):
        response = phone.post(JOIN + "?lang=en", {"code": wrong_code(office),
                                                  "service": juminhyo.pk})
        assert response.status_code == 400
    response = Client().post(JOIN + "?lang=en", {"code": the_code(office),
                                                 "service": juminhyo.pk})
    assert response.status_code == 429
    assert "Too many tries from this network" in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("lang", "heading"), [
    ("ja", "スマートフォンで整理券"), ("en", "Take a ticket on your phone"),
    ("vi", "Lấy số thứ tự trên điện thoại")])
def test_the_page_speaks_the_chosen_language(office, lang, heading):
    response = Client().get(f"{JOIN}?lang={lang}")
    assert response["Content-Language"] == lang
    assert heading in response.content.decode()


def test_the_phones_own_language_is_the_default(office):
    response = Client(HTTP_ACCEPT_LANGUAGE="ko").get(JOIN)
    assert response["Content-Language"] == "ko"


def test_the_ticket_is_in_the_language_of_the_page(office):
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    Client().post(f"{JOIN}?lang=pt-br", {"code": the_code(office), "service": juminhyo.pk})
    assert Ticket.objects.get().language == "pt-br"
