"""The residents' near-turn and call e-mails (kiosk/notices.py), through a real SMTP server.

Given a ticket whose resident left an address, when counters call and the job runs
(as the scheduler runs it), then each message arrives once, in the ticket's language.
"""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiosk import notices
from queueing import retention, services
from queueing.models import Counter, RecordFailure, TicketNotice

pytestmark = pytest.mark.django_db
ADDRESS = "resident@example.jp"


def counter_one():
    return Counter.objects.get(office__code="demo", number=1)


def call_next(municipal):
    return services.ticket_call_next(counter=counter_one(), by=municipal)


def line_with_resident(issue, *, ahead: int, language: str = "en"):
    """``ahead`` tickets, then the resident's, who leaves an address."""
    for _ in range(ahead):
        issue()
    ticket = issue(language=language)
    services.ticket_notice_opt_in(ticket=ticket, email=ADDRESS)
    return ticket


def test_near_turn_message_comes_once_when_the_office_s_number_is_ahead(
        smtp_mail, issue, municipal, office):
    ticket = line_with_resident(issue, ahead=office.near_turn_ahead + 1)
    assert notices.ticket_notices_send()["near"] == 0  # four ahead: not yet
    call_next(municipal)  # three ahead now
    assert notices.ticket_notices_send()["near"] == 1
    assert notices.ticket_notices_send()["near"] == 0  # the job again: nothing new
    [message] = smtp_mail.wait_for(ADDRESS, 1)
    assert message["Subject"] == f"{ticket.display_number}: your turn is near (3 ahead)"
    assert "Please come back to the lobby." in message.get_content()
    assert "People ahead of you: 3" in message.get_content()


def test_called_message_names_the_counter_once_even_after_a_recall(
        smtp_mail, issue, municipal):
    ticket = line_with_resident(issue, ahead=0, language="ja")
    called = call_next(municipal)
    assert called.pk == ticket.pk
    call_command("ticket_notices_send")  # what the scheduler's job runs
    services.ticket_recall(ticket=called, counter=counter_one(), by=municipal)
    call_command("ticket_notices_send")
    [message] = smtp_mail.wait_for(ADDRESS, 1)  # no near-turn one: it was called first
    assert message["Subject"] == f"{ticket.display_number}: 1番窓口へお越しください"
    assert "1番窓口" in message.get_content()


def test_a_failed_send_is_recorded_and_tried_again_later_while_calls_go_on(
        settings, smtp_server, issue, municipal):
    from bench.servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    ticket = line_with_resident(issue, ahead=0)
    assert call_next(municipal).pk == ticket.pk  # the call does not wait for mail
    assert notices.ticket_notices_send()["failed"] == 1
    [failure] = RecordFailure.objects.filter(job="ticket_notices_send")
    assert failure.record == f"ticket notice {ticket.notice.pk} called"
    assert ADDRESS not in failure.record + failure.error
    assert TicketNotice.objects.get(ticket=ticket).called_sent_at is None  # not marked sent

    # The mail server is back; after the back-off the next run sends it.
    host, port, inbox = smtp_server
    settings.EMAIL_PORT = port
    assert notices.ticket_notices_send()["retry_later"] == 1
    failure.at -= datetime.timedelta(minutes=2)
    failure.save()
    assert notices.ticket_notices_send()["called"] == 1
    assert len(inbox.wait_for(ADDRESS, 1)) == 1


def test_the_address_is_erased_after_the_business_day(issue, municipal):
    ticket = line_with_resident(issue, ahead=0)
    today = retention.personal_data_erase()
    assert today["ticket_notice_addresses"] == 0  # still its day
    tomorrow = retention.personal_data_erase(now=timezone.now() + datetime.timedelta(days=1))
    assert tomorrow["ticket_notice_addresses"] == 1
    assert TicketNotice.objects.get(ticket=ticket).email == ""
