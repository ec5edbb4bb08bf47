"""``python -m bench plan``: does the forecast beat "same hour last week", and does the
staffing plan meet the SLA with fewer counter-hours than flat staffing?

A ward office with the demo city hall's procedures and counters
(``demo.city_hall``: 12 procedures, two of them with an outsourced then a
staff-only step, five pools of counters) is simulated for 21 weeks from
2025-01-06, in-process and without servers or a database:

- Truth: Poisson arrivals per procedure and hour with weekday and hour
  seasonality, national holidays closed (jpholiday) and busier days after
  them, month-end and month-start peaks, a moving-season surge that ramps up
  in March and fades in April (転入 first), two card-notice mailings that
  lift My Number arrivals for a week with a decaying effect, and day-to-day
  noise (gamma, per office and per procedure). Counter times are lognormal
  (coefficient of variation 0.7, not the exponential Erlang assumes); 4% of
  residents are not there when called (1.5 minutes of counter time);
  residents give up after 20 minutes plus an exponential patience (mean 60).
- Fit: the forecast (``queueing.forecast.fit``) sees only the first 13
  weeks (to 2025-04-04), plus the special days a supervisor would have
  entered (the mailing weeks, with no factor: estimated from the first).
  Counter minutes, visits per ticket and patience are measured on those
  weeks, simulated with the office's historical flat staffing.
- Forecast: the remaining 8 weeks (Showa Day, Golden Week, the tail of the
  moving season, the second mailing), every open hour, per procedure.
  forecast_mae is the mean absolute error per procedure and hour;
  seasonal_naive_mae is that of the same procedure's count in the same hour
  one week earlier (the actual, known a week ahead: easier for the naive
  than an 8-week horizon is for the forecast).
- Plan: ``queueing.staffing.plan_hours`` per pool and hour from the forecast
  (Erlang A when patience was measured, else C), 90% within each pool's
  strictest target. The queue of each pool is then simulated with the plan's
  counters (first come first served, counters finish their resident when
  their hour ends, the last hour's counters stay until the line is empty),
  on the same simulated residents as the truth.
- sla_met_share_plan: share of pool-hours (each of the 5 pools x each open
  hour with at least one arrival) in which at least 90% of the residents who
  joined the pool's line in that hour were called within their procedure's
  target. Residents who gave up count as not called in time. Also printed:
  the share of all residents called within target (the contract's monthly
  measure).
- Flat staffing: per pool, the fewest constant counters whose simulated share
  of pool-hours meeting the SLA is at least the plan's for that pool (found
  by simulating each count on the same residents; staff-only pools see the
  step-2 arrivals the flat outsourced pools produce).
- hours_saved_share = 1 - counter_hours_plan / counter_hours_flat.

Last line: ``{"bench": "plan", "forecast_mae", "seasonal_naive_mae", "forecast_ratio",
"sla_met_share_plan", "counter_hours_plan", "counter_hours_flat", "hours_saved_share", ...}``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

START = datetime.date(2025, 1, 6)  # a Monday
OPEN_HOUR, CLOSE_HOUR = 9, 17  # hourly slots 9..16
DAILY = 1000.0  # residents on a plain Tuesday
# Share of residents per procedure, and the true mean counter minutes of each step.
MIX = {
    "juminhyo": (0.25, [4.0]), "inkan": (0.08, [4.0]), "koseki": (0.08, [6.0]),
    "zeisho": (0.08, [5.0]), "tennyu": (0.10, [10.0, 12.0]), "kokuho": (0.08, [8.0, 7.0]),
    "nenkin": (0.05, [8.0]), "jidoteate": (0.04, [8.0, 10.0]), "mynumber": (0.12, [12.0]),
    "koseki-todoke": (0.05, [15.0]), "fukushi": (0.03, [25.0]), "genmen": (0.04, [20.0]),
}
WEEKDAY = [1.30, 1.05, 0.95, 0.95, 1.10, 0.0, 0.0]  # Monday busiest; closed at weekends
HOURS = [1.25, 1.45, 1.35, 0.85, 1.05, 1.00, 0.85, 0.60]  # 9:00 .. 16:00
FRIDAY_AFTERNOON = 1.15  # Friday afternoons are a little busier (after-work visits)
AFTER_HOLIDAY = 1.35
MONTH_END = {"juminhyo": 1.15, "inkan": 1.15, "koseki": 1.15, "zeisho": 1.15,
             "tennyu": 1.25, "kokuho": 1.15}
MONTH_START = {"tennyu": 1.2, "kokuho": 1.15, "nenkin": 1.15, "jidoteate": 1.1}
MOVING = {"tennyu": 1.0, "kokuho": 0.5, "jidoteate": 0.5, "nenkin": 0.4, "juminhyo": 0.3}
MAILINGS = [datetime.date(2025, 2, 3), datetime.date(2025, 4, 21)]
MAILING_LIFT = [2.4, 2.0, 1.7, 1.4, 1.2]  # My Number, on the open days after a mailing
OFFICE_NOISE_CV, SERVICE_NOISE_CV = 0.07, 0.08
SERVICE_CV = 0.7
NO_SHOW_RATE, NO_SHOW_MINUTES = 0.04, 1.5
PATIENCE_MIN, PATIENCE_MEAN = 20.0, 60.0
WALK_MINUTES = 0.5
TARGET_SHARE = 0.9
# The office's historical flat staffing per pool, to produce the training weeks' waits.
HISTORICAL = {"outsourced-1": 9, "outsourced-3": 8, "outsourced-5": 6, "staff_only-6": 11,
              "staff_only-7": 4}


def moving_lift(day: datetime.date) -> float:
    """The truth's moving-season surge: ramps up in March, peaks around 4/1, fades in April."""
    peak = datetime.date(day.year, 4, 1)
    distance = abs((day - peak).days)
    if day.month not in (3, 4) and distance > 35:
        return 0.0
    return max(0.0, 1.1 * math.exp(-(distance / 18.0) ** 2) + (0.25 if day.month in (3, 4) else 0))


