"""Reads: a ticket's place in line, and the one-pass statuses the status pages share."""

from queueing import selectors, services
from queueing.models import Counter, Service, Ticket


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def test_people_ahead_counts_priority_then_issue_time_at_the_same_step(office):
    a = services.ticket_issue(service=svc("juminhyo"))
    b = services.ticket_issue(service=svc("inkan"))  # another service: another step
    c = services.ticket_issue(service=svc("juminhyo"))
    helped = services.ticket_issue(service=svc("juminhyo"), priority=Ticket.Priority.ASSISTANCE)
    assert [selectors.people_ahead(ticket=t) for t in (helped, a, c, b)] == [0, 1, 2, 0]


def test_office_statuses_match_each_tickets_own_status(office, contractor):
    tickets = [services.ticket_issue(service=svc(code), language=lang)
               for code, lang in [("juminhyo", "en"), ("juminhyo", "ja"), ("tennyu", "vi"),
                                  ("juminhyo", "ko"), ("fukushi", "ja")]]
    tickets.append(services.ticket_issue(service=svc("juminhyo"),
                                         priority=Ticket.Priority.ASSISTANCE))
    services.ticket_call_next(counter=Counter.objects.get(number=1), by=contractor)
    board = selectors.office_ticket_statuses(office_id=office.id)
    assert len(board["by_token"]) == len(tickets)
    for t in Ticket.objects.all():
        assert board["by_token"][t.token] == selectors.ticket_status(ticket=t), t.display_number


def test_closed_tickets_are_not_on_the_board(office):
    t = services.ticket_issue(service=svc("juminhyo"))
    services.ticket_cancel(ticket=t)
    assert t.token not in selectors.office_ticket_statuses(office_id=office.id)["by_token"]
