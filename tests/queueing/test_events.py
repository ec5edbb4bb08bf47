"""The event vocabulary (queueing/events.py): every action's event, applied to a snapshot,
gives what a fresh snapshot reads, as Zulip's test_events does for its clients' state.

Each test starts from a demo morning with tickets in every state an action needs, takes
the office snapshot, performs one action through the services, applies the events the
action published (captured after commit) with ``selectors.office_snapshot_apply``, and
compares with a fresh ``office_snapshot``. Estimates move with the clock and are read
again by the boards, so they are left out of the comparison.
"""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from queueing import events, selectors, services
from queueing.events import Action
from queueing.models import Counter, CounterEvent, Service, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """The messages the services publish after commit, in order."""
    sent = []
    monkeypatch.setattr(events, "_send", lambda group, message: sent.append(message))
    return sent


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def counter(number):
    return Counter.objects.get(office__code="demo", number=number)


def without_estimates(snapshot: dict) -> dict:
    services_ = [{k: v for k, v in row.items() if k != "estimated_wait_minutes"}
                 for row in snapshot["services"]]
    return {**snapshot, "services": services_}


def tennyu_at_counter(municipal):
    """A 転入届 (two steps) ticket called at outsourced counter 3."""
    t = services.ticket_issue(service=svc("tennyu"))
    services.ticket_call_number(counter=counter(3), by=municipal, number=t.display_number)
    return Ticket.objects.get(pk=t.pk)


# Each action, done to a morning prepared for it: (action, how to do it).
ACTIONS = {
    Action.ISSUED: lambda m: services.ticket_issue(service=svc("juminhyo")),
    Action.CALLED: lambda m: called(m),
    Action.RECALLED: lambda m: services.ticket_recall(
        ticket=called(m), counter=counter(1), by=m),
    Action.RESUMED: lambda m: services.ticket_resume(ticket=held(m), counter=counter(1), by=m),
    Action.STARTED: lambda m: services.ticket_start(ticket=called(m), counter=counter(1), by=m),
    Action.HELD: lambda m: services.ticket_hold(ticket=called(m), counter=counter(1), by=m,
                                                reason="書類を取りに"),
    Action.NO_SHOW_REQUEUED: lambda m: services.ticket_no_show(
        ticket=called(m), counter=counter(1), by=m),
    Action.NO_SHOW: lambda m: services.ticket_no_show(ticket=absent_twice(m),
                                                      counter=counter(1), by=m),
    Action.STEP_COMPLETED: lambda m: services.ticket_complete(
        ticket=tennyu_at_counter(m), counter=counter(3), by=m),
    Action.COMPLETED: lambda m: services.ticket_complete(ticket=called(m), counter=counter(1),
                                                         by=m),
    Action.TRANSFERRED: lambda m: services.ticket_transfer(
        ticket=called(m), counter=counter(1), by=m, reason="別の手続きが必要",
        to_service=svc("koseki")),
    Action.CANCELLED: lambda m: services.ticket_cancel(
        ticket=services.ticket_issue(service=svc("juminhyo"))),
    Action.COUNTER_OPENED: lambda m: services.counter_set_status(
        counter=counter(4), by=m, status="open"),
    Action.COUNTER_PAUSED: lambda m: services.counter_set_status(
        counter=counter(4), by=m, status="break"),
    Action.COUNTER_CLOSED: lambda m: services.counter_set_status(
        counter=counter(2), by=m, status="closed"),
    Action.RETURNED: lambda m: returned(m),
    Action.COUNTER_STAFFED: lambda m: services.counter_presence_start(
        counter=counter(5), by=m, session_key="s"),
    Action.COUNTER_UNSTAFFED: lambda m: signed_out(m),
    Action.ON_MY_WAY: lambda m: services.ticket_on_my_way(
        ticket=services.ticket_issue(service=svc("juminhyo"))),
    Action.NOTICE_OPTED_IN: lambda m: services.ticket_notice_opt_in(
        ticket=services.ticket_issue(service=svc("juminhyo")), email="resident@example.jp"),
}


def signed_out(municipal):
    """Municipal staff sign out of a console at counter 5 (and of their API presences)."""
    services.counter_presence_start(counter=counter(5), by=municipal, session_key="s")
    return services.counter_presence_sign_out(user=municipal, session_key="s")


def returned(municipal):
    """Counter 1's called ticket goes back in line: nobody is at the counter any more."""
    called(municipal)
    return services.counter_presence_expire(
        now=timezone.now() + datetime.timedelta(hours=1))


def called(municipal):
    """Counter 1's called ticket (a 住民票 ticket it calls now)."""
    services.ticket_issue(service=svc("juminhyo"))
    return services.ticket_call_next(counter=counter(1), by=municipal)


def held(municipal):
    t = called(municipal)
    return services.ticket_hold(ticket=t, counter=counter(1), by=municipal, reason="書類を取りに")


def absent_twice(municipal):
    t = called(municipal)
    services.ticket_no_show(ticket=t, counter=counter(1), by=municipal)  # back in line once
    return services.ticket_call_number(counter=counter(1), by=municipal,
                                       number=t.display_number)


