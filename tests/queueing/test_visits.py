"""Step visits from the audit trail: the same waits and handled steps as the supervisor's
history and contract reports, by hour in Tokyo."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from queueing import services, visits
from queueing.models import Counter, Service
from staff import reports

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = datetime.date(2026, 6, 9)


@pytest.fixture
def clock(monkeypatch):
    state = {}

    def at(hhmm: str) -> None:
        state["now"] = datetime.datetime.combine(DAY, datetime.time.fromisoformat(hhmm), TOKYO)

    monkeypatch.setattr(timezone, "now", lambda: state["now"].astimezone(datetime.UTC))
    return at


@pytest.fixture
def day_of_visits(office, contractor, municipal, clock):
    """Certificates, a move through both steps, a transfer to staff, a no-show put back in
    line, a hold and resume, and one resident who left."""
    def svc(code):
        return Service.objects.get(office=office, code=code)

    c1, c3, c6 = (Counter.objects.get(office=office, number=n) for n in (1, 3, 6))
    clock("08:55")
    for counter, user in ((c1, contractor), (c3, contractor), (c6, municipal)):
        services.counter_set_status(counter=counter, by=user, status="open")
    clock("09:00")
    a = [services.ticket_issue(service=svc("juminhyo")) for _ in range(4)]
    move = services.ticket_issue(service=svc("tennyu"))
    left = services.ticket_issue(service=svc("juminhyo"))
    clock("09:05")
    services.ticket_call_next(counter=c1, by=contractor)  # a[0]
    clock("09:08")
    services.ticket_complete(ticket=a[0], counter=c1, by=contractor)
    services.ticket_call_next(counter=c1, by=contractor)  # a[1]: no-show, back in line
    services.ticket_no_show(ticket=a[1], counter=c1, by=contractor)
    clock("09:14")  # past the office's no-show cool-down (5 minutes)
    services.ticket_call_next(counter=c1, by=contractor)  # a[1] again (earlier issue)
    services.ticket_hold(ticket=a[1], counter=c1, by=contractor, reason="書類を取りに")
    clock("09:20")
    services.ticket_resume(ticket=a[1], counter=c1, by=contractor)
    services.ticket_complete(ticket=a[1], counter=c1, by=contractor)
    services.ticket_call_next(counter=c1, by=contractor)  # a[2]: needs judgment
    clock("09:26")
    services.ticket_transfer(ticket=a[2], counter=c1, by=contractor, reason="要審査",
                             to_service=svc("koseki-todoke"))
    services.ticket_cancel(ticket=left)
    clock("09:30")
    services.ticket_call_next(counter=c3, by=contractor)  # the move
    clock("09:45")
    services.ticket_complete(ticket=move, counter=c3, by=contractor)
    clock("10:05")
    services.ticket_call_next(counter=c6, by=municipal)  # the move's review (before a[2])
    clock("10:15")
    services.ticket_complete(ticket=move, counter=c6, by=municipal)
    services.ticket_call_next(counter=c6, by=municipal)  # a[2] at the staff step
    clock("10:40")
    services.ticket_complete(ticket=a[2], counter=c6, by=municipal)
    return office


def _sorted_waits(office) -> list[float]:
    return sorted(v.wait_minutes for v in visits.step_visits(office_id=office.id, day_from=DAY,
                                                             day_to=DAY)
                  if v.wait_minutes is not None)


def test_waits_are_the_history_reports_waits(day_of_visits):
    office = day_of_visits
    waits = _sorted_waits(office)
    history = reports.history(office_id=office.id, day_from=DAY, day_to=DAY)
    assert len(waits) == history["total"]["waits"]
    assert round(waits[len(waits) // 2] if len(waits) % 2 else
                 (waits[len(waits) // 2 - 1] + waits[len(waits) // 2]) / 2, 1) == \
        history["total"]["median_wait"]
    assert round(visits._p90(waits), 1) == history["total"]["p90_wait"]


def test_handled_steps_are_the_contracts_transactions(day_of_visits):
    office = day_of_visits
    handled = [v for v in visits.step_visits(office_id=office.id, day_from=DAY, day_to=DAY)
               if v.handled_at is not None and v.kind == "outsourced"]
    contract = reports.contract(office_id=office.id, month=DAY)
    assert len(handled) == contract["handled"]


def test_a_visit_per_line_joined_and_one_wait_each(day_of_visits):
    office = day_of_visits
    codes = dict(Service.objects.filter(office=office).values_list("id", "code"))
    seen = [(codes[v.service_id], v.kind, v.joined_at.astimezone(TOKYO).strftime("%H:%M"),
             v.wait_minutes) for v in visits.step_visits(office_id=office.id, day_from=DAY,
                                                         day_to=DAY)]
    assert ("tennyu", "outsourced", "09:00", 30.0) in seen
    assert ("tennyu", "staff_only", "09:45", 20.0) in seen
    # The no-show put back in line and the hold do not start a second wait.
    assert [s for s in seen if s[0] == "juminhyo" and s[3] == 5.0] == [
        ("juminhyo", "outsourced", "09:00", 5.0)]
    assert ("juminhyo", "outsourced", "09:00", 8.0) in seen
    # The transfer joins the staff-only line of the other procedure.
    assert ("koseki-todoke", "staff_only", "09:26", 49.0) in seen
    assert ("juminhyo", "outsourced", "09:00", None) in seen  # the one who left


def test_hourly_rows_bucket_by_the_hour_joined_and_handled(day_of_visits):
    office = day_of_visits
    rows = {(r["hour"], r["procedure"], r["counter_kind"]): r
            for r in visits.hourly(office_id=office.id, day_from=DAY, day_to=DAY)}
    certs = rows[(9, "juminhyo", "outsourced")]
    # 5 joined; a[0], a[1], a[2] were called (a[3] still waits, one left), all 3 handled.
    assert certs["arrivals"] == 5 and certs["waits"] == 3 and certs["served"] == 3
    assert certs["waited_p50_minutes"] is None  # fewer than 5 waits: withheld
    assert rows[(9, "tennyu", "staff_only")]["served"] == 0
    assert rows[(10, "tennyu", "staff_only")]["served"] == 1
    assert rows[(10, "koseki-todoke", "staff_only")]["served"] == 1
