"""Figures for the supervisor: history by service and counter kind, contract counts.

(The live figures are a core read, ``queueing.selectors.office_live_figures``,
pushed to the dashboard by ``live/``.)

History is computed from the audit trail (``TicketEvent``) of the tickets of
the chosen business days, walked per ticket in time order. Definitions (the
same in the page, the CSV and the tests):

- issued: tickets issued (kiosk or staff); by kind, the kind of their first step.
- served: tickets completed, counted at the service and kind of the step they
  were completed at.
- no-shows: tickets closed as no-show (a first no-show within the grace time
  puts the ticket back in line and is not counted).
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

Contract report: a handled transaction is one step finished at an outsourced
counter (completed, passed to the next step, or transferred with a reason)
from the called or serving state; no-shows are not billed.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from statistics import mean, median

from django.utils import timezone

from queueing.events import STEP_FINISHED, Action
from queueing.models import Kind, Service, Step, Ticket, TicketEvent

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
    if name == "waits":
        return [["待ち時間(分) Wait (minutes)", "件数 Tickets"]] + [
            [label, n] for label, n in figures["wait_distribution"]]
    return None


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


def _month_end(month: datetime.date) -> datetime.date:
    nxt = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return nxt - datetime.timedelta(days=1)


def contract(*, office_id: int, month_from: datetime.date, month_to: datetime.date) -> list[dict]:
    """Transactions handled at outsourced counters, per month and service (the billing count)."""
    counts: dict[tuple[str, int], dict] = {}
    rows = TicketEvent.objects.filter(
        ticket__office_id=office_id,
        ticket__business_day__gte=month_from.replace(day=1),
        ticket__business_day__lte=_month_end(month_to),
        counter_kind=Kind.OUTSOURCED,
        action__in=STEP_FINISHED,
        from_status__in=AT_COUNTER,
    ).values_list("ticket__business_day", "from_step__service_id", "action")
    names = dict(Service.objects.filter(office_id=office_id).values_list("id", "name"))
    for day, service_id, action in rows:
        key = (f"{day:%Y-%m}", service_id)
        row = counts.setdefault(key, {"month": key[0], "service_id": service_id,
                                      "service": names.get(service_id, "?"),
                                      "completed": 0, "handed_over": 0, "total": 0})
        row["completed" if action == Action.COMPLETED else "handed_over"] += 1
        row["total"] += 1
    order = {sid: i for i, sid in enumerate(names)}
    return sorted(counts.values(), key=lambda r: (r["month"], order.get(r["service_id"], 0)))


def contract_table(rows: list[dict]) -> list[list]:
    """The contract report as CSV rows (header first)."""
    return [["月 Month", "手続き Service", "完了 Completed", "引継ぎ Handed over",
             "件数 Handled transactions"]] + [
        [r["month"], r["service"], r["completed"], r["handed_over"], r["total"]] for r in rows
    ]