def test_every_action_has_a_case_here_and_a_payload_shape():
    assert set(ACTIONS) == set(Action) == set(events.PAYLOAD_SHAPES)
    assert events.TICKET_ACTIONS | events.COUNTER_ACTIONS == set(Action)
    assert not events.TICKET_ACTIONS & events.COUNTER_ACTIONS


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_each_event_applied_to_a_snapshot_equals_a_fresh_snapshot(
        action, office, municipal, published, django_capture_on_commit_callbacks):
    # Given a morning with a ticket waiting and counter 2 open and serving another
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(service=svc("inkan"))
        services.ticket_issue(service=svc("juminhyo"))
        services.ticket_call_next(counter=counter(2), by=municipal)
        services.counter_set_status(counter=counter(4), by=municipal, status="open")
        if action == Action.COUNTER_CLOSED:
            t = Ticket.objects.get(counter=counter(2))
            services.ticket_hold(ticket=t, counter=counter(2), by=municipal, reason="確認")
    published.clear()
    before = selectors.office_snapshot(office_id=office.id)

    # When the action happens (with whatever it takes to get there)
    with django_capture_on_commit_callbacks(execute=True):
        ACTIONS[action](municipal)
    assert published, "the action published nothing"
    # (a counter left unstaffed also pauses and sends its ticket back: several events)
    assert action.value in [m["event"]["action"] for m in published]

    # Then its events, applied one by one, give the fresh snapshot
    state = before
    for message in published:
        assert message["version"] == state["version"] + 1  # one version per change
        state = selectors.office_snapshot_apply(state, message)
    assert without_estimates(state) == without_estimates(
        selectors.office_snapshot(office_id=office.id))


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_each_payload_has_exactly_its_declared_fields(action, office, municipal, published,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        if action == Action.COUNTER_CLOSED:
            services.counter_set_status(counter=counter(2), by=municipal, status="open")
        ACTIONS[action](municipal)
    event = next(m["event"] for m in reversed(published) if m["event"]["action"] == action)
    shape = events.PAYLOAD_SHAPES[action]
    assert set(event) == set(shape.__annotations__)


def test_the_database_refuses_an_action_outside_the_vocabulary(office, municipal):
    t = services.ticket_issue(service=svc("juminhyo"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.create(ticket=t, at=timezone.now(), action="teleported",
                                   to_status="waiting", to_step=t.step)
    with pytest.raises(IntegrityError), transaction.atomic():
        CounterEvent.objects.create(counter=counter(1), at=timezone.now(), action="issued",
                                    from_status="closed", to_status="open")


def test_counter_status_changes_are_audited(office, municipal):
    services.counter_set_status(counter=counter(4), by=municipal, status="open", reason="朝")
    services.counter_set_status(counter=counter(4), by=municipal, status="break")
    rows = list(CounterEvent.objects.filter(counter=counter(4)).values_list(
        "action", "from_status", "to_status", "actor__username", "reason"))
    assert rows == [("counter_staffed", "closed", "closed", "municipal",
                     "着席: 職員 Municipal staff (someone signed in here)"),
                    ("counter_opened", "closed", "open", "municipal", "朝"),
                    ("counter_paused", "open", "break", "municipal", "")]


def test_a_waiting_line_changes_only_when_a_ticket_joins_or_leaves_it():
    step = 7
    joins = {"action": "issued", "status": "waiting", "step_id": 7, "from_status": "",
             "from_step_id": None}
    leaves = {"action": "called", "status": "called", "step_id": 7, "from_status": "waiting",
              "from_step_id": 7}
    done_at_counter = {"action": "completed", "status": "completed", "step_id": 7,
                       "from_status": "serving", "from_step_id": 7}
    elsewhere = {**joins, "step_id": 8}
    moved_on = {"action": "step_completed", "status": "waiting", "step_id": 8,
                "from_status": "called", "from_step_id": 7}
    counter_opened = {"action": "counter_opened", "counter": 4, "status": "open"}
    assert events.changes_waiting_line(joins, step_id=step)
    assert events.changes_waiting_line(leaves, step_id=step)
    assert not events.changes_waiting_line(done_at_counter, step_id=step)
    assert not events.changes_waiting_line(elsewhere, step_id=step)
    assert not events.changes_waiting_line(moved_on, step_id=step)
    assert events.changes_waiting_line(counter_opened, step_id=step)
    on_my_way = {"action": "on_my_way", "status": "waiting", "step_id": 7,
                 "from_status": "waiting", "from_step_id": 7}
    assert not events.changes_waiting_line(on_my_way, step_id=step)  # nobody moves


def test_calls_whose_versions_came_in_the_other_order_list_as_a_read_lists_them(
        office, municipal, published, django_capture_on_commit_callbacks):
    """A call's time is taken before its office's version: two counters calling at once
    can get their versions in the other order, and the display lists them as a read does."""
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_issue(service=svc("juminhyo"))
        services.ticket_issue(service=svc("juminhyo"))
    before = selectors.office_snapshot(office_id=office.id)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_call_next(counter=counter(1), by=municipal)
        services.ticket_call_next(counter=counter(2), by=municipal)
    earlier, later = [m for m in published if events.is_call(m["event"])]
    others = [m for m in published if not events.is_call(m["event"])]
    state = before
    for message in (*others, later, earlier):
        state = selectors.office_snapshot_apply(state, {**message, "version": state["version"] + 1})
    fresh = selectors.office_snapshot(office_id=office.id)
    assert [r["ticket"] for r in fresh["recent_calls"]] == ["A002", "A001"]
    assert without_estimates(state) == without_estimates(fresh)
