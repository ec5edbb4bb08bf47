"""The resident's status page /t/<token>/: language, live state, the call, leaving, 404."""

import datetime
import re

import pytest
from django.test import Client

from queueing import services
from queueing.models import Counter, Ticket

pytestmark = pytest.mark.django_db


def test_status_page_is_in_the_language_chosen_at_the_kiosk(client, issue):
    ticket = issue(language="ko")
    html = client.get(f"/t/{ticket.token}/").content.decode()
    assert '<html lang="ko">' in html
    assert "주민표 사본" in html
    assert ">A001<" in html


def test_status_page_language_can_be_switched(client, issue):
    ticket = issue(language="ko")
    html = client.get(f"/t/{ticket.token}/?lang=en").content.decode()
    assert '<html lang="en">' in html
    assert "Certificate of residence" in html
    assert "I am leaving" in html


def test_status_page_shows_place_and_estimate(client, issue):
    issue()
    ticket = issue()
    html = client.get(f"/t/{ticket.token}/?lang=en").content.decode()
    assert re.search(r'id="people-ahead">1<', html)
    assert re.search(r'id="estimated-wait">(about \d+ min|wait time not known)<', html)
    assert 'data-status="waiting"' in html


def test_called_ticket_shows_go_to_counter_full_screen(client, issue, contractor, office):
    ticket = issue()
    counter = Counter.objects.get(office=office, number=2)
    services.ticket_call_next(counter=counter, by=contractor)
    html = client.get(f"/t/{ticket.token}/?lang=en").content.decode()
    overlay = re.search(r'<div class="called-overlay".*?</div>', html, re.S).group(0)
    assert " hidden" not in overlay.split(">")[0]
    assert "Please go to counter 2" in overlay


def test_status_page_shows_nothing_personal(client, office, juminhyo, kiosk):
    ticket = services.ticket_issue(service=juminhyo, device=kiosk, language="en",
                                   booking_reference="ABCD-2345")
    html = client.get(f"/t/{ticket.token}/").content.decode()
    assert "ABCD-2345" not in html
    assert kiosk.key not in html


def test_leaving_cancels_the_ticket_without_sign_in_or_csrf_token(issue):
    ticket = issue()
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/api/v1/tickets/status/{ticket.token}/leave/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    html = client.get(f"/t/{ticket.token}/?lang=en").content.decode()
    assert "This ticket has been cancelled." in html
    assert 'id="leave-row" hidden' in html
    again = client.post(f"/api/v1/tickets/status/{ticket.token}/leave/")
    assert again.status_code == 409
    assert again.json()["code"] == "closed"


def test_unknown_token_gets_a_friendly_404_in_the_chosen_language(client, office):
    response = client.get("/t/no-such-token/?lang=es")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Ticket not found" not in html  # translated, not the English source


def test_unknown_token_404_follows_the_browser_language(client, office):
    response = client.get("/t/no-such-token/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Ticket not found" in response.content.decode()


def test_ticket_of_an_earlier_day_has_expired(client, issue):
    ticket = issue()
    Ticket.objects.filter(pk=ticket.pk).update(
        business_day=ticket.business_day - datetime.timedelta(days=1))
    assert client.get(f"/t/{ticket.token}/").status_code == 404


def test_overlong_token_is_a_404_not_an_error(client, office):
    assert client.get("/t/" + "x" * 500 + "/").status_code == 404


def test_after_a_hand_off_the_page_names_the_next_step_and_where_and_not_the_note(
        client, issue, contractor, office):
    tennyu = office.services.get(code="tennyu")
    ticket = issue(service=tennyu, language="en")
    c3 = Counter.objects.get(office=office, number=3)
    services.ticket_call_next(counter=c3, by=contractor)
    services.ticket_transfer(ticket=ticket, counter=c3, by=contractor,
                             reason="審査・決定が必要", note="転出証明書あり")
    html = client.get(f"/t/{ticket.token}/").content.decode()
    assert "Your next step: Review and decision" in html
    assert "You will be called to counter 6, 8." in html
    # Nobody is at counter 6 or 8: the wait is not known, never "about 0 min".
    assert re.search(r'id="estimated-wait">wait time not known<', html)
    assert "転出証明書" not in html and "審査・決定が必要" not in html
    ja = client.get(f"/t/{ticket.token}/?lang=ja").content.decode()
    assert "次の手続き: 審査・決定" in ja and "6, 8番窓口でお呼びします。" in ja
