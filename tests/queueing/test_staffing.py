"""Erlang B, C and A against published values, counters needed, pools and plans."""

import datetime
import math
from zoneinfo import ZoneInfo

import pytest

from queueing import staffing
from queueing.models import Counter, CounterService, Service

TOKYO = ZoneInfo("Asia/Tokyo")


# --- the formulas against published values ---------------------------------------------


def test_erlang_c_two_erlangs_on_three_servers_waits_four_ninths():
    """ErlangC[3, 2] = 4/9 = 0.4444: the basic example of the Wolfram Language's ErlangC
    (reference.wolfram.com/language/ref/ErlangC.html), the classic Erlang C table value."""
    assert staffing.erlang_c(servers=3, load=2.0) == pytest.approx(4 / 9, abs=1e-12)
    assert round(staffing.erlang_c(servers=3, load=2.0), 4) == 0.4444


def test_help_desk_needs_six_people_for_nine_in_ten_calls_without_delay():
    """Wolfram Language ErlangC, "Applications": 30 calls an hour, 5 minutes each
    (A = 2.5 Erlang); at least 90% not delayed needs 6 servers (5 leave 13% delayed)."""
    assert staffing.erlang_c(servers=5, load=2.5) > 0.1
    assert staffing.erlang_c(servers=6, load=2.5) <= 0.1
    assert staffing.counters_needed(arrivals_per_hour=30, service_minutes=5, target_minutes=0,
                                    target_share=0.9) == 6


@pytest.mark.parametrize("servers, erlangs", [(1, 0.0101), (2, 0.153), (3, 0.455), (5, 1.36),
                                              (10, 4.46), (20, 12.03), (50, 37.90)])
def test_erlang_b_table_at_one_percent_blocking(servers, erlangs):
    """The standard Erlang B table at a 1% grade of service, as printed in telephone
    traffic handbooks and online Erlang B tables (10 trunks carry 4.46 Erlangs, 20 carry
    12.03): N servers carry this many Erlangs at B = 0.01. The table rounds the traffic,
    so the blocking comes out within a few percent of 1%."""
    assert staffing.erlang_b(servers=servers, load=erlangs) == pytest.approx(0.01, rel=0.03)


def test_erlang_b_stays_finite_for_hundreds_of_servers():
    """The recursion needs no factorials: 500 servers at 480 Erlangs is an ordinary number."""
    b = staffing.erlang_b(servers=500, load=480.0)
    assert 0 < b < 0.05
    assert 0 < staffing.erlang_c(servers=500, load=480.0) < 1


def test_service_level_and_mean_wait_follow_the_erlang_c_formulas():
    """SL(t) = 1 - C exp(-(N - A) t / s) and W = C s / (N - A), here by hand:
    N = 3, A = 2, s = 10 min: C = 4/9, SL(5 min) = 1 - 4/9 e^-0.5, W = 40/9 min."""
    sl = staffing.service_level(servers=3, load=2.0, service_minutes=10, target_minutes=5)
    assert sl == pytest.approx(1 - 4 / 9 * math.exp(-0.5), abs=1e-12)
    assert staffing.mean_wait_minutes(servers=3, load=2.0, service_minutes=10) == \
        pytest.approx(40 / 9)


def test_an_overloaded_pool_never_meets_a_target():
    assert staffing.erlang_c(servers=4, load=4.0) == 1.0
    assert staffing.service_level(servers=4, load=5.0, service_minutes=5, target_minutes=15) == 0
    assert staffing.mean_wait_minutes(servers=4, load=4.0, service_minutes=5) == math.inf


def _incomplete_gamma(x: float, y: float) -> float:
    """Lower incomplete gamma by its power series (independent of the code under test)."""
    term = total = 1.0 / x
    k = 0
    while term > 1e-17 * total:
        k += 1
        term *= y / (x + k)
        total += term
    return math.exp(x * math.log(y) - y) * total


@pytest.mark.parametrize("servers, per_minute, service, patience", [
    (10, 1.0, 10, 20), (5, 0.6, 10, 30), (20, 2.5, 8, 10), (3, 0.5, 4, 5)])
