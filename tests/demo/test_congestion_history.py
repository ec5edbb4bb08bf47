"""The demo history's counters: opened and closed on each open day as the counter path
audits it, so the staffing plan of the demo has last week's open counters to compare."""

import datetime

import pytest

from demo.congestion_history import history_demo_load
from queueing.events import Action
from queueing.models import Counter, CounterEvent, Kind, Ticket
from staff import plan, reports

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 7, 13)  # a Monday; last week is 7/6 .. 7/10, no holiday


@pytest.fixture
def history(office, clock):
    clock.at("08:00", TODAY)
    return history_demo_load(office=office, weeks=2, per_day=60)


def test_last_week_the_demo_counters_were_open_all_day(office, history, clock):
    counters = Counter.objects.filter(office=office)
    last_week = [TODAY - datetime.timedelta(days=7 - i) for i in range(7)]
    per_day = reports.outsourced_counter_minutes(
        office_id=office.id, days=last_week, now=clock.now)
    outsourced = counters.filter(kind=Kind.OUTSOURCED).count()
    assert sorted(per_day) == last_week[:5]  # weekdays only
    for minutes in per_day.values():  # 08:30-17:15 each, longer when residents stayed late
        assert minutes >= outsourced * (8 * 60 + 45)
    hourly = reports.counter_open_seconds(office_id=office.id, days=last_week, now=clock.now)
    tz = datetime.timezone(datetime.timedelta(hours=9))
    ten = datetime.datetime(2026, 7, 6, 10, tzinfo=tz)
    assert hourly[(ten, Kind.OUTSOURCED)] == outsourced * 3600
    assert hourly[(ten, Kind.STAFF_ONLY)] == counters.filter(kind=Kind.STAFF_ONLY).count() * 3600
    # The plan page's "open last week" column is no longer 0.
    figures = plan.week_plan(office_id=office.id, week_start=TODAY, now=clock.now)
    row = next(r for r in figures["rows"] if r["start"] == ten + datetime.timedelta(days=7))
    assert row["kinds"]["outsourced"]["open"] == outsourced
    assert figures["hours_last"]["outsourced"] > 5 * outsourced * 8.5


def test_the_audit_rows_are_the_ones_the_counter_path_writes(office, history):
    events = CounterEvent.objects.filter(counter__office=office)
    assert events.count() == Counter.objects.filter(office=office).count() * 10 * 2
    assert set(events.values_list("action", "from_status", "to_status")) == {
        (Action.COUNTER_OPENED, "closed", "open"), (Action.COUNTER_CLOSED, "open", "closed")}
    assert set(events.filter(counter__kind=Kind.OUTSOURCED).values_list(
        "actor__username", flat=True)) == {"contractor"}
    assert set(events.filter(counter__kind=Kind.STAFF_ONLY).values_list(
        "actor__username", flat=True)) == {"municipal"}
    # Nobody is called at a closed counter: each call lies inside its counter's open day.
    tz = datetime.timezone(datetime.timedelta(hours=9))
    spans = {}
    for e in events.order_by("counter_id", "at"):
        spans.setdefault((e.counter_id, e.at.astimezone(tz).date()), []).append(e.at)
    calls = Ticket.objects.filter(office=office).values_list(
        "events__counter_id", "events__at").filter(events__action=Action.CALLED)
    for counter_id, at in calls:
        if counter_id is not None:
            opened, closed = spans[(counter_id, at.astimezone(tz).date())]
            assert opened <= at < closed


def test_replacing_the_history_replaces_the_counters_trail(office, history, clock):
    history_demo_load(office=office, weeks=1, per_day=20, replace=True)
    assert CounterEvent.objects.filter(counter__office=office).count() == (
        Counter.objects.filter(office=office).count() * 5 * 2)