@dataclass
class Visit:
    """One resident's visit to one step's line."""

    resident: int
    service: str
    step: int
    kind: str
    arrival: float  # minutes since midnight
    duration: float
    patience: float
    no_show: bool
    start: float | None = None  # when called; None: gave up
    end: float | None = None


@dataclass
class Resident:
    """A simulated resident: the procedure, arrival and everything random about them."""

    id: int
    day: datetime.date
    service: str
    arrival: float
    durations: list[float]
    patience: list[float]
    no_show: list[bool]


@dataclass
class Office:
    """The procedures, steps and pools of the simulated office (from the demo city hall)."""

    ids: dict[str, int]
    codes: dict[int, str]
    steps: dict[str, list[str]]  # code -> step kinds
    targets: dict[str, int]
    pools: list = field(default_factory=list)
    pool_of: dict[tuple[str, str], str] = field(default_factory=dict)


def office_structure() -> Office:
    """The demo city hall's procedures, steps, targets and counter pools."""
    from demo import city_hall as demo
    from queueing import staffing

    ids = {code: i + 1 for i, (code, *_rest) in enumerate(demo.SERVICES)}
    steps = {code: [kind for _, kind in step_list]
             for code, _p, _n, _ns, step_list, *_r in demo.SERVICES}
    targets = {code: target for code, _p, _n, _ns, _s, target, *_r in demo.SERVICES}
    links = [(number, kind, ids[code]) for number, _label, kind, codes in demo.COUNTERS
             for code in codes]
    pools = staffing.pools_from(links=links, step_kinds={ids[c]: set(k) for c, k in steps.items()})
    office = Office(ids=ids, codes={v: k for k, v in ids.items()}, steps=steps, targets=targets,
                    pools=pools)
    for pool in pools:
        for service_id in pool.services:
            office.pool_of[(office.codes[service_id], pool.kind)] = pool.key
    return office


# --- the truth -------------------------------------------------------------------------


def days_of(weeks: int) -> list[datetime.date]:
    """Every calendar day of the simulated weeks."""
    return [START + datetime.timedelta(days=i) for i in range(weeks * 7)]