def test_erlang_a_wait_probability_matches_the_closed_form(servers, per_minute, service,
                                                          patience):
    """Garnett, Mandelbaum and Reiman, "Designing a call center with impatient customers",
    M&SOM 4(3), 2002 (and Mandelbaum and Zeltyn's Erlang-A summary): with x = N mu / theta,
    y = lambda / theta, A(x, y) = x e^y y^-x gamma(x, y) and E = Erlang B(N, lambda / mu),
    P(W > 0) = A E / (1 + (A - 1) E). The module follows the birth-death chain instead."""
    mu, theta = 1 / service, 1 / patience
    x, y = servers * mu / theta, per_minute / theta
    a = x * math.exp(y) * y ** (-x) * _incomplete_gamma(x, y)
    e = staffing.erlang_b(servers=servers, load=per_minute / mu)
    closed = a * e / (1 + (a - 1) * e)
    result = staffing.erlang_a(servers=servers, arrivals_per_minute=per_minute,
                               service_minutes=service, patience_minutes=patience,
                               target_minutes=10)
    assert result.p_wait == pytest.approx(closed, rel=1e-9)


def test_erlang_a_with_endless_patience_is_erlang_c():
    for servers, per_minute, service, target in [(3, 0.2, 10, 5), (10, 0.9, 10, 15)]:
        a = staffing.erlang_a(servers=servers, arrivals_per_minute=per_minute,
                              service_minutes=service, patience_minutes=1e8,
                              target_minutes=target)
        load = per_minute * service
        assert a.p_wait == pytest.approx(staffing.erlang_c(servers=servers, load=load),
                                         abs=1e-5)
        assert a.served_within == pytest.approx(staffing.service_level(
            servers=servers, load=load, service_minutes=service, target_minutes=target),
            abs=1e-5)
        assert a.abandoned < 1e-5


def test_erlang_a_everyone_is_called_or_gives_up():
    """Given long enough, the share called is one minus the share that gave up (Little)."""
    a = staffing.erlang_a(servers=4, arrivals_per_minute=0.5, service_minutes=9,
                          patience_minutes=15, target_minutes=600)
    assert a.served_within + a.abandoned == pytest.approx(1.0, abs=1e-6)
    assert 0.01 < a.abandoned < 0.5


def test_residents_who_give_up_mean_no_more_counters():
    common = dict(arrivals_per_hour=60, service_minutes=9, target_minutes=15, target_share=0.9)
    patient = staffing.counters_needed(**common)
    impatient = staffing.counters_needed(**common, patience_minutes=10, max_occupancy=1.0)
    assert impatient <= patient


def test_counters_needed_meets_the_target_with_one_counter_fewer_missing_it():
    n = staffing.counters_needed(arrivals_per_hour=80, service_minutes=6, target_minutes=15,
                                 target_share=0.9, max_occupancy=1.0)
    load = 80 * 6 / 60
    ok = staffing.service_level(servers=n, load=load, service_minutes=6, target_minutes=15)
    short = staffing.service_level(servers=n - 1, load=load, service_minutes=6,
                                   target_minutes=15)
    assert ok >= 0.9 > short


def test_a_plan_never_runs_a_pool_above_the_occupancy_ceiling():
    """A 30-minute target alone would allow 95% occupancy; the plan keeps 85%."""
    n = staffing.counters_needed(arrivals_per_hour=60, service_minutes=9, target_minutes=30)
    assert 60 * 9 / 60 / n <= staffing.MAX_OCCUPANCY
    uncapped = staffing.counters_needed(arrivals_per_hour=60, service_minutes=9,
                                        target_minutes=30, max_occupancy=1.0)
    assert uncapped < n


def test_no_arrivals_need_no_counter():
    assert staffing.counters_needed(arrivals_per_hour=0, service_minutes=5,
                                    target_minutes=15) == 0


# --- pools and plans -------------------------------------------------------------------


def test_counters_sharing_a_service_form_one_pool_per_kind():
    # Services 1, 2 have an outsourced step; 2 also a staff-only step; 3 staff-only.
    step_kinds = {1: {"outsourced"}, 2: {"outsourced", "staff_only"}, 3: {"staff_only"}}
    links = [(10, "outsourced", 1), (11, "outsourced", 1), (11, "outsourced", 2),
             (12, "outsourced", 3),  # an outsourced counter never serves a staff-only step
             (20, "staff_only", 2), (21, "staff_only", 3)]
    pools = staffing.pools_from(links=links, step_kinds=step_kinds)
    assert [(p.kind, p.counters, p.services) for p in pools] == [
        ("outsourced", (10, 11), (1, 2)), ("staff_only", (20,), (2,)),
        ("staff_only", (21,), (3,))]


@pytest.mark.django_db
def test_the_demo_city_hall_has_five_pools(office):
    pools = staffing.office_pools(office_id=office.id)
    numbers = {c.id: c.number for c in Counter.objects.filter(office=office)}
    codes = dict(Service.objects.filter(office=office).values_list("id", "code"))
    assert sorted((p.kind, tuple(numbers[c] for c in p.counters)) for p in pools) == [
        ("outsourced", (1, 2)), ("outsourced", (3, 4)), ("outsourced", (5,)),
        ("staff_only", (6, 8)), ("staff_only", (7,))]
    review = next(p for p in pools if p.kind == "staff_only" and len(p.counters) == 2)
    assert {codes[s] for s in review.services} == {"tennyu", "kokuho", "koseki-todoke",
                                                   "genmen"}
    assert CounterService.objects.filter(counter__office=office).exists()


