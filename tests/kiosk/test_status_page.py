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


def _completed(issue, contractor, office):
    ticket = issue()
    counter = Counter.objects.get(office=office, number=1)
    services.ticket_call_number(counter=counter, by=contractor, number=ticket.display_number)
    return services.ticket_complete(ticket=ticket, counter=counter, by=contractor)


def _form_tag(html: str) -> str:
    return re.search(r'<form class="rating"[^>]*>', html).group(0)


def test_a_completed_visit_offers_the_satisfaction_rating(client, issue, contractor, office):
    ticket = _completed(issue, contractor, office)
    html = client.get(f"/t/{ticket.token}/?lang=en").content.decode()
    assert " hidden" not in _form_tag(html)
    assert "How was your visit today?" in html
    assert re.findall(r'data-score="(\d)"', html) == ["5", "4", "3", "2", "1"]
    assert "Very satisfied" in html and "Very dissatisfied" in html


def test_a_waiting_ticket_and_a_rated_visit_show_no_rating_form(client, issue, contractor,
                                                                 office):
    waiting = issue()
    assert " hidden" in _form_tag(client.get(f"/t/{waiting.token}/").content.decode())
    ticket = _completed(issue, contractor, office)
    services.ticket_rate(ticket=ticket, score=4)
    html = client.get(f"/t/{ticket.token}/?lang=ja").content.decode()
    assert " hidden" in _form_tag(html)
    done = re.search(r'<p id="rating-done"[^>]*>', html).group(0)
    assert " hidden" not in done


@pytest.mark.parametrize("lang, iphone", [
    ("ja", "このページを画面に開いたままにしてください"),
    ("en", "keep this page open on the screen"),
    ("ko", "이 페이지를 화면에 열어 두세요"),
    ("pt-br", "mantenha esta página aberta na tela"),
])
def test_status_page_says_what_the_phone_allows_in_the_background(client, issue, lang, iphone):
    ticket = issue()
    html = client.get(f"/t/{ticket.token}/?lang={lang}").content.decode()
    note = re.search(r'<div id="alerts"[^>]*>(.*?)</div>', html, re.S)
    assert " hidden" not in note.group(0).split(">")[0]
    assert re.search(r'id="background-iphone"><strong>iPhone:</strong> ' + re.escape(iphone),
                     note.group(1))
    assert 'id="background-android"><strong>Android:</strong>' in note.group(1)
    assert 'id="sound"' in note.group(1)  # beside the alert controls


def test_a_finished_visit_shows_no_alert_controls(client, issue, contractor, office):
    ticket = _completed(issue, contractor, office)
    html = client.get(f"/t/{ticket.token}/?lang=en").content.decode()
    assert " hidden" in re.search(r'<div id="alerts"[^>]*>', html).group(0)
