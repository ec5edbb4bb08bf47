"""Reads: a ticket's place in line, the one-pass statuses the status pages share, the live
figures of the supervisor's dashboard."""

import pytest

from queueing import selectors, services
from queueing.models import Counter, Service, Ticket


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forecasts are cached per office state; test databases roll back and repeat ids."""
    from django.core.cache import cache

    cache.clear()


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


def test_live_figures_alert_when_a_wait_passes_the_target(office, contractor, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    c2 = Counter.objects.get(office=office, number=2)
    clock.at("09:00")
    services.ticket_issue(service=a)
    clock.at("09:05")
    services.counter_set_status(counter=c2, by=contractor, status="open")
    services.ticket_call_next(counter=c2, by=contractor)
    clock.at("09:10")
    services.ticket_issue(service=a)
    clock.at("09:30")
    live = selectors.office_live_figures(office_id=office.id)
    row = next(s for s in live["services"] if s["name"] == "住民票の写し")
    # A002 waits from 09:10: 20 minutes at 09:30, over the 15 minute target.
    assert (row["waiting"], row["longest_wait_minutes"], row["alert"]) == (1, 20, True)
    assert [r["name"] for r in live["alerts"]] == ["住民票の写し"]
    # The estimate is for a ticket issued now. Counter 2 took A001 at 09:05 with a default
    # service time of 4 minutes; at least a quarter of it (1 minute) is assumed left, so it
    # calls A002 at 09:31, serves it 4 minutes and calls the new ticket at 09:35: 5 minutes.
    assert row["estimated_wait_minutes"] == 5
    out = next(k for k in live["kinds"] if k["kind"] == "outsourced")
    # Counters 1-5 outsourced: 2 open and serving A001, the others closed.
    assert (out["open"], out["serving"], out["idle"], out["closed"]) == (1, 1, 0, 4)
    staff = next(k for k in live["kinds"] if k["kind"] == "staff_only")
    assert (staff["open"], staff["serving"], staff["closed"]) == (0, 0, 3)
    assert Ticket.objects.filter(status="called").count() == 1


def test_live_estimate_is_empty_when_no_counter_serves_the_service(office, clock):
    clock.at("09:00")
    live = selectors.office_live_figures(office_id=office.id)
    row = next(s for s in live["services"] if s["name"] == "住民票の写し")
    assert row["estimated_wait_minutes"] is None  # every counter is closed