def true_rates(day: datetime.date, rng: random.Random) -> dict[tuple[str, int], float]:
    """Expected arrivals per (procedure, hour) of a day in the simulated truth."""
    from queueing import forecast

    if forecast.holiday_closed(day) or WEEKDAY[day.weekday()] == 0:
        return {}
    flags = forecast.calendar_flags(day)
    office = rng.gammavariate(1 / OFFICE_NOISE_CV**2, OFFICE_NOISE_CV**2)
    after_mailing = _after_mailing(day)
    rates = {}
    for code, (share, _) in MIX.items():
        n = DAILY * share * WEEKDAY[day.weekday()] * office
        n *= rng.gammavariate(1 / SERVICE_NOISE_CV**2, SERVICE_NOISE_CV**2)
        if forecast.AFTER_HOLIDAY in flags:
            n *= AFTER_HOLIDAY
        if forecast.MONTH_END in flags:
            n *= MONTH_END.get(code, 1.0)
        if forecast.MONTH_START in flags:
            n *= MONTH_START.get(code, 1.0)
        n *= 1 + MOVING.get(code, 0.0) * moving_lift(day)
        if code == "mynumber" and after_mailing is not None:
            n *= MAILING_LIFT[after_mailing]
        profile = list(HOURS)
        if day.weekday() == 4:
            profile = [w * (FRIDAY_AFTERNOON if i >= 4 else 1.0) for i, w in enumerate(profile)]
        total = sum(profile)
        for i, w in enumerate(profile):
            rates[(code, OPEN_HOUR + i)] = n * w / total
    return rates


def _open_days_after(day: datetime.date, count: int) -> list[datetime.date]:
    from queueing import forecast

    out, d = [], day
    while len(out) < count:
        d += datetime.timedelta(days=1)
        if d.weekday() < 5 and not forecast.holiday_closed(d):
            out.append(d)
    return out


def _after_mailing(day: datetime.date) -> int | None:
    for mailing in MAILINGS:
        days = _open_days_after(mailing, len(MAILING_LIFT))
        if day in days:
            return days.index(day)
    return None


def residents_of(days: list[datetime.date], rng: random.Random) -> list[Resident]:
    """Every simulated resident of the days, with arrival, counter times and patience."""
    from demo.congestion_history import poisson  # after django.setup() (main)

    residents = []
    sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
    for day in days:
        for (code, hour), rate in sorted(true_rates(day, rng).items()):
            for _ in range(poisson(rng, rate)):
                means = MIX[code][1]
                residents.append(Resident(
                    id=len(residents), day=day, service=code,
                    arrival=hour * 60 + rng.random() * 60,
                    durations=[m * math.exp(rng.gauss(-sigma**2 / 2, sigma)) for m in means],
                    patience=[PATIENCE_MIN + rng.expovariate(1 / PATIENCE_MEAN) for _ in means],
                    no_show=[rng.random() < NO_SHOW_RATE for _ in means]))
    residents.sort(key=lambda r: (r.day, r.arrival))
    return residents


# --- the queue -------------------------------------------------------------------------


