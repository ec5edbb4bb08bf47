"""The supervisor's staffing plan of a week: counters needed per hour and kind, beside last
week's, and what it costs under the contract.

Figures (the page, the CSV and the tests use these and nothing else):

- planned: ``queueing.staffing.office_week_plan`` (Erlang C / A per pool of
  counters), added up per counter kind and hour.
- open last week: the same hour seven days earlier, the counters' open time
  from their audit trail (``reports.counter_open_seconds``, the contract's
  counter-hour measure) divided by the hour: 1.5 means one counter all hour and
  another half of it.
- SLA last week: the share of residents called within their service's target,
  per hour they joined the line and counter kind (``queueing.visits``' visits,
  the history report's definition).
- counter-hours: the plan's sum of counters per hour; last week's open minutes
  / 60.
- cost: only outsourced counters are billed (staff-only counters are the city's
  own staff). Plan: outsourced counter-hours x the counter-hour price of the
  contract in force on the week's first day, in yen before tax. Last week: the
  same price over the measured minutes, per day minutes x price / 60 rounded
  down, as the contract report bills it. None when no contract covers the
  week or its contract has no counter-hour price.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils import timezone

from queueing import staffing, visits
from queueing.models import Contract, Kind, Service, Unit

from . import reports

KINDS = [Kind.OUTSOURCED.value, Kind.STAFF_ONLY.value]
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)


def monday(day: datetime.date) -> datetime.date:
    """The Monday of the day's week (a plan covers Monday to Sunday)."""
    return day - datetime.timedelta(days=day.weekday())


def coming_week(today: datetime.date) -> datetime.date:
    """The Monday after today: the week a plan is usually made for."""
    return monday(today) + WEEK


def counter_hour_price(*, office_id: int, day: datetime.date) -> tuple[Contract | None, int | None]:
    """The contract in force on the day and its counter-hour price in yen (None: none)."""
    contract = (Contract.objects.filter(office_id=office_id, starts_on__lte=day, ends_on__gte=day)
                .order_by("starts_on", "id").first())
    if contract is None:
        return None, None
    price = (contract.prices.filter(unit__measure=Unit.Measure.COUNTER_HOUR)
             .order_by("unit__sort_order", "id").values_list("unit_price_yen", flat=True).first())
    return contract, price


def _sla_by_hour(*, office_id: int, days: list[datetime.date]) -> dict:
    """(hour start, kind) -> [within target, waits] of the visits that joined in that hour."""
    targets = dict(Service.objects.filter(office_id=office_id).values_list(
        "id", "target_wait_minutes"))
    tz = timezone.get_default_timezone()
    cells: dict[tuple[datetime.datetime, str], list[int]] = defaultdict(lambda: [0, 0])
    for v in visits.step_visits(office_id=office_id, day_from=days[0], day_to=days[-1]):
        if v.wait_minutes is None:
            continue
        start = v.joined_at.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        cell = cells[(start, v.kind)]
        cell[0] += v.wait_minutes <= targets.get(v.service_id, 15)
        cell[1] += 1
    return cells


def _share(within: int, n: int) -> float | None:
    return round(100 * within / n, 1) if n else None


