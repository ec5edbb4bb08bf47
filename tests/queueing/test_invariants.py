"""Property-based: random counter actions by random staff never break the invariants."""

import datetime
from collections import Counter as Tally

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queueing import routing, services
from queueing.errors import Forbidden, QueueError
from queueing.models import (
    Counter,
    CounterEvent,
    CounterPresence,
    NumberSequence,
    Service,
    Ticket,
    TicketEvent,
)

ACTIONS = ["issue", "call_next", "call_number", "recall", "start", "hold", "resume", "no_show",
           "complete", "transfer_next", "transfer_service", "cancel_staff", "cancel_resident",
           "sign_out", "presence_expires"]

step = st.tuples(
    st.sampled_from(ACTIONS),
    st.integers(min_value=0, max_value=50),  # which service / ticket
    st.integers(min_value=0, max_value=7),  # which counter
    st.sampled_from(["contractor", "municipal"]),
)


def _start_afresh(counters) -> None:
    """Each example starts from the demo morning: no tickets, every counter closed.

    (Services run in durable transactions, so an example cannot be rolled back
    by wrapping it in one; the test's own transaction still undoes all of it.)
    """
    Ticket.objects.all().delete()
    CounterEvent.objects.all().delete()
    NumberSequence.objects.all().delete()
    CounterPresence.objects.all().delete()
    Counter.objects.update(status=Counter.Status.CLOSED, staffed=False)
    for c in counters:
        c.status, c.staffed = Counter.Status.CLOSED, False


def check_invariants():
    tickets = list(Ticket.objects.select_related("step", "counter"))
    # Numbers unique per office, prefix and day.
    keys = Tally((t.office_id, t.prefix, t.business_day, t.number) for t in tickets)
    assert max(keys.values(), default=1) == 1
    active_counters = []
    for t in tickets:
        # One state each; at a counter exactly when called or serving.
        assert (t.counter_id is not None) == (t.status in Ticket.AT_COUNTER)
        if t.counter_id:
            active_counters.append(t.counter_id)
            # Hybrid rule: the step's kind matches the counter's.
            assert t.step.kind == t.counter.kind
            # Nobody is stranded: a ticket is at a counter only while it is open and staffed.
            assert (t.counter.status, t.counter.staffed) == ("open", True)
    assert len(active_counters) == len(set(active_counters))  # one ticket per counter
    for e in TicketEvent.objects.filter(action__in=["called", "resumed"]).select_related(
            "to_step", "counter"):
        assert e.to_step.kind == e.counter.kind
        if e.actor and e.actor.username == "contractor":
            assert e.counter.kind == "outsourced"


@pytest.mark.django_db
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40))
def test_random_action_sequences_keep_the_invariants(office, contractor, municipal, steps):
    users = {"contractor": contractor, "municipal": municipal}
    all_services = list(Service.objects.filter(office=office))
    for s in all_services:
        s.available_until = None  # hours are not under test here
    counters = list(Counter.objects.filter(office=office).order_by("number"))
    _start_afresh(counters)
    for action, i, c, who in steps:
        by, counter = users[who], counters[c]
        tickets = list(Ticket.objects.order_by("id"))
        ticket = tickets[i % len(tickets)] if tickets else None
        before = {t.pk: (t.status, t.step_id, t.counter_id) for t in tickets}
        try:
            if action == "issue":
                services.ticket_issue(service=all_services[i % len(all_services)])
            elif action == "call_next":
                services.ticket_call_next(counter=counter, by=by)
            elif action == "call_number" and ticket is not None:
                services.ticket_call_number(counter=counter, by=by,
                                            number=ticket.display_number)
            elif action == "sign_out":
                services.counter_presence_sign_out(user=by, session_key="")
            elif action == "presence_expires":
                services.counter_presence_expire(
                    now=timezone.now() + datetime.timedelta(minutes=10))
            elif ticket is None:
                continue
            elif action == "hold":
                services.ticket_hold(ticket=ticket, counter=counter, by=by, reason="書類")
            elif action in ("recall", "start", "resume", "no_show", "complete"):
                getattr(services, f"ticket_{action}")(ticket=ticket, counter=counter,
                                                      by=by)
            elif action == "transfer_next":
                services.ticket_transfer(ticket=ticket, counter=counter, by=by,
                                         reason="次の手順へ")
            elif action == "transfer_service":
                services.ticket_transfer(ticket=ticket, counter=counter, by=by,
                                         reason="判断が必要",
                                         to_service=all_services[c % len(all_services)])
            elif action == "cancel_staff":
                services.ticket_cancel(ticket=ticket, by=by)
            elif action == "cancel_resident":
                services.ticket_cancel(ticket=ticket)
        except Forbidden:
            # A refused action changes nothing.
            after = {t.pk: (t.status, t.step_id, t.counter_id)
                     for t in Ticket.objects.all()}
            assert after == before
            if action in ("call_next", "call_number") and who == "contractor":
                assert (counter.kind == "staff_only"
                        or ticket.step.kind == "staff_only"
                        or not routing.may_handle(step=ticket.step, counter=counter))
        except QueueError:
            pass
        check_invariants()
