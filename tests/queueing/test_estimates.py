"""The one estimator: replaying the open counters, from recent service times, in few queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from queueing import estimates, selectors, services
from queueing.models import Counter, Service

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = datetime.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forecasts are cached per office state; test databases roll back and repeat ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    # Counters opened before the first at() are opened (and audited) at 08:00.
    state = {"now": datetime.datetime.combine(DAY, datetime.time(8, 0), TOKYO)}

    def at(hhmm: str) -> None:
        state["now"] = datetime.datetime.combine(DAY, datetime.time.fromisoformat(hhmm), TOKYO)

    monkeypatch.setattr(timezone, "now", lambda: state["now"].astimezone(datetime.UTC))
    return at


def _open(counter, user):
    services.counter_set_status(counter=counter, by=user, status="open")


def test_a_lower_ranked_service_waits_behind_a_counters_first_service(office, contractor, clock):
    # Counter 1 serves 住民票 (rank 0) before 税証明 (rank 3); only counter 1 is open.
    # 08:40 Z001 (税証明), 08:41 A001, 08:42 A002 (住民票). Default times: 住民票 4, 税証明 5.
    # Counter 1 calls A001 at 09:00, A002 at 09:04, Z001 at 09:08: Z001 waits 8 minutes
    # although nobody is ahead of it in its own line.
    z = Service.objects.get(office=office, code="zeisho")
    a = Service.objects.get(office=office, code="juminhyo")
    clock("08:40")
    z001 = services.ticket_issue(service=z)
    clock("08:41")
    a001 = services.ticket_issue(service=a)
    clock("08:42")
    a002 = services.ticket_issue(service=a)
    _open(Counter.objects.get(office=office, number=1), contractor)
    clock("09:00")
    assert selectors.people_ahead(ticket=z001) == 0
    assert estimates.ticket_wait_minutes(ticket=a001) == 0
    assert estimates.ticket_wait_minutes(ticket=a002) == 4
    assert estimates.ticket_wait_minutes(ticket=z001) == 8
    # The status page shows the same figure.
    assert selectors.ticket_status(ticket=z001)["estimated_wait_minutes"] == 8


def test_measured_service_times_replace_the_default(office, contractor, clock):
    # Three 住民票 served in 2 minutes each (call to complete) at counter 1, then two wait:
    # the second waiting ticket is estimated at 2 minutes, not the default 4.
    a = Service.objects.get(office=office, code="juminhyo")
    c1 = Counter.objects.get(office=office, number=1)
    _open(c1, contractor)
    clock("09:00")
    for i in range(3):
        t = services.ticket_issue(service=a)
        clock(f"09:{i * 2:02d}")
        services.ticket_call_next(counter=c1, by=contractor)
        clock(f"09:{i * 2 + 2:02d}")
        services.ticket_complete(ticket=t, counter=c1, by=contractor)
    clock("09:10")
    first = services.ticket_issue(service=a)
    second = services.ticket_issue(service=a)
    minutes = estimates.service_minutes_recent(office_id=office.id)
    assert minutes[(a.id, "outsourced")] == (2.0, 3)
    assert estimates.ticket_wait_minutes(ticket=first) == 0
    assert estimates.ticket_wait_minutes(ticket=second) == 2


def test_more_open_counters_shorten_the_estimate(office, contractor, clock):
    # Four 住民票 waiting, 4 minutes each. One counter: the 4th is called after 12 minutes;
    # with counters 1 and 2 open after 4 (two at a time).
    a = Service.objects.get(office=office, code="juminhyo")
    clock("09:00")
    tickets = [services.ticket_issue(service=a) for _ in range(4)]
    _open(Counter.objects.get(office=office, number=1), contractor)
    assert estimates.ticket_wait_minutes(ticket=tickets[3]) == 12
    _open(Counter.objects.get(office=office, number=2), contractor)
    assert estimates.ticket_wait_minutes(ticket=tickets[3]) == 4


def test_a_new_ticket_estimate_per_service(office, contractor, clock):
    # Two 転入届 waiting at counter 3 (default 12 minutes): a new one waits 24 minutes.
    d = Service.objects.get(office=office, code="tennyu")
    clock("09:00")
    services.ticket_issue(service=d)
    services.ticket_issue(service=d)
    _open(Counter.objects.get(office=office, number=3), contractor)
    waits = estimates.new_ticket_wait_minutes(office_id=office.id)
    assert waits[d.id] == 24
    row = next(r for r in selectors.service_queues(office_id=office.id) if r["code"] == "tennyu")
    assert row["estimated_wait_minutes"] == 24


def test_not_waiting_means_no_wait(office, contractor, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    c1 = Counter.objects.get(office=office, number=1)
    clock("09:00")
    t = services.ticket_issue(service=a)
    services.ticket_call_next(counter=c1, by=contractor)
    t.refresh_from_db()
    assert estimates.ticket_wait_minutes(ticket=t) == 0


def test_no_open_counter_gives_no_estimate(office, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    clock("09:00")
    t = services.ticket_issue(service=a)
    assert estimates.ticket_wait_minutes(ticket=t) is None
    assert selectors.ticket_status(ticket=t)["estimated_wait_minutes"] is None


def test_query_count_does_not_grow_with_the_line(office, contractor, clock):
    # The old estimator ran one query per timed ticket; the forecast reads a fixed handful.
    a = Service.objects.get(office=office, code="juminhyo")
    d = Service.objects.get(office=office, code="tennyu")
    _open(Counter.objects.get(office=office, number=1), contractor)
    clock("09:00")

    def queries() -> int:
        now = timezone.now()
        with CaptureQueriesContext(connection) as ctx:
            estimates.forecast_compute(office_id=office.id, now=now)
        return len(ctx.captured_queries)

    services.ticket_issue(service=a)
    few = queries()
    for _ in range(30):
        services.ticket_issue(service=a)
        services.ticket_issue(service=d)
    assert queries() == few <= 8


def test_the_forecast_is_reused_until_a_change_or_a_minute_passes(office, contractor, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    _open(Counter.objects.get(office=office, number=1), contractor)
    clock("09:00:00")
    services.ticket_issue(service=a)
    first = estimates.office_forecast(office_id=office.id)
    clock("09:00:10")
    assert estimates.office_forecast(office_id=office.id).at == first.at  # reused
    services.ticket_issue(service=a)
    changed = estimates.office_forecast(office_id=office.id)
    assert changed.at == timezone.now() and changed.version == first.version + 1
    clock("09:01:20")
    assert estimates.office_forecast(office_id=office.id).at == timezone.now()  # too old