def _hours(day: datetime.date, per_hour: list[float], service_id: int = 1) -> dict:
    return {datetime.datetime.combine(day, datetime.time(9 + i), TOKYO): {service_id: n}
            for i, n in enumerate(per_hour)}


def test_the_plan_follows_the_arrivals_and_beats_flat_staffing():
    pool = staffing.Pool(kind="outsourced", counters=(1, 2, 3), services=(1,))
    arrivals = _hours(datetime.date(2026, 6, 1), [20, 60, 90, 40, 30, 60, 40, 10])
    plan = staffing.plan_hours(pools=[pool], arrivals=arrivals, visits={},
                               minutes={(1, "outsourced"): 6.0}, targets={1: 15})
    counters = [h.counters for h in plan.hours]
    assert counters.index(max(counters)) == 2 and counters.index(min(counters)) == 7
    assert all(h.share_within >= 0.9 for h in plan.hours)
    # Flat: one number all day reaching the plan's expected share; more counter-hours.
    flat = plan.flat[pool.key]
    assert min(counters) < flat <= max(counters)
    assert plan.flat_counter_hours() > plan.counter_hours()
    assert staffing.expected_share(hours=plan.hours, counters=flat) >= \
        staffing.expected_share(hours=plan.hours) - 1e-9


def test_services_sharing_counters_are_planned_together():
    """Two services of one pool need fewer counters together than planned apart."""
    day = datetime.date(2026, 6, 2)
    minutes = {(1, "outsourced"): 5.0, (2, "outsourced"): 5.0}
    together = staffing.plan_hours(
        pools=[staffing.Pool("outsourced", (1, 2), (1, 2))],
        arrivals={k: {1: 30.0, 2: 30.0} for k in _hours(day, [0])},
        visits={}, minutes=minutes, targets={1: 15, 2: 15})
    apart = staffing.plan_hours(
        pools=[staffing.Pool("outsourced", (1,), (1,)), staffing.Pool("outsourced", (2,), (2,))],
        arrivals={k: {1: 30.0, 2: 30.0} for k in _hours(day, [0])},
        visits={}, minutes=minutes, targets={1: 15, 2: 15})
    assert together.counter_hours() < apart.counter_hours()
    assert together.hours[0].arrivals == 60.0


def test_a_second_step_is_planned_from_the_visits_that_reach_it():
    pool = staffing.Pool(kind="staff_only", counters=(6,), services=(5,))
    arrivals = _hours(datetime.date(2026, 6, 3), [40], service_id=5)
    half = staffing.plan_hours(pools=[pool], arrivals=arrivals,
                               visits={(5, "staff_only"): 0.5},
                               minutes={(5, "staff_only"): 12.0}, targets={5: 30})
    assert half.hours[0].arrivals == 20.0
    assert half.hours[0].service_minutes == 12.0


@pytest.mark.django_db
def test_an_offices_week_plan_from_its_history(office, monkeypatch):
    """Three weeks of demo visits: a plan for the next week, per pool and open hour."""
    from django.utils import timezone

    from demo.congestion_history import history_demo_load

    now = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=TOKYO)
    monkeypatch.setattr(timezone, "now", lambda: now.astimezone(datetime.UTC))
    history_demo_load(office=office, weeks=3, per_day=120)
    plan = staffing.office_week_plan(office_id=office.id, week_start=datetime.date(2026, 6, 15))
    assert len(plan.pools) == 5
    days = {h.start.date() for h in plan.hours}
    assert days == {datetime.date(2026, 6, d) for d in range(15, 20)}  # no weekend in history
    assert {h.start.hour for h in plan.hours} == set(range(8, 17))
    assert all(h.counters >= 1 and h.share_within >= 0.9 for h in plan.hours if h.arrivals)
    assert 0 < plan.counter_hours() <= plan.flat_counter_hours()
    # Per counter kind, as a contractor staffs it: the kind's pools added up.
    by_kind = plan.by_kind()
    assert len(by_kind) == 5 * 9
    assert sum(sum(k.values()) for k in by_kind.values()) == plan.counter_hours()
    ten = by_kind[datetime.datetime(2026, 6, 15, 10, tzinfo=TOKYO)]
    assert set(ten) == {"outsourced", "staff_only"} and ten["outsourced"] >= 3
