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
    mynumber = Service.objects.get(office=office, code="mynumber")
    mynumber.available_until = None  # the run may happen after 16:30 Tokyo time
    mynumber.save()
    for k in range(240):
        services.ticket_issue(service=Service.objects.get(office=office,
                                                          code=outsourced[k % len(outsourced)]))
    for k in range(120):
        services.ticket_issue(service=Service.objects.get(office=office, code=staff[k % 3]))
    counters = list(Counter.objects.filter(office=office).order_by("number"))
    served: dict[int, list[int]] = {c.number: [] for c in counters}

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


# --- counter presence: the sweep against calls in flight ---------------------------------


def test_presence_expiring_while_calls_are_in_flight_never_strands_a_ticket(
        postgres, office, contractor):
    """Two counters call and complete while a sweep that sees their consoles silent keeps
    pausing them: a ticket is never at a paused or unstaffed counter, even for a moment,
    and every ticket is either served or back in its place."""
    import datetime

    from django.utils import timezone

    for _ in range(40):
        services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    c1, c2 = (Counter.objects.get(office=office, number=n) for n in (1, 2))
    done = threading.Event()
    stranded, sweeps = [], []

    def call_and_complete(counter):
        for _ in range(60):
            try:
                ticket = services.ticket_call_next(counter=counter, by=contractor)
                if ticket is None:
                    return
                services.ticket_complete(ticket=ticket, counter=counter, by=contractor)
            except Conflict:
                pass  # the sweep sent it back first: "not at this counter"

    def sweep():
        while not done.is_set():
            later = timezone.now() + datetime.timedelta(minutes=6)  # every console is silent
            sweeps.append(len(services.counter_presence_expire(now=later)))

    def watch():
        while not done.is_set():
            if Ticket.objects.filter(status__in=Ticket.AT_COUNTER).exclude(
                    counter__status="open", counter__staffed=True).exists():
                stranded.append(True)

    def body(i):
        if i < 2:
            call_and_complete((c1, c2)[i])
            return
        (sweep if i == 2 else watch)()

    def run(i):
        try:
            body(i)
        finally:
            if i < 2:
                finished.append(i)
                if len(finished) == 2:
                    done.set()

    finished: list[int] = []
    assert run_threads(4, run) == []
    assert stranded == []
    assert sum(sweeps) > 0, "the sweep never paused a counter: the race was not run"
    # Nobody is lost: every ticket was served, or waits in its place for the next call.
    statuses = Tally(Ticket.objects.values_list("status", flat=True))
    assert statuses["completed"] + statuses["waiting"] + statuses["called"] == 40
    for t in Ticket.objects.filter(status__in=Ticket.AT_COUNTER).select_related("counter"):
        assert (t.counter.status, t.counter.staffed) == ("open", True)


def test_two_sweeps_and_a_sign_out_at_once_pause_a_counter_once(postgres, office, contractor):
    import datetime

    from django.utils import timezone

    from queueing.models import CounterEvent

    c1 = Counter.objects.get(office=office, number=1)
    def act(i):
        if i < 2:
            services.counter_presence_expire(now=timezone.now() + datetime.timedelta(minutes=6))
        else:
            services.counter_presence_sign_out(user=contractor, session_key="")

    for _ in range(5):
        services.counter_set_status(counter=c1, by=contractor, status="open")
        assert run_threads(3, act) == []
        c1.refresh_from_db()
        assert (c1.status, c1.staffed) == ("break", False)
    events = Tally(CounterEvent.objects.filter(counter=c1).values_list("action", flat=True))
    assert events["counter_unstaffed"] == 5 and events["counter_paused"] == 5


def test_kiosks_pressing_together_at_the_daily_cap_never_issue_past_it(postgres, office):
    # Given a service that gives out 5 tickets a day and 3 already issued
    koseki = Service.objects.get(office=office, code="koseki")
    koseki.daily_ticket_cap = 5
    koseki.save()
    for _ in range(3):
        services.ticket_issue(service=koseki)
    refused = []

    def press(i):
        try:
            services.ticket_issue(service=koseki)
        except Conflict as exc:
            refused.append(exc.code)

    # When 8 kiosks press at the same moment
    assert run_threads(8, press) == []
    # Then exactly 2 more are issued, gap-free, and 6 are told the day's tickets are given out
    assert sorted(Ticket.objects.filter(service=koseki).values_list("number", flat=True)) == [
        1, 2, 3, 4, 5]
    assert refused == ["service_sold_out"] * 6
