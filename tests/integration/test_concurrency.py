"""Invariants under real concurrency: real threads, each with its own PostgreSQL connection.

A plain TestCase would run everything in one transaction and hide a missing
lock; these tests commit for real.
"""

import threading
from collections import Counter as Tally

import pytest
from django.db import connection, connections

from queueing import services
from queueing.errors import Conflict
from queueing.models import Counter, Service, Ticket, TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(n: int, target) -> list[BaseException]:
    """Start n threads on target(i) at the same moment; return what they raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_16_issuers_x_500_tickets_give_8000_unique_gap_free_numbers(postgres, office):
    a_services = list(Service.objects.filter(office=office, prefix="A"))  # 住民票 and 印鑑 share A

    def issue_500(i):
        for k in range(500):
            services.ticket_issue(service=a_services[(i + k) % len(a_services)])

    assert run_threads(16, issue_500) == []
    numbers = sorted(
        Ticket.objects.filter(office=office, prefix="A").values_list("number", flat=True))
    assert len(numbers) == 8000
    assert numbers == list(range(1, 8001))  # unique and no gaps
    assert TicketEvent.objects.filter(action="issued").count() == 8000


def test_8_counters_calling_at_once_never_share_a_ticket(postgres, office, contractor, municipal):
    # 240 outsourced-step tickets (counters 1-5) and 120 staff-only ones (counters 6-8).
    outsourced = ["juminhyo", "inkan", "koseki", "zeisho", "tennyu", "kokuho", "nenkin",
                  "mynumber"]
    staff = ["koseki-todoke", "fukushi", "genmen"]
    for k in range(240):
        services.ticket_issue(service=Service.objects.get(office=office,
                                                          code=outsourced[k % len(outsourced)]))
    for k in range(120):
        services.ticket_issue(service=Service.objects.get(office=office, code=staff[k % 3]))
    counters = list(Counter.objects.filter(office=office).order_by("number"))
    served: dict[int, list[int]] = {c.number: [] for c in counters}
    mynumber = Service.objects.get(office=office, code="mynumber")
    mynumber.available_until = None  # the run may happen after 16:30 Tokyo time
    mynumber.save()

    def work(i):
        c = counters[i]
        by = contractor if c.kind == "outsourced" else municipal
        while True:
            ticket = services.ticket_call_next(counter=c, by=by)
            if ticket is None:
                return
            served[c.number].append(ticket.pk)
            services.ticket_complete(ticket=ticket, counter=c, by=by)

    assert run_threads(8, work) == []
    all_served = [pk for pks in served.values() for pk in pks]
    # Every step of every ticket was called exactly once, by one counter.
    calls = Tally(TicketEvent.objects.filter(action="called").values_list("ticket_id", "to_step"))
    assert set(calls.values()) == {1}
    # Each served ticket went to exactly one counter, and staff-only steps only to staff counters.
    assert len(all_served) == len(set(all_served)) + Ticket.objects.filter(
        service__steps__order=2).distinct().count()
    for event in TicketEvent.objects.filter(action="called").select_related("to_step", "counter"):
        assert event.to_step.kind == event.counter.kind
    assert not Ticket.objects.exclude(status="completed").exists()


def test_two_consoles_of_one_counter_calling_together_get_one_ticket(postgres, office, contractor):
    for _ in range(4):
        services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    c1 = Counter.objects.get(office=office, number=1)
    got, refused = [], []

    def press(i):
        try:
            got.append(services.ticket_call_next(counter=c1, by=contractor).pk)
        except Conflict as exc:
            refused.append(exc.code)

    for _ in range(5):  # repeat: the race window is small
        got.clear(), refused.clear()
        assert run_threads(2, press) == []
        assert len(got) == 1 and refused == ["counter_busy"]
        assert Ticket.objects.filter(counter=c1, status="called").count() == 1
        t = Ticket.objects.get(counter=c1, status="called")
        services.ticket_complete(ticket=t, counter=c1, by=contractor)
        if not Ticket.objects.filter(status="waiting").exists():
            break
    assert connection.vendor == "postgresql"