def serve(visits: list[Visit], staffing: dict[int, int]) -> None:
    """Simulate one pool's day, first come first served, with counters per hour.

    Counter i is on duty in an hour when the hour has more than i counters; a
    counter whose hour ends finishes its resident; after closing, the last
    hour's counters stay until the line is empty. Sets each visit's start and
    end (start None: the resident gave up first).
    """
    last = max(staffing) if staffing else CLOSE_HOUR - 1
    top = max(staffing.values(), default=0)
    free = [0.0] * top

    def on_duty(i: int, hour: int) -> bool:
        return staffing.get(min(hour, last), 0) > i

    for v in sorted(visits, key=lambda v: v.arrival):
        best = math.inf
        chosen = None
        for i in range(top):
            t = max(v.arrival, free[i])
            hour = int(t // 60)
            while not on_duty(i, hour) and hour <= last:
                hour += 1
                t = hour * 60.0
            if on_duty(i, hour) and t < best:
                best, chosen = t, i
        if chosen is None or best - v.arrival > v.patience:
            v.start = v.end = None
            continue
        v.start = best
        v.end = best + (NO_SHOW_MINUTES if v.no_show else v.duration)
        free[chosen] = v.end


def first_visits(residents: list[Resident], office: Office) -> list[Visit]:
    """Each resident's visit to their first step."""
    return [Visit(resident=r.id, service=r.service, step=0, kind=office.steps[r.service][0],
                  arrival=r.arrival, duration=r.durations[0], patience=r.patience[0],
                  no_show=r.no_show[0]) for r in residents]


def next_visits(done: list[Visit], by_id: dict[int, Resident], office: Office) -> list[Visit]:
    """Visits to second steps, from first-step visits that finished at a counter."""
    out = []
    for v in done:
        r = by_id[v.resident]
        if v.start is None or v.no_show or v.step + 1 >= len(office.steps[r.service]):
            continue
        s = v.step + 1
        out.append(Visit(resident=r.id, service=r.service, step=s, kind=office.steps[r.service][s],
                         arrival=v.end + WALK_MINUTES, duration=r.durations[s],
                         patience=r.patience[s], no_show=r.no_show[s]))
    return out


def run_pools(residents: list[Resident], office: Office,
              counters: dict[str, dict[tuple[datetime.date, int], int]],
              pools: list[str] | None = None,
              first: dict | None = None) -> dict[str, list[tuple[datetime.date, Visit]]]:
    """Simulate every pool (outsourced first: their residents feed the staff-only steps)."""
    by_id = {r.id: r for r in residents}
    day_of = {r.id: r.day for r in residents}
    out: dict[str, list[tuple[datetime.date, Visit]]] = dict(first or {})
    waiting: dict[str, list[Visit]] = defaultdict(list)
    for v in first_visits(residents, office):
        waiting[office.pool_of[(v.service, v.kind)]].append(v)
    order = sorted((p.key for p in office.pools), key=lambda k: not k.startswith("outsourced"))
    for key in order:
        if key in out:
            done = [v for _, v in out[key]]
        else:
            if pools is not None and key not in pools:
                continue
            by_day: dict[datetime.date, list[Visit]] = defaultdict(list)
            for v in waiting[key]:
                by_day[day_of[v.resident]].append(v)
            for day, visits in by_day.items():
                staffing = {h: counters[key].get((day, h), 0)
                            for h in range(OPEN_HOUR, CLOSE_HOUR)}
                serve(visits, staffing)
            done = waiting[key]
            out[key] = [(day_of[v.resident], v) for v in done]
        for v in next_visits(done, by_id, office):
            waiting[office.pool_of[(v.service, v.kind)]].append(v)
    return out


def sla_hours(served: list[tuple[datetime.date, Visit]], office: Office) -> tuple[int, int]:
    """(pool-hours meeting the SLA, pool-hours with arrivals) of one pool's visits."""
    hours: dict[tuple[datetime.date, int], list[bool]] = defaultdict(list)
    for day, v in served:
        hour = min(int(v.arrival // 60), CLOSE_HOUR - 1)
        ok = v.start is not None and v.start - v.arrival <= office.targets[v.service]
        hours[(day, hour)].append(ok)
    met = sum(1 for oks in hours.values() if sum(oks) >= TARGET_SHARE * len(oks))
    return met, len(hours)


def within_target(served: list[tuple[datetime.date, Visit]], office: Office) -> tuple[int, int]:
    """(residents called within target, residents) of one pool's visits."""
    ok = sum(1 for _, v in served
             if v.start is not None and v.start - v.arrival <= office.targets[v.service])
    return ok, len(served)


# --- the run ---------------------------------------------------------------------------


def measure_counter_times(served: dict[str, list[tuple[datetime.date, Visit]]], office: Office,
                          residents: list[Resident]) -> tuple[dict, dict, float | None]:
    """Counter minutes and visits per ticket by (service id, kind), and patience, as measured."""
    from queueing import forecast

    minutes: dict[tuple[int, str], list[float]] = defaultdict(list)
    tickets: dict[str, int] = defaultdict(int)
    for r in residents:
        tickets[r.service] += 1
    waited, gave_up, lines = 0.0, 0, 0
    for visits in served.values():
        lines += len(visits)
        for _, v in visits:
            if v.start is None:
                gave_up += 1
                waited += v.patience
                continue
            minutes[(office.ids[v.service], v.kind)].append(v.end - v.start)
            waited += v.start - v.arrival
    mean = {k: sum(x) / len(x) for k, x in minutes.items()}
    visits = {k: len(x) / tickets[office.codes[k[0]]] for k, x in minutes.items()}
    patience = forecast.patience_estimate(waited_minutes=waited, gave_up=gave_up,
                                          residents=lines)
    return mean, visits, patience


def run(*, seed: int, weeks: int, train_weeks: int, target_share: float) -> dict:
    """Simulate, fit, forecast, plan and compare; the benchmark's figures."""
    from queueing import forecast, staffing

    started = time.perf_counter()
    rng = random.Random(seed)
    office = office_structure()
    days = days_of(weeks)
    residents = residents_of(days, rng)
    train_end = START + datetime.timedelta(weeks=train_weeks) - datetime.timedelta(days=1)
    train = [r for r in residents if r.day <= train_end]
    test = [r for r in residents if r.day > train_end]
    test_days = [d for d in days if d > train_end]

    counts: dict[tuple[int, datetime.date, int], int] = defaultdict(int)
    for r in residents:
        counts[(office.ids[r.service], r.day, int(r.arrival // 60))] += 1
    specials = [forecast.Special(day=d, kind="card_notice_mailing", label="交付通知書 発送",
                                 service_id=office.ids["mynumber"])
                for mailing in MAILINGS for d in _open_days_after(mailing, len(MAILING_LIFT))]
    model = forecast.fit(counts={k: n for k, n in counts.items() if k[1] <= train_end},
                         day_from=START, day_to=train_end, specials=specials,
                         services=office.ids.values())

    # Forecast error per procedure and open hour of the test weeks.
    f_err, n_err, office_f, office_n = [], [], [], []
    for day in test_days:
        if forecast.holiday_closed(day) or day.weekday() >= 5:
            continue
        predicted = model.predict(day=day)
        week_ago = day - datetime.timedelta(days=7)
        for hour in range(OPEN_HOUR, CLOSE_HOUR):
            tf = ta = tn = 0.0
            for service_id in office.ids.values():
                actual = counts.get((service_id, day, hour), 0)
                naive = counts.get((service_id, week_ago, hour), 0)
                f = predicted.get((service_id, hour), 0.0)
                f_err.append(abs(f - actual))
                n_err.append(abs(naive - actual))
                tf, ta, tn = tf + f, ta + actual, tn + naive
            office_f.append(abs(tf - ta))
            office_n.append(abs(tn - ta))

    # Counter times, visits and patience, measured on the training weeks (historical staffing).
    train_hours = [(d, h) for d in days if d <= train_end for h in range(OPEN_HOUR, CLOSE_HOUR)]
    historical = {key: dict.fromkeys(train_hours, n) for key, n in HISTORICAL.items()}
    train_served = run_pools(train, office, historical)
    minutes, visits, patience = measure_counter_times(train_served, office, train)

    # The plan for every open hour of the test weeks.
    arrivals: dict[datetime.datetime, dict[int, float]] = defaultdict(dict)
    for day in test_days:
        for (service_id, hour), n in model.predict(day=day).items():
            arrivals[forecast.hour_start(day=day, hour=hour)][service_id] = n
    targets = {office.ids[c]: t for c, t in office.targets.items()}
    plan = staffing.plan_hours(pools=office.pools, arrivals=arrivals, visits=visits,
                               minutes=minutes, targets=targets, target_share=target_share,
                               patience_minutes=patience)
    plan_counters: dict[str, dict[tuple[datetime.date, int], int]] = defaultdict(dict)
    for h in plan.hours:
        plan_counters[h.pool][(h.start.date(), h.start.hour)] = h.counters
    open_hours = {(h.start.date(), h.start.hour) for h in plan.hours}
    served_plan = run_pools(test, office, plan_counters)

    # Flat staffing: per pool the fewest constant counters meeting the plan's share of hours.
    flat: dict[str, int] = {}
    flat_served: dict[str, list] = {}
    for key in sorted(served_plan, key=lambda k: not k.startswith("outsourced")):
        met, total = sla_hours(served_plan[key], office)
        goal = met / total if total else 1.0
        pool_hours = [c for c in plan_counters[key].values()]
        n = max(1, min(c for c in pool_hours if c))
        while True:
            trial = dict(flat_served)
            counters = {k: {oh: flat.get(k, n) for oh in open_hours} for k in plan_counters}
            counters[key] = {oh: n for oh in open_hours}
            result = run_pools(test, office, counters, pools=[key], first=trial)
            m, t = sla_hours(result[key], office)
            if (m / t if t else 1.0) >= goal or n >= staffing.MAX_COUNTERS:
                flat[key], flat_served[key] = n, result[key]
                break
            n += 1

    plan_met = plan_total = plan_ok = plan_res = 0
    flat_met = flat_total = flat_ok = flat_res = 0
    per_pool = {}
    for key in served_plan:
        m, t = sla_hours(served_plan[key], office)
        ok, res = within_target(served_plan[key], office)
        fm, ft = sla_hours(flat_served[key], office)
        fok, fres = within_target(flat_served[key], office)
        plan_met, plan_total, plan_ok, plan_res = plan_met + m, plan_total + t, plan_ok + ok, \
            plan_res + res
        flat_met, flat_total, flat_ok, flat_res = flat_met + fm, flat_total + ft, flat_ok + fok, \
            flat_res + fres
        hours_plan = sum(plan_counters[key].values())
        per_pool[key] = {"sla_hours": round(m / t, 3), "within_target": round(ok / res, 3),
                         "counter_hours_plan": hours_plan,
                         "flat_counters": flat[key],
                         "counter_hours_flat": flat[key] * len(open_hours),
                         "flat_sla_hours": round(fm / ft, 3)}
    counter_hours_plan = sum(h.counters for h in plan.hours)
    counter_hours_flat = sum(n * len(open_hours) for n in flat.values())
    forecast_mae = sum(f_err) / len(f_err)
    naive_mae = sum(n_err) / len(n_err)
    return {
        "bench": "plan",
        "forecast_mae": round(forecast_mae, 3),
        "seasonal_naive_mae": round(naive_mae, 3),
        "forecast_ratio": round(forecast_mae / naive_mae, 3),
        "sla_met_share_plan": round(plan_met / plan_total, 3),
        "counter_hours_plan": counter_hours_plan,
        "counter_hours_flat": counter_hours_flat,
        "hours_saved_share": round(1 - counter_hours_plan / counter_hours_flat, 3),
        "sla_unit": "pool-hours with >= 90% of that hour's residents called within target",
        "sla_met_share_flat": round(flat_met / flat_total, 3),
        "residents_within_target_plan": round(plan_ok / plan_res, 3),
        "residents_within_target_flat": round(flat_ok / flat_res, 3),
        "office_hour_forecast_mae": round(sum(office_f) / len(office_f), 2),
        "office_hour_naive_mae": round(sum(office_n) / len(office_n), 2),
        "residents": len(residents),
        "train_weeks": train_weeks,
        "test_weeks": weeks - train_weeks,
        "patience_minutes": round(patience, 1) if patience else None,
        "pools": per_pool,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str]) -> int:
    """Run the benchmark and print the JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench plan")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--weeks", type=int, default=21)
    parser.add_argument("--train-weeks", type=int, default=13)
    parser.add_argument("--target-share", type=float, default=TARGET_SHARE)
    args = parser.parse_args(argv)
    if args.weeks < 12 or not 1 <= args.train_weeks < args.weeks:
        print("--weeks must be at least 12 and --train-weeks between 1 and weeks - 1",
              file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # for demo.city_hall's constants; no database is used
    result = run(seed=args.seed, weeks=args.weeks, train_weeks=args.train_weeks,
                 target_share=args.target_share)
    print(json.dumps(result, ensure_ascii=False))
    return 0
