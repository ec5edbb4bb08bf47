"""Figures for the supervisor: history by service and counter kind, contract counts.

(The live figures are a core read, ``queueing.selectors.office_live_figures``,
pushed to the dashboard by ``live/``.)

History is computed from the audit trail (``TicketEvent``) of the tickets of
the chosen business days, walked per ticket in time order. Definitions (the
same in the page, the CSV and the tests):

- issued: tickets issued (kiosk or staff); by kind, the kind of their first step.
- served: tickets completed, counted at the service and kind of the step they
  were completed at.
- no-shows: tickets closed as no-show (a no-show before the office's last allowed
  one puts the ticket back in its place and is not counted).
- transfers outsourced -> staff: ``transferred`` events from an outsourced
  step to a staff-only step (the contractor's formal hand-off).
- wait: from entering a step's line (issue, previous step done, transfer) to
  the first call at that step. A no-show put back in line and a held ticket
  resumed do not start a new wait. One sample per ticket and step visit.
- median: the middle sample (mean of the two middle ones); p90: nearest rank,
  the ceil(0.9 n)-th smallest sample.
- service time: from the start of service (or the call, when "start" was not
  pressed) to the end of the step (complete, next step, transfer).
- SLA: share of wait samples not longer than the service's target.
- arrivals per hour: issued tickets by hour of day in Asia/Tokyo.
- satisfaction: residents' ratings (1-5, status page) of the tickets of the days, by
  service and by the kind of the counter that completed the visit; mean, count per
  score, and the share of 4 and 5 (satisfied). Comments are listed with day, service and
  kind only (no ticket number: the rating stays anonymous).

The contract report (``contract``) is described where it is computed, below.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from statistics import mean, median

import jpholiday
from django.utils import timezone

from queueing.events import HAND_OFFS, STEP_FINISHED, Action
from queueing.models import (
    Contract,
    ContractLevel,
    Counter,
    CounterEvent,
    Kind,
    Service,
    Step,
    Ticket,
    TicketEvent,
    TicketRating,
    Unit,
    WorkUnit,
)

WAIT_BINS = [0, 5, 10, 15, 20, 30, 45, 60]  # minutes; the last bin is "60+"
KIND_LABELS = {k: Kind(k).staff_label for k in Kind.values}
AT_COUNTER = Ticket.AT_COUNTER


# --- history --------------------------------------------------------------------


class _Acc:
    """Accumulated figures for one row (a service or a counter kind)."""

    def __init__(self, key, label: str):
        self.key, self.label = key, label
        self.issued = self.served = self.no_shows = self.transfers_to_staff = 0
        self.waits: list[float] = []
        self.service_times: list[float] = []
        self.within_target = 0

    def row(self) -> dict:
        """The row's figures, rounded for display (minutes to one decimal)."""
        w = sorted(self.waits)
        return {
            "key": self.key, "label": self.label, "issued": self.issued, "served": self.served,
            "no_shows": self.no_shows, "transfers_to_staff": self.transfers_to_staff,
            "waits": len(w),
            "mean_wait": _r(mean(w)) if w else None,
            "median_wait": _r(median(w)) if w else None,
            "p90_wait": _r(w[math.ceil(0.9 * len(w)) - 1]) if w else None,
            "mean_service": _r(mean(self.service_times)) if self.service_times else None,
            "sla": round(100 * self.within_target / len(w), 1) if w else None,
        }


def _r(x: float) -> float:
    return round(x, 1)


