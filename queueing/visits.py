"""A ticket's visits to each step's line, from the audit trail: when it joined, was called
and was handled; and the hourly aggregates published as open data.

Definitions, the same as the supervisor's history and contract reports
(``reports.py``'s docstring; ``tests/queueing/test_visits.py`` checks that
both give the same figures):

- a visit starts when the ticket joins a step's line: issued, passed on to
  the next step, or transferred. A no-show put back in line or a held ticket
  resumed does not start a new visit.
- its wait runs to the first call at that step.
- it is handled when the step is finished at a counter (completed, passed to
  the next step, or transferred) from the called or serving state; no-shows
  are not handled (the contract's "handled transaction").

Hourly aggregates hold counts and wait percentiles only: no ticket numbers,
tokens, booking references or staff. Percentiles of fewer than
``MIN_WAITS_FOR_PERCENTILES`` waits are withheld (null): the wait of one or
two residents in an hour is close to a fact about a person.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from statistics import median
from zoneinfo import ZoneInfo

from .events import JOINS_A_LINE as JOINING
from .events import STEP_FINISHED as HANDLED
from .events import Action
from .models import AT_COUNTER, Service, Step, TicketEvent

TOKYO = ZoneInfo("Asia/Tokyo")
CALLED = Action.CALLED
MIN_WAITS_FOR_PERCENTILES = 5


@dataclass
class Visit:
    """One ticket's visit to one step's line."""

    service_id: int
    kind: str
    joined_at: datetime.datetime
    called_at: datetime.datetime | None = None
    handled_at: datetime.datetime | None = None

    @property
    def wait_minutes(self) -> float | None:
        """Minutes from joining the line to the first call (None: never called)."""
        if self.called_at is None:
            return None
        return (self.called_at - self.joined_at).total_seconds() / 60


def step_visits(*, office_id: int, day_from: datetime.date,
                day_to: datetime.date) -> Iterator[Visit]:
    """Every visit of the tickets of the business days day_from..day_to (one query)."""
    steps = dict(Step.objects.filter(service__office_id=office_id).values_list("id", "kind"))
    step_service = dict(Step.objects.filter(service__office_id=office_id).values_list(
        "id", "service_id"))
    rows = (
        TicketEvent.objects.filter(
            ticket__office_id=office_id, ticket__business_day__gte=day_from,
            ticket__business_day__lte=day_to)
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "action", "from_status", "from_step_id", "to_step_id")
    )
    ticket = None
    current: Visit | None = None
    for ticket_id, at, action, from_status, from_step_id, to_step_id in rows.iterator():
        if ticket_id != ticket:
            if current is not None:
                yield current
            ticket, current = ticket_id, None
        if action == CALLED and current is not None and current.called_at is None:
            current.called_at = at
        if action in HANDLED and from_status in AT_COUNTER and current is not None \
                and from_step_id in steps:
            current.handled_at = at
        if action in JOINING:
            if current is not None:
                yield current
            current = Visit(service_id=step_service[to_step_id], kind=steps[to_step_id],
                            joined_at=at)
        elif action == Action.COMPLETED and current is not None:
            yield current
            current = None
    if current is not None:
        yield current


def _p90(sorted_waits: list[float]) -> float:
    # Nearest rank, as the supervisor's history report: the ceil(0.9 n)-th smallest.
    return sorted_waits[math.ceil(0.9 * len(sorted_waits)) - 1]


def hourly(*, office_id: int, day_from: datetime.date, day_to: datetime.date) -> list[dict]:
    """Per business day, hour (Asia/Tokyo), procedure and counter kind: arrivals (residents
    joining the line), handled steps, and the waits of those who joined in that hour."""
    codes = dict(Service.objects.filter(office_id=office_id).values_list("id", "code"))
    names = dict(Service.objects.filter(office_id=office_id).values_list("id", "name"))
    cells: dict[tuple, dict] = defaultdict(lambda: {"arrivals": 0, "served": 0, "waits": []})
    for v in step_visits(office_id=office_id, day_from=day_from, day_to=day_to):
        joined = v.joined_at.astimezone(TOKYO)
        cell = cells[(joined.date(), joined.hour, v.service_id, v.kind)]
        cell["arrivals"] += 1
        if v.wait_minutes is not None:
            cell["waits"].append(v.wait_minutes)
        if v.handled_at is not None:
            handled = v.handled_at.astimezone(TOKYO)
            cells[(handled.date(), handled.hour, v.service_id, v.kind)]["served"] += 1
    rows = []
    for (day, hour, service_id, kind), cell in sorted(
            cells.items(), key=lambda kv: (kv[0][0], kv[0][1], codes.get(kv[0][2], ""),
                                           kv[0][3])):
        if not day_from <= day <= day_to:
            continue  # handled after midnight of the last day
        waits = sorted(cell["waits"])
        enough = len(waits) >= MIN_WAITS_FOR_PERCENTILES
        rows.append({
            "date": day.isoformat(),
            "hour": hour,
            "procedure": codes.get(service_id, ""),
            "procedure_name": names.get(service_id, ""),
            "counter_kind": kind,
            "arrivals": cell["arrivals"],
            "served": cell["served"],
            "waits": len(waits),
            "waited_p50_minutes": round(median(waits), 1) if enough else None,
            "waited_p90_minutes": round(_p90(waits), 1) if enough else None,
        })
    return rows
