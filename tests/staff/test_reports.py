"""Report figures on a fixture day whose answers are computed by hand.

The day is played through the real services with the clock set to each
moment (Asia/Tokyo, 2026-06-10). Services: 住民票の写し (A, target 15 min,
one outsourced step) and 転入届 (D, target 30 min; step 1 outsourced,
step 2 staff-only). Counters 1 and 3 are outsourced, 6 is staff-only.

    09:00 A001 issued         09:05 A002 issued        09:10 D001 issued
    09:10 c1 calls A001  (wait 10)   09:11 start   09:15 complete   (service 4)
    09:15 c1 calls A002  (wait 10)   09:17 no-show, within grace: back in line
    09:18 c1 calls A002 again (no new wait)        09:30 no-show: closed
    09:40 c3 calls D001  (wait 30)   09:42 start   09:50 transfer to step 2 (service 8)
    10:10 c6 calls D001 at step 2 (wait 20 since 09:50)  10:16 complete from called (service 6)
    10:20 A003 issued
    10:46 c1 calls A003  (wait 26)   10:47 start   10:50 complete   (service 3)
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from queueing import services
from queueing.models import Counter, Service
from staff import reports

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = datetime.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forecasts are cached per office state; test databases roll back and repeat ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def day(office, contractor, municipal, clock):
    """Play the fixture day; return the services and counters used."""
    a = Service.objects.get(office=office, code="juminhyo")
    d = Service.objects.get(office=office, code="tennyu")
    c1, c3, c6 = (Counter.objects.get(office=office, number=n) for n in (1, 3, 6))
    clock.at("09:00")
    a001 = services.ticket_issue(service=a)
    clock.at("09:05")
    a002 = services.ticket_issue(service=a)
    clock.at("09:10")
    d001 = services.ticket_issue(service=d)
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a001.pk
    clock.at("09:11")
    services.ticket_start(ticket=a001, counter=c1, by=contractor)
    clock.at("09:15")
    services.ticket_complete(ticket=a001, counter=c1, by=contractor)
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a002.pk
    clock.at("09:17")
    assert services.ticket_no_show(ticket=a002, counter=c1, by=contractor).status == "waiting"
    clock.at("09:18")
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a002.pk
    clock.at("09:30")
    assert services.ticket_no_show(ticket=a002, counter=c1, by=contractor).status == "no_show"
    clock.at("09:40")
    assert services.ticket_call_next(counter=c3, by=contractor).pk == d001.pk
    clock.at("09:42")
    services.ticket_start(ticket=d001, counter=c3, by=contractor)
    clock.at("09:50")
    services.ticket_transfer(ticket=d001, counter=c3, by=contractor, reason="審査が必要")
    clock.at("10:10")
    assert services.ticket_call_next(counter=c6, by=municipal).pk == d001.pk
    clock.at("10:16")
    services.ticket_complete(ticket=d001, counter=c6, by=municipal)
    clock.at("10:20")
    a003 = services.ticket_issue(service=a)
    clock.at("10:46")
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a003.pk
    clock.at("10:47")
    services.ticket_start(ticket=a003, counter=c1, by=contractor)
    clock.at("10:50")
    services.ticket_complete(ticket=a003, counter=c1, by=contractor)
    return {"a": a, "d": d, "office": office}


def _row(rows, label):
    return next(r for r in rows if r["label"] == label)


@pytest.fixture
def figures(day):
    return reports.history(office_id=day["office"].id, day_from=DAY, day_to=DAY)


def test_by_service_counts(figures):
    a = _row(figures["by_service"], "住民票の写し")
    d = _row(figures["by_service"], "転入届")
    # A: A001, A002, A003 issued; A001 and A003 completed; A002 closed as no-show
    # (its first no-show at 09:17 was within grace and is not counted).
    assert (a["issued"], a["served"], a["no_shows"], a["transfers_to_staff"]) == (3, 2, 1, 0)
    # D: D001 issued, transferred from the outsourced to the staff step, completed there.
    assert (d["issued"], d["served"], d["no_shows"], d["transfers_to_staff"]) == (1, 1, 0, 1)


def test_by_service_waits(figures):
    a = _row(figures["by_service"], "住民票の写し")
    # A waits 10, 10, 26: mean 46/3 = 15.33 -> 15.3; median 10; p90 = ceil(2.7) = 3rd = 26.
    assert (a["waits"], a["mean_wait"], a["median_wait"], a["p90_wait"]) == (3, 15.3, 10, 26)
    d = _row(figures["by_service"], "転入届")
    # D waits 30 (step 1) and 20 (step 2): mean 25, median 25, p90 = ceil(1.8) = 2nd = 30.
    assert (d["waits"], d["mean_wait"], d["median_wait"], d["p90_wait"]) == (2, 25, 25, 30)


def test_by_service_service_time_and_sla(figures):
    a = _row(figures["by_service"], "住民票の写し")
    # A service times: 09:11-09:15 = 4, 10:47-10:50 = 3 -> mean 3.5.
    # Within the 15 min target: 10 and 10 yes, 26 no -> 2/3 = 66.7 %.
    assert (a["mean_service"], a["sla"]) == (3.5, 66.7)
    d = _row(figures["by_service"], "転入届")
    # D: 09:42-09:50 = 8 (start to transfer), 10:10-10:16 = 6 (call to complete) -> 7.
    # Target 30: 30 <= 30 yes, 20 yes -> 100 %.
    assert (d["mean_service"], d["sla"]) == (7, 100)


def test_services_without_tickets_show_no_figures(figures):
    z = _row(figures["by_service"], "税証明")
    assert (z["issued"], z["waits"], z["mean_wait"], z["sla"]) == (0, 0, None, None)


def test_by_counter_kind(figures):
    out = _row(figures["by_kind"], reports.KIND_LABELS["outsourced"])
    staff = _row(figures["by_kind"], reports.KIND_LABELS["staff_only"])
    # Outsourced: 4 issued (every first step is outsourced), A001 and A003 completed,
    # A002 no-show, D001 transferred to staff. Waits 10, 10, 30, 26: mean 19, median
    # (10 + 26) / 2 = 18, p90 = ceil(3.6) = 4th = 30. Service 4, 8, 3: mean 5.
    # Within target: A 10 <= 15, A 10 <= 15, D 30 <= 30, A 26 > 15 -> 3/4 = 75 %.
    counts = (out["issued"], out["served"], out["no_shows"], out["transfers_to_staff"])
    assert counts == (4, 2, 1, 1)
    assert (out["mean_wait"], out["median_wait"], out["p90_wait"]) == (19, 18, 30)
    assert (out["mean_service"], out["sla"]) == (5, 75)
    # Staff-only: D001 completed; wait 20, service 6, within target.
    assert (staff["issued"], staff["served"], staff["no_shows"]) == (0, 1, 0)
    assert (staff["mean_wait"], staff["median_wait"], staff["p90_wait"]) == (20, 20, 20)
    assert (staff["mean_service"], staff["sla"]) == (6, 100)


def test_totals(figures):
    t = figures["total"]
    # Waits 10, 10, 26, 30, 20: mean 96/5 = 19.2, median 20, p90 = ceil(4.5) = 5th = 30;
    # within target 4 of 5 = 80 %.
    assert (t["issued"], t["served"], t["no_shows"], t["transfers_to_staff"]) == (4, 3, 1, 1)
    assert (t["mean_wait"], t["median_wait"], t["p90_wait"], t["sla"]) == (19.2, 20, 30, 80)


def test_arrivals_per_hour_in_tokyo_time(figures):
    hours = dict(figures["arrivals_per_hour"])
    # 09:00, 09:05, 09:10 -> 3 in the 9 o'clock hour; 10:20 -> 1 at 10.
    assert hours[9] == 3 and hours[10] == 1
    assert sum(hours.values()) == 4 and min(hours) == 8 and max(hours) == 17


def test_wait_distribution(figures):
    bins = dict(figures["wait_distribution"])
    # 10, 10 -> 10-15; 20, 26 -> 20-30; 30 -> 30-45.
    assert bins == {"0-5": 0, "5-10": 0, "10-15": 2, "15-20": 0, "20-30": 2, "30-45": 1,
                    "45-60": 0, "60+": 0}


def test_other_days_are_outside_the_range(day, clock):
    clock.at("09:00", DAY + datetime.timedelta(days=1))
    services.ticket_issue(service=day["a"])
    one = reports.history(office_id=day["office"].id, day_from=DAY, day_to=DAY)
    two = reports.history(office_id=day["office"].id, day_from=DAY,
                          day_to=DAY + datetime.timedelta(days=1))
    assert one["total"]["issued"] == 4
    assert two["total"]["issued"] == 5


def test_contract_counts_steps_handled_at_outsourced_counters(day):
    rows = reports.contract(office_id=day["office"].id, month_from=DAY.replace(day=1),
                            month_to=DAY.replace(day=1))
    # A001 and A003 completed at counter 1; D001 handed over (transferred) at counter 3.
    # A002's no-shows are not billed; D001's completion at staff counter 6 is not the
    # contractor's work.
    got = {r["service"]: (r["month"], r["completed"], r["handed_over"], r["total"]) for r in rows}
    assert got == {"住民票の写し": ("2026-06", 2, 0, 2), "転入届": ("2026-06", 0, 1, 1)}
    table = reports.contract_table(rows)
    assert table[1] == ["2026-06", "住民票の写し", 2, 0, 2]


def test_contract_months_before_the_range_are_excluded(day):
    rows = reports.contract(office_id=day["office"].id, month_from=datetime.date(2026, 7, 1),
                            month_to=datetime.date(2026, 7, 1))
    assert rows == []