def history(*, office_id: int, day_from: datetime.date, day_to: datetime.date) -> dict:
    """Figures for the business days day_from..day_to (inclusive), by service and counter kind."""
    steps = {s["id"]: s for s in Step.objects.filter(service__office_id=office_id).values(
        "id", "service_id", "kind")}
    services = {s.id: s for s in Service.objects.filter(office_id=office_id)}
    by_service = {sid: _Acc(sid, s.name) for sid, s in services.items()}
    by_kind = {k: _Acc(k, KIND_LABELS[k]) for k in Kind.values}
    per_hour: dict[int, int] = defaultdict(int)
    all_waits: list[float] = []
    rows = (
        TicketEvent.objects.filter(
            ticket__office_id=office_id, ticket__business_day__gte=day_from,
            ticket__business_day__lte=day_to,
        )
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "action", "from_status", "from_step_id", "to_step_id")
    )
    ticket = None
    entered = awaiting = last_call = last_start = None
    for ticket_id, at, action, from_status, from_step_id, to_step_id in rows.iterator():
        if ticket_id != ticket:
            ticket, entered, awaiting, last_call, last_start = ticket_id, None, None, None, None
        to_step = steps[to_step_id]
        from_step = steps.get(from_step_id)
        if action == Action.ISSUED:
            by_service[to_step["service_id"]].issued += 1
            by_kind[to_step["kind"]].issued += 1
            per_hour[timezone.localtime(at).hour] += 1
            entered, awaiting = at, to_step
        elif action == Action.CALLED:
            if awaiting is not None and entered is not None:
                minutes = (at - entered).total_seconds() / 60
                target = services[awaiting["service_id"]].target_wait_minutes
                for acc in (by_service[awaiting["service_id"]], by_kind[awaiting["kind"]]):
                    acc.waits.append(minutes)
                    acc.within_target += minutes <= target
                all_waits.append(minutes)
                awaiting = None
            last_call, last_start = at, None
        elif action == Action.RESUMED:
            last_call, last_start = at, None
        elif action == Action.STARTED:
            last_start = at
        elif action in STEP_FINISHED:
            if from_status in AT_COUNTER and from_step is not None:
                began = last_start or last_call
                if began is not None:
                    minutes = (at - began).total_seconds() / 60
                    by_service[from_step["service_id"]].service_times.append(minutes)
                    by_kind[from_step["kind"]].service_times.append(minutes)
            if action == Action.COMPLETED and from_step is not None:
                by_service[from_step["service_id"]].served += 1
                by_kind[from_step["kind"]].served += 1
            to_staff = (from_step is not None and from_step["kind"] == Kind.OUTSOURCED
                        and to_step["kind"] == Kind.STAFF_ONLY)
            if action == Action.TRANSFERRED and to_staff:
                by_service[from_step["service_id"]].transfers_to_staff += 1
                by_kind[Kind.OUTSOURCED].transfers_to_staff += 1
            if action != Action.COMPLETED:
                entered, awaiting = at, to_step
            last_call = last_start = None
        elif action == Action.NO_SHOW and from_step is not None:
            by_service[from_step["service_id"]].no_shows += 1
            by_kind[from_step["kind"]].no_shows += 1
    hours = range(min([8, *per_hour]), max([17, *per_hour]) + 1)
    total = _Acc("total", "合計 Total")
    for acc in by_service.values():
        for name in ("issued", "served", "no_shows", "transfers_to_staff", "within_target"):
            setattr(total, name, getattr(total, name) + getattr(acc, name))
        total.waits += acc.waits
        total.service_times += acc.service_times
    return {
        "day_from": day_from, "day_to": day_to,
        "by_service": [by_service[s.id].row() for s in services.values()],
        "by_kind": [acc.row() for acc in by_kind.values()],
        "total": total.row(),
        "arrivals_per_hour": [(h, per_hour.get(h, 0)) for h in hours],
        "wait_distribution": _distribution(all_waits),
        "satisfaction": satisfaction(office_id=office_id, day_from=day_from, day_to=day_to,
                                     services=services),
    }


SCORES = TicketRating.Score.values  # 1..5
SATISFIED = (4, 5)
MAX_COMMENTS = 50  # the newest, on the page and in the CSV


def _rating_row(key, label: str, scores: list[int]) -> dict:
    n = len(scores)
    return {"key": key, "label": label, "ratings": n,
            "mean": round(mean(scores), 2) if n else None,
            "counts": [scores.count(v) for v in reversed(SCORES)],  # 5 first, as the page asks
            "satisfied": round(100 * sum(1 for v in scores if v in SATISFIED) / n, 1)
            if n else None}


