"""The resident's e-mails of a ticket: "your turn is near (N ahead)" and "you are being
called to counter X", in the ticket's language, from the scheduled job only.

A call never waits for a mail server: the call's request only changes the ticket, and
the ``ticket_notices_send`` job (jobs/schedule.py) sends what is due, each notice on its
own (``queueing.isolation``): a send that fails is recorded and tried again later, and
each message goes once (``queueing.services.ticket_notice_send``).
"""

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from queueing import isolation, selectors, services
from queueing.languages import language_or
from queueing.models import TicketNotice

from .links import status_link


def ticket_notices_send() -> dict[str, int]:
    """Send every near-turn and call message that is due; counts ``near`` and ``called``."""
    return isolation.each_on_its_own(
        "ticket_notices_send", selectors.ticket_notices_due(),
        lambda due: services.ticket_notice_send(notice_id=due[0], kind=due[1], send=_mail),
        # The address is never logged or recorded: it is personal data (and may be what broke).
        key=lambda due: f"ticket notice {due[0]} {due[1]}", counts={"near": 0, "called": 0})


def _mail(notice: TicketNotice, kind: str) -> None:
    """Render one message in the ticket's language and send it to the notice's address."""
    ticket = notice.ticket
    with translation.override(language_or(ticket.language)):
        context = {"ticket": ticket, "kind": kind, "counter": notice.called_counter,
                   "ahead": selectors.people_ahead(ticket=ticket), "office": ticket.office,
                   "status_link": status_link(ticket.token)}
        subject = render_to_string("kiosk/notice_subject.txt", context).strip()
        body = render_to_string("kiosk/notice_body.txt", context)
    send_mail(subject, body, None, [notice.email])