def week_plan(*, office_id: int, week_start: datetime.date,
              now: datetime.datetime | None = None) -> dict:
    """The week's plan beside last week's counters and SLA, counter-hours and costs."""
    now = now or timezone.now()
    plan = staffing.office_week_plan(office_id=office_id, week_start=week_start, now=now)
    planned = plan.by_kind()
    last_days = [week_start - WEEK + i * DAY for i in range(7)]
    opened = reports.counter_open_seconds(office_id=office_id, days=last_days, now=now)
    sla = _sla_by_hour(office_id=office_id, days=last_days)
    starts = set(planned) | {s + WEEK for s, _ in opened} | {s + WEEK for s, _ in sla}
    rows = []
    for start in sorted(starts):
        before = start - WEEK
        cells = {}
        for kind in KINDS:
            within, n = sla.get((before, kind), (0, 0))
            cells[kind] = {"planned": planned.get(start, {}).get(kind, 0),
                           "open": round(opened.get((before, kind), 0) / 3600, 1),
                           "sla": _share(within, n), "waits": n}
        rows.append({"start": start, "kinds": cells})
    hours_plan = {k: sum(r["kinds"][k]["planned"] for r in rows) for k in KINDS}
    minutes_last = {k: int(sum(s for (_, kind), s in opened.items() if kind == k) // 60)
                    for k in KINDS}
    within = {k: sum(c[0] for (_, kind), c in sla.items() if kind == k) for k in KINDS}
    waits = {k: sum(c[1] for (_, kind), c in sla.items() if kind == k) for k in KINDS}
    contract, price = counter_hour_price(office_id=office_id, day=week_start)
    cost_plan = cost_last = None
    if price is not None:
        cost_plan = hours_plan[Kind.OUTSOURCED] * price
        per_day = reports.outsourced_counter_minutes(office_id=office_id, days=last_days, now=now)
        cost_last = sum(m * price // reports.MINUTES_PER_HOUR for m in per_day.values())
    return {
        "week_start": week_start, "week_end": week_start + 6 * DAY,
        "last_week_start": last_days[0], "rows": rows,
        "hours_plan": hours_plan, "hours_plan_total": sum(hours_plan.values()),
        "hours_last": {k: round(m / 60, 1) for k, m in minutes_last.items()},
        "hours_last_total": round(sum(minutes_last.values()) / 60, 1),
        "sla_last": {k: _share(within[k], waits[k]) for k in KINDS},
        "sla_last_total": _share(sum(within.values()), sum(waits.values())),
        "target_share": round(100 * plan.target_share),
        "contract": contract, "price": price,
        "cost_plan": cost_plan, "cost_last": cost_last,
    }


CSV_HEADER = ["日 Day", "曜日 Weekday", "時 Hour",
              "委託 必要窓口数 Outsourced counters needed",
              "職員 必要窓口数 Staff-only counters needed",
              "委託 先週の開設数 Outsourced open last week",
              "職員 先週の開設数 Staff-only open last week",
              "委託 先週の目標内(%) Outsourced SLA last week",
              "職員 先週の目標内(%) Staff-only SLA last week"]
WEEKDAYS = "月火水木金土日"


def plan_table(figures: dict) -> list[list]:
    """The plan as CSV rows a contractor staffs from: one row per hour, then the totals."""
    rows = [[f"配置計画 Staffing plan {figures['week_start']}〜{figures['week_end']}"],
            CSV_HEADER]
    for r in figures["rows"]:
        k = r["kinds"]
        rows.append([r["start"].date().isoformat(), WEEKDAYS[r["start"].weekday()],
                     f"{r['start']:%H}:00"]
                    + [k[kind]["planned"] for kind in KINDS] + [k[kind]["open"] for kind in KINDS]
                    + ["" if k[kind]["sla"] is None else k[kind]["sla"] for kind in KINDS])
    rows.append([])
    rows.append(["窓口時間 Counter-hours", "", "",
                 figures["hours_plan"][Kind.OUTSOURCED], figures["hours_plan"][Kind.STAFF_ONLY],
                 figures["hours_last"][Kind.OUTSOURCED], figures["hours_last"][Kind.STAFF_ONLY]])
    if figures["price"] is None:
        rows.append(["費用 Cost",
                     "契約に窓口時間の単価がありません No counter-hour price in the contract"])
    else:
        rows.append(["単価(円/時) Price per counter-hour", figures["price"]])
        rows.append(["費用(円,税抜) Cost, plan (outsourced)", figures["cost_plan"]])
        rows.append(["費用(円,税抜) Cost, last week (outsourced)", figures["cost_last"]])
    return rows