def satisfaction(*, office_id: int, day_from: datetime.date, day_to: datetime.date,
                 services: dict[int, Service] | None = None) -> dict:
    """Residents' satisfaction ratings of the days' tickets, by service and by the kind of
    the counter that completed the visit, with the newest comments (see the module's
    definitions)."""
    services = services or {s.id: s for s in Service.objects.filter(office_id=office_id)}
    by_service: dict[int, list[int]] = defaultdict(list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    comments = []
    rows = (TicketRating.objects.filter(ticket__office_id=office_id,
                                        ticket__business_day__gte=day_from,
                                        ticket__business_day__lte=day_to)
            .order_by("-rated_at", "-id")
            .values_list("ticket__service_id", "ticket__business_day", "counter_kind",
                         "score", "comment"))
    for service_id, day, kind, score, comment in rows.iterator():
        by_service[service_id].append(score)
        by_kind[kind].append(score)
        if comment and len(comments) < MAX_COMMENTS:
            comments.append({"day": day, "service": services[service_id].name,
                             "kind": KIND_LABELS.get(kind, kind), "score": score,
                             "comment": comment})
    return {
        "by_service": [_rating_row(sid, s.name, by_service.get(sid, []))
                       for sid, s in services.items()],
        "by_kind": [_rating_row(k, KIND_LABELS[k], by_kind.get(k, [])) for k in Kind.values],
        "total": _rating_row("total", "合計 Total",
                             [v for scores in by_service.values() for v in scores]),
        "comments": comments,
    }


def _distribution(waits: list[float]) -> list[tuple[str, int]]:
    bins = []
    for i, low in enumerate(WAIT_BINS):
        high = WAIT_BINS[i + 1] if i + 1 < len(WAIT_BINS) else None
        n = sum(1 for w in waits if w >= low and (high is None or w < high))
        bins.append((f"{low}-{high}" if high is not None else f"{low}+", n))
    return bins


HISTORY_COLUMNS = [
    ("label", "区分 Group"), ("issued", "発券 Issued"), ("served", "完了 Served"),
    ("no_shows", "不在 No-shows"), ("transfers_to_staff", "職員へ回付 Transfers to staff"),
    ("waits", "待ち件数 Waits"), ("mean_wait", "平均待ち(分) Mean wait"),
    ("median_wait", "中央値(分) Median wait"), ("p90_wait", "90%点(分) P90 wait"),
    ("mean_service", "平均対応(分) Mean service"), ("sla", "目標内(%) Within target"),
]


def history_table(figures: dict, name: str) -> list[list] | None:
    """One table of the history as CSV rows (header first), or None for an unknown name."""
    if name in ("by_service", "by_kind"):
        rows = figures[name] + ([figures["total"]] if name == "by_service" else [])
        return [[h for _, h in HISTORY_COLUMNS]] + [
            ["" if r[k] is None else r[k] for k, _ in HISTORY_COLUMNS] for r in rows
        ]
    if name == "arrivals":
        return [["時 Hour", "発券 Issued"]] + [[h, n] for h, n in figures["arrivals_per_hour"]]
    if name == "satisfaction":
        return satisfaction_table(figures["satisfaction"])
    if name == "waits":
        return [["待ち時間(分) Wait (minutes)", "件数 Tickets"]] + [
            [label, n] for label, n in figures["wait_distribution"]]
    return None


SATISFACTION_COLUMNS = ["区分 Group", "回答数 Ratings", "平均 Mean (1-5)",
                        *(f"{v} 件 Count" for v in reversed(SCORES)), "満足(4-5)% Satisfied"]


def satisfaction_table(figures: dict) -> list[list]:
    """The satisfaction figures as CSV rows: by service (and total), by counter kind, then
    the newest comments."""
    def line(r):
        return [r["label"], r["ratings"], "" if r["mean"] is None else r["mean"], *r["counts"],
                "" if r["satisfied"] is None else r["satisfied"]]

    rows = [["手続き別 By service"], SATISFACTION_COLUMNS]
    rows += [line(r) for r in [*figures["by_service"], figures["total"]]]
    rows += [[], ["完了した窓口の種類別 By kind of the counter that completed the visit"],
             SATISFACTION_COLUMNS]
    rows += [line(r) for r in figures["by_kind"]]
    rows += [[], ["日 Day", "手続き Service", "窓口の種類 Counter kind", "評価 Score",
                  "ひとこと Comment"]]
    # A resident typed the comment: one starting like a formula is kept as text in Excel.
    rows += [[c["day"].isoformat(), c["service"], c["kind"], c["score"],
              "'" + c["comment"] if c["comment"][:1] in "=+-@" else c["comment"]]
             for c in figures["comments"]]
    return rows


def bar_chart(data: list[tuple[str, int]], *, title: str, width: int = 640,
              height: int = 220) -> dict:
    """Geometry of a server-rendered SVG bar chart (drawn by a template, no script)."""
    top = max([n for _, n in data] + [1])
    left, bottom, pad = 40, 30, 10
    plot_w, plot_h = width - left - pad, height - bottom - pad
    step = plot_w / max(1, len(data))
    bars = []
    for i, (label, n) in enumerate(data):
        h = plot_h * n / top
        bars.append({
            "label": label, "value": n, "x": round(left + i * step + step * 0.1, 1),
            "y": round(pad + plot_h - h, 1), "w": round(step * 0.8, 1), "h": round(h, 1),
            "cx": round(left + i * step + step / 2, 1),
        })
    return {"title": title, "width": width, "height": height, "bars": bars, "top": top,
            "axis_y": pad + plot_h, "left": left, "label_y": height - 10,
            "top_y": pad + 4}


# --- contract -------------------------------------------------------------------
#
# The monthly report a city pays the contractor's invoice from, for one contract
# (委託契約) and one month, every figure traceable to tickets, steps and counters:
#
# - units: what the counters recorded when a step ended (``WorkUnit``), counted on the
#   ticket's business day, at outsourced counters (billed) and, for reference, at staff
#   counters (the city's own work, never billed); counter-hours: the minutes the
#   outsourced counters were open that day (from their audit trail, whole minutes per
#   day, cut at midnight Asia/Tokyo and at the time of the report).
# - amounts, in yen before tax: per day and unit, quantity x unit price (counter-hours:
#   minutes x price / 60, rounded down); the month's amount of a unit is the sum of its
#   days, the subtotal the sum of the units.
# - service levels: a sample is a resident's wait at an outsourced step, from joining its
#   line to the first call there (as in the history); within the level when the wait is
#   at most its minutes. A day with samples is missed when its share is below the target;
#   the month is missed when the month's share is. Deductions: a fixed amount per missed
#   day, plus a percentage of the subtotal (rounded down) when the month is missed.
# - net = subtotal - deductions (never below 0); tax = net x tax % rounded down (消費税,
#   切り捨て); total = net + tax.
# - handled: steps finished at an outsourced counter from the called or serving state
#   (completed, passed to the next step, transferred); no-shows are not handled.
#
# The ticket-level export (``contract_tickets``) lists every step visit of the month with
# its times, counter, outcome, hand-off and units; its billed totals equal the report's.

MINUTES_PER_HOUR = 60


def month_end(month: datetime.date) -> datetime.date:
    """The last day of the month of ``month``."""
    nxt = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def contract_for(*, office_id: int, month: datetime.date) -> Contract | None:
    """The office's contract in force during that month (the earliest, if several)."""
    return (Contract.objects.filter(office_id=office_id, starts_on__lte=month_end(month),
                                    ends_on__gte=month.replace(day=1))
            .order_by("starts_on", "id").first())


def _days(contract: Contract, month: datetime.date) -> list[datetime.date]:
    first = max(month.replace(day=1), contract.starts_on)
    last = min(month_end(month), contract.ends_on)
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


def _day_label(day: datetime.date) -> str:
    """A holiday's name, or 土/日 for a weekend, or empty."""
    name = jpholiday.is_holiday_name(day)
    if name:
        return name
    return {5: "土", 6: "日"}.get(day.weekday(), "")


def contract(*, office_id: int, month: datetime.date,
             now: datetime.datetime | None = None) -> dict | None:
    """The month's contract report (see above), or None when no contract covers the month."""
    month = month.replace(day=1)
    agreement = contract_for(office_id=office_id, month=month)
    if agreement is None:
        return None
    days = _days(agreement, month)
    prices = {p.unit_id: p.unit_price_yen for p in agreement.prices.all()}
    units = list(Unit.objects.filter(office_id=office_id).order_by("sort_order", "id"))
    levels = list(agreement.levels.all())
    billed = defaultdict(lambda: defaultdict(int))  # day -> unit id -> quantity
    for_reference = defaultdict(int)  # unit id -> quantity at staff counters
    for day, unit_id, kind, quantity in WorkUnit.objects.filter(
            event__ticket__office_id=office_id, event__ticket__business_day__gte=days[0],
            event__ticket__business_day__lte=days[-1]).values_list(
            "event__ticket__business_day", "unit_id", "event__counter_kind", "quantity"):
        if kind == Kind.OUTSOURCED:
            billed[day][unit_id] += quantity
        else:
            for_reference[unit_id] += quantity
    minutes = outsourced_counter_minutes(office_id=office_id, days=days, now=now or timezone.now())
    handled = _handled(office_id=office_id, days=days)
    samples = _outsourced_waits(office_id=office_id, days=days)

    unit_rows = {u.id: {"unit_id": u.id, "code": u.code, "name": u.name, "measure": u.measure,
                        "measure_label": u.get_measure_display(), "price": prices.get(u.id),
                        "quantity": 0, "amount": 0, "reference": for_reference.get(u.id, 0)}
                 for u in units}
    day_rows = []
    for day in days:
        row = {"day": day, "label": _day_label(day), "units": {}, "amounts": {},
               "handled": handled.get(day, 0), "levels": [], "deduction": 0}
        for u in units:
            if u.measure == Unit.Measure.COUNTER_HOUR:
                quantity = minutes.get(day, 0)  # minutes
                amount = quantity * prices.get(u.id, 0) // MINUTES_PER_HOUR
            else:
                quantity = billed[day].get(u.id, 0)
                amount = quantity * prices.get(u.id, 0)
            row["units"][u.id], row["amounts"][u.id] = quantity, amount
            unit_rows[u.id]["quantity"] += quantity
            unit_rows[u.id]["amount"] += amount
        row["quantities"] = [(u.code, row["units"][u.id]) for u in units]  # units' order
        row["subtotal"] = sum(row["amounts"].values())
        for level in levels:
            waits = samples.get(day, [])
            judged = _judge(level, waits)
            if judged["missed"]:
                row["deduction"] += level.deduction_yen_per_missed_day
            row["levels"].append(judged)
        day_rows.append(row)
    subtotal = sum(r["amount"] for r in unit_rows.values())
    level_rows = []
    for i, level in enumerate(levels):
        judged = _judge(level, [w for waits in samples.values() for w in waits])
        missed_days = sum(1 for r in day_rows if r["levels"][i]["missed"])
        per_day = missed_days * level.deduction_yen_per_missed_day
        for_month = (subtotal * level.deduction_percent_if_month_missed // 100
                     if judged["missed"] else 0)
        level_rows.append({**judged, "level": level, "missed_days": missed_days,
                           "deduction_days": per_day, "deduction_month": for_month,
                           "deduction": per_day + for_month})
    deduction = sum(r["deduction"] for r in level_rows)
    net = max(0, subtotal - deduction)
    tax = net * agreement.tax_percent // 100
    return {
        "contract": agreement, "month": month, "days": day_rows,
        "units": list(unit_rows.values()), "levels": level_rows,
        "handled": sum(handled.values()), "subtotal": subtotal, "deduction": deduction,
        "net": net, "tax": tax, "total": net + tax,
    }


def _judge(level: ContractLevel, waits: list[float]) -> dict:
    """How a set of waits meets a service level: samples, within, share, missed."""
    within = sum(1 for w in waits if w <= level.within_minutes)
    n = len(waits)
    return {"samples": n, "within": within,
            "percent": round(100 * within / n, 1) if n else None,
            "missed": bool(n) and within * 100 < level.target_percent * n}


def _handled(*, office_id: int, days: list[datetime.date]) -> dict[datetime.date, int]:
    found: dict[datetime.date, int] = defaultdict(int)
    for day in TicketEvent.objects.filter(
            ticket__office_id=office_id, ticket__business_day__gte=days[0],
            ticket__business_day__lte=days[-1], counter_kind=Kind.OUTSOURCED,
            action__in=STEP_FINISHED, from_status__in=AT_COUNTER,
    ).values_list("ticket__business_day", flat=True):
        found[day] += 1
    return found


def outsourced_counter_minutes(*, office_id: int, days: list[datetime.date],
                     now: datetime.datetime) -> dict[datetime.date, int]:
    """Whole minutes the office's outsourced counters were open, per day (Asia/Tokyo)."""
    seconds: dict[datetime.date, float] = defaultdict(float)
    for (start, kind), s in counter_open_seconds(office_id=office_id, days=days, now=now,
                                                 hourly=False).items():
        if kind == Kind.OUTSOURCED:
            seconds[start.date()] += s
    return {day: int(s // 60) for day, s in seconds.items()}


def counter_open_seconds(*, office_id: int, days: list[datetime.date], now: datetime.datetime,
                         hourly: bool = True) -> dict[tuple[datetime.datetime, str], float]:
    """Seconds the office's counters were open, per local hour (or day) start and counter
    kind, from their audit trail; cut at the days' ends and at ``now``."""
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(days[0], datetime.time(), tz)
    end = min(now, datetime.datetime.combine(days[-1] + datetime.timedelta(days=1),
                                             datetime.time(), tz))
    seconds: dict[tuple[datetime.datetime, str], float] = defaultdict(float)
    rows = CounterEvent.objects.filter(counter__office_id=office_id, at__lt=end)
    by_counter = defaultdict(list)
    for counter_id, kind, at, to_status in rows.order_by("counter_id", "at", "id").values_list(
            "counter_id", "counter__kind", "at", "to_status"):
        by_counter[(counter_id, kind)].append((at, to_status))
    for (_, kind), changes in by_counter.items():
        opened = None
        for at, status in changes:
            if status == Counter.Status.OPEN and opened is None:
                opened = at
            elif status != Counter.Status.OPEN and opened is not None:
                _add_open(seconds, kind, max(opened, start), min(at, end), tz, hourly)
                opened = None
        if opened is not None:
            _add_open(seconds, kind, max(opened, start), end, tz, hourly)
    return dict(seconds)


def _add_open(seconds: dict, kind: str, begin: datetime.datetime, end: datetime.datetime, tz,
              hourly: bool) -> None:
    """Add an open interval to the seconds of each local hour (or day) it covers."""
    while begin < end:
        local = begin.astimezone(tz)
        if hourly:
            bucket = local.replace(minute=0, second=0, microsecond=0)
            boundary = bucket + datetime.timedelta(hours=1)
        else:
            bucket = datetime.datetime.combine(local.date(), datetime.time(), tz)
            boundary = datetime.datetime.combine(local.date() + datetime.timedelta(days=1),
                                                 datetime.time(), tz)
        part_end = min(end, boundary)
        seconds[(bucket, kind)] += (part_end - begin).total_seconds()
        begin = part_end


def _visits(*, office_id: int, days: list[datetime.date]):
    """Every step visit of the days' tickets, in order: the ticket, the step, when it joined
    the step's line, its first call there, and the audit row that ended it (None: open)."""
    rows = (TicketEvent.objects.filter(ticket__office_id=office_id,
                                       ticket__business_day__gte=days[0],
                                       ticket__business_day__lte=days[-1])
            .select_related("ticket__service", "to_step", "counter")
            .order_by("ticket__business_day", "ticket_id", "at", "id"))
    visit = None
    for e in rows.iterator():
        if visit is not None and visit["ticket"].id != e.ticket_id:
            yield visit  # still open when its day ended
            visit = None
        if e.action == Action.ISSUED:
            visit = _visit(e)
            continue
        if visit is None:
            continue
        if e.action == Action.CALLED and visit["called"] is None:
            visit["called"] = e.at
        if e.action in STEP_FINISHED or e.action in (Action.NO_SHOW, Action.CANCELLED):
            visit["end"] = e
            yield visit
            visit = _visit(e) if e.action in HAND_OFFS else None
    if visit is not None:
        yield visit


def _visit(e: TicketEvent) -> dict:
    return {"ticket": e.ticket, "step": e.to_step, "entered": e.at, "called": None,
            "end": None}


def _outsourced_waits(*, office_id: int,
                      days: list[datetime.date]) -> dict[datetime.date, list[float]]:
    """The service level's samples per day: minutes from joining an outsourced step's line
    to the first call there."""
    found: dict[datetime.date, list[float]] = defaultdict(list)
    for v in _visits(office_id=office_id, days=days):
        if v["step"].kind == Kind.OUTSOURCED and v["called"] is not None:
            found[v["ticket"].business_day].append(
                (v["called"] - v["entered"]).total_seconds() / 60)
    return found


def contract_table(report: dict) -> list[list]:
    """The contract report as CSV rows: the daily breakdown, the month's units, the service
    levels and the totals, one section after the other."""
    units = report["units"]
    head = ["日 Day", "区分 Day type"] + [
        f"{u['name']} ({'分' if u['measure'] == Unit.Measure.COUNTER_HOUR else u['measure_label']})"
        for u in units] + ["処理件数 Handled", "金額(円) Amount", "控除(円) Deduction"]
    rows = [[f"委託実績 Contract report {report['month']:%Y-%m}", report["contract"].name,
             report["contract"].company.name], head]
    for d in report["days"]:
        rows.append([d["day"].isoformat(), d["label"]] + [d["units"][u["unit_id"]] for u in units]
                    + [d["handled"], d["subtotal"], d["deduction"]])
    rows.append(["合計 Month", ""] + [u["quantity"] for u in units]
                + [report["handled"], report["subtotal"], sum(d["deduction"] for d in
                                                             report["days"])])
    rows.append([])
    rows.append(["単位 Unit", "単価(円) Price", "数量 Quantity", "金額(円) Amount",
                 "職員窓口 (参考) Staff counters, not billed"])
    for u in units:
        rows.append([u["name"], "" if u["price"] is None else u["price"], u["quantity"],
                     u["amount"], u["reference"]])
    rows.append([])
    rows.append(["サービス水準 Service level", "目標 Target", "件数 Samples", "達成 Within",
                 "達成率(%) Share", "未達の日 Missed days", "控除(円) Deduction"])
    for lv in report["levels"]:
        rows.append([lv["level"].name,
                     f"{lv['level'].target_percent}% / {lv['level'].within_minutes}分",
                     lv["samples"], lv["within"], "" if lv["percent"] is None else lv["percent"],
                     lv["missed_days"], lv["deduction"]])
    rows.append([])
    tax_label = f"消費税 Tax {report['contract'].tax_percent}%"
    for label, key in (("小計 Subtotal", "subtotal"), ("控除 Deductions", "deduction"),
                       ("差引 Net", "net"), (tax_label, "tax"), ("請求額 Total", "total")):
        rows.append([label, report[key]])
    return rows


TICKET_COLUMNS = ["日 Day", "番号 Ticket", "手続き Service", "手順 Step", "手順の種類 Step kind",
                  "列に入った Joined", "呼出 Called", "終了 Ended", "窓口 Counter",
                  "窓口の種類 Counter kind", "結果 Outcome", "引継ぎ Hand-off", "実績 Units"]


def contract_tickets(*, office_id: int, month: datetime.date) -> list[list] | None:
    """The ticket-level export behind the report: one row per step visit (times, counter
    and its kind, outcome, hand-off with its reason, units recorded), then the billed units'
    totals, equal to the report's. No personal data: no booking reference, no note."""
    month = month.replace(day=1)
    agreement = contract_for(office_id=office_id, month=month)
    if agreement is None:
        return None
    days = _days(agreement, month)
    units = list(Unit.objects.filter(office_id=office_id).exclude(
        measure=Unit.Measure.COUNTER_HOUR).order_by("sort_order", "id"))
    recorded = defaultdict(dict)
    for event_id, unit_id, quantity in WorkUnit.objects.filter(
            event__ticket__office_id=office_id, event__ticket__business_day__gte=days[0],
            event__ticket__business_day__lte=days[-1]).values_list(
            "event_id", "unit_id", "quantity"):
        recorded[event_id][unit_id] = quantity
    names = {u.id: u.name for u in units}
    totals = defaultdict(int)
    rows = [TICKET_COLUMNS + [f"請求 {u.name}" for u in units]]

    def local(at):
        return timezone.localtime(at).strftime("%H:%M:%S") if at else ""

    for v in _visits(office_id=office_id, days=days):
        end, t = v["end"], v["ticket"]
        done = recorded.get(end.id, {}) if end is not None else {}
        billed = end is not None and end.counter_kind == Kind.OUTSOURCED
        hand_off = ""
        if end is not None and end.action in HAND_OFFS:
            to = end.to_step
            hand_off = f"→ {to.name} ({Kind(to.kind).counter_label}): {end.reason}"
        row = [t.business_day.isoformat(), t.display_number, t.service.name, v["step"].name,
               KIND_LABELS[v["step"].kind], local(v["entered"]), local(v["called"]),
               local(end.at) if end else "",
               end.counter.number if end is not None and end.counter else "",
               KIND_LABELS.get(end.counter_kind, "") if end is not None else "",
               end.get_action_display() if end is not None else "未了 (open)", hand_off,
               " ".join(f"{names.get(u, u)}×{q}" for u, q in done.items())]
        for u in units:
            quantity = done.get(u.id, 0) if billed else 0
            totals[u.id] += quantity
            row.append(quantity)
        rows.append(row)
    rows.append(["合計 Total (billed)"] + [""] * (len(TICKET_COLUMNS) - 1)
                + [totals[u.id] for u in units])
    return rows
