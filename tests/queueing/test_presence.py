"""Counter presence (queueing/presence.py and its services): a counter is open only while
someone is signed in at it with a live console; when the last one goes it pauses, says
why, and the resident at it goes back to their place in line."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from queueing import estimates, presence, selectors, services
from queueing.models import Counter, CounterEvent, CounterPresence, Service, Ticket, TicketEvent

Left = CounterPresence.Left


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def counter(number):
    return Counter.objects.get(office__code="demo", number=number)


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def minutes(n):
    return timezone.now() + datetime.timedelta(minutes=n)


def pauses(c):
    return list(CounterEvent.objects.filter(counter=c, action="counter_paused")
                .values_list("reason", flat=True))


def test_the_database_refuses_an_open_counter_nobody_is_at(office):
    with pytest.raises(IntegrityError), transaction.atomic():
        Counter.objects.filter(pk=counter(1).pk).update(status="open", staffed=False)


def test_a_console_signing_in_staffs_the_counter_without_opening_it(office, contractor):
    found = services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    c = counter(1)
    assert (c.status, c.staffed, found.role) == ("closed", True, "contractor")
    staffed = CounterEvent.objects.get(counter=c, action="counter_staffed")
    assert staffed.actor == contractor and "委託" in staffed.reason


def test_a_silent_console_is_gone_after_the_timeout_and_its_counter_pauses(
        office, contractor, settings):
    settings.COUNTER_PRESENCE_TIMEOUT_SECONDS = 300
    services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    services.counter_set_status(counter=counter(1), by=contractor, status="open")
    assert services.counter_presence_expire(now=minutes(4)) == []  # still within 5 minutes
    assert [c.number for c in services.counter_presence_expire(now=minutes(6))] == [1]
    c = counter(1)
    assert (c.status, c.staffed) == ("break", False)
    assert pauses(c) == ["コンソールの応答がありません (no heartbeat)"]
    assert CounterPresence.objects.get().left_reason == Left.SILENT


def test_a_heartbeat_keeps_the_counter_staffed(office, contractor):
    p = services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    CounterPresence.objects.update(seen_at=minutes(-4))
    assert services.counter_presence_beat(socket=p.socket)
    assert services.counter_presence_expire(now=minutes(3)) == []
    assert counter(1).staffed


def test_a_closed_console_counts_for_the_grace_time_only(office, contractor, settings):
    settings.COUNTER_PRESENCE_CLOSE_GRACE_SECONDS = 30
    p = services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    services.counter_presence_leave(socket=p.socket, reason=Left.CLOSED)
    now = timezone.now()
    assert services.counter_presence_expire(now=now + datetime.timedelta(seconds=20)) == []
    assert services.counter_presence_expire(now=now + datetime.timedelta(seconds=31))
    assert not services.counter_presence_beat(socket=p.socket)  # it has ended


def test_a_reloaded_console_keeps_the_resident_at_the_counter(office, contractor):
    old = services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    services.ticket_issue(service=svc("juminhyo"))
    t = services.ticket_call_next(counter=counter(1), by=contractor)
    services.counter_presence_leave(socket=old.socket, reason=Left.CLOSED)
    services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    assert services.counter_presence_expire(now=minutes(1)) == []
    assert Ticket.objects.get(pk=t.pk).status == "called"


def test_an_expired_session_pauses_at_once_and_the_resident_goes_back_in_place(
        office, contractor):
    # Given A001 and A002 waiting, and A001 called at counter 1 by a console
    p = services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    first = services.ticket_issue(service=svc("juminhyo"))
    second = services.ticket_issue(service=svc("juminhyo"))
    services.ticket_call_next(counter=counter(1), by=contractor)
    # When the console's session expires
    services.counter_presence_leave(socket=p.socket, reason=Left.SESSION_EXPIRED)
    # Then the counter pauses with the reason, and A001 is waiting again, first in line
    assert pauses(counter(1)) == ["セッションが切れました (session expired)"]
    back = Ticket.objects.get(pk=first.pk)
    assert (back.status, back.counter) == ("waiting", None)
    returned = TicketEvent.objects.get(ticket=back, action="returned")
    assert returned.counter == counter(1) and "session expired" in returned.reason
    got = services.ticket_call_next(counter=counter(2), by=contractor)
    assert got.pk == first.pk != second.pk


def test_another_console_at_the_counter_keeps_it_open(office, contractor, municipal):
    mine = services.counter_presence_start(counter=counter(1), by=contractor, session_key="a")
    services.counter_presence_start(counter=counter(1), by=municipal, session_key="b")
    services.counter_set_status(counter=counter(1), by=contractor, status="open")
    services.counter_presence_sign_out(user=contractor, session_key="a")
    assert not CounterPresence.objects.filter(socket=mine.socket, left_at__isnull=True).exists()
    c = counter(1)
    assert (c.status, c.staffed) == ("open", True)
    roles = selectors.office_live_figures(office_id=office.id)["counters"][0]["roles"]
    assert roles == ["職員 Municipal staff"]


def test_signing_out_pauses_every_counter_of_that_session(office, municipal):
    for n in (6, 7):
        services.counter_presence_start(counter=counter(n), by=municipal, session_key="s")
        services.counter_set_status(counter=counter(n), by=municipal, status="open")
    paused = services.counter_presence_sign_out(user=municipal, session_key="s")
    assert sorted(c.number for c in paused) == [6, 7]
    assert all(pauses(counter(n)) == ["サインアウトしました (signed out)"] for n in (6, 7))


def test_an_action_at_a_counter_is_a_sign_of_life(office, contractor):
    # An API client with no console: its call staffs and opens the counter...
    services.ticket_issue(service=svc("juminhyo"))
    t = services.ticket_call_next(counter=counter(1), by=contractor)
    assert (counter(1).status, counter(1).staffed) == ("open", True)
    # ...and it stays while it acts, and pauses once it falls silent.
    assert services.counter_presence_expire(now=minutes(4)) == []
    services.counter_presence_expire(now=minutes(6))
    assert Ticket.objects.get(pk=t.pk).status == "waiting"


def test_with_nobody_at_any_counter_for_a_step_its_wait_is_not_known(office, contractor):
    # Counters 3 and 4 serve 転入届's first step; only counter 3 is staffed and open.
    waiting = services.ticket_issue(service=svc("tennyu"))
    services.counter_set_status(counter=counter(3), by=contractor, status="open")
    assert estimates.new_ticket_wait_minutes(office_id=office.id)[svc("tennyu").id] is not None
    assert estimates.ticket_wait_minutes(ticket=waiting) is not None
    services.counter_presence_expire(now=minutes(6))  # the console went silent
    from django.core.cache import cache

    cache.clear()
    estimates._latest.clear()
    assert estimates.new_ticket_wait_minutes(office_id=office.id)[svc("tennyu").id] is None
    assert selectors.ticket_status(ticket=waiting)["estimated_wait_minutes"] is None
    row = next(r for r in selectors.service_queues(office_id=office.id)
               if r["code"] == "tennyu")
    assert row["estimated_wait_minutes"] is None


def test_the_rule_is_one_filter(office, contractor, settings):
    settings.COUNTER_PRESENCE_TIMEOUT_SECONDS = 60
    p = services.counter_presence_start(counter=counter(1), by=contractor, session_key="k")
    live = CounterPresence.objects.filter(presence.live_q(timezone.now()))
    assert list(live) == [p]
    assert not CounterPresence.objects.filter(presence.live_q(minutes(2))).exists()
