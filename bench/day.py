"""``python -m bench day``: a simulated day of a large ward office; how good is the wait estimate?

Runs in-process on a throwaway database (Django's test-database machinery:
in-memory SQLite by default, ``test_<name>`` on PostgreSQL when
DATABASE_URL is set) through the real services: ``ticket_issue``,
``ticket_call_next``, ``ticket_start``, ``ticket_complete``,
``ticket_no_show``, ``ticket_transfer``, ``counter_set_status``. Time is
compressed by setting the clock the services read (``timezone.now``) to the
simulated moment of each action, so a day of 8.5 hours runs in a minute.

For every ticket it records the estimate given at issue (``estimates``, the
one the kiosk shows) and the naive estimate, then the wait that followed
(first call - issue). Naive = people ahead in the ticket's own line
(``selectors.people_ahead``) x the service's mean service time (the same
recent measurement, blended with the configured default, that the
estimator uses) / the open counters of the step's kind that serve the
service. The only difference is the model, not the inputs. Last line:
``{"bench": "day", "tickets", "estimate_mae_min", "naive_mae_min", "ratio", ...}``.
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import itertools
import json
import os
import random
import sys
import time
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

# service code -> (share of arrivals, true mean minutes per step); the office's
# configured defaults (demo.py) are deliberately not the truth.
MIX = {
    "juminhyo": (0.25, [0.9]),
    "inkan": (0.08, [0.9]),
    "koseki": (0.08, [1.4]),
    "zeisho": (0.08, [1.1]),
    "tennyu": (0.10, [2.2, 2.2]),
    "kokuho": (0.08, [1.8, 1.7]),
    "nenkin": (0.05, [1.8]),
    "jidoteate": (0.04, [1.8, 2.2]),
    "mynumber": (0.12, [2.4]),
    "koseki-todoke": (0.05, [3.4]),
    "fukushi": (0.03, [7.0]),
    "genmen": (0.04, [4.2]),
}
# Counters 9-20 added to the demo's 1-8 (number, label, kind, services in rank order).
EXTRA_COUNTERS = [
    (9, "証明書 3", "outsourced", ["juminhyo", "inkan", "koseki", "zeisho"]),
    (10, "証明書 4", "outsourced", ["zeisho", "koseki", "juminhyo", "inkan"]),
    (11, "証明書 5", "outsourced", ["juminhyo", "inkan", "koseki", "zeisho"]),
    (12, "住民異動 受付 2", "outsourced", ["tennyu", "kokuho", "nenkin", "jidoteate"]),
    (13, "保険・年金 受付 2", "outsourced", ["kokuho", "nenkin", "jidoteate", "tennyu"]),
    (14, "住民異動 受付 3", "outsourced", ["tennyu", "nenkin", "kokuho", "jidoteate"]),
    (15, "マイナンバーカード 2", "outsourced", ["mynumber"]),
    (16, "住民異動 審査 2", "staff_only", ["tennyu", "kokuho", "koseki-todoke"]),
    (17, "住民異動 審査 3", "staff_only", ["kokuho", "tennyu", "koseki-todoke"]),
    (18, "福祉・子育て 2", "staff_only", ["fukushi", "jidoteate"]),
    (19, "税・戸籍 2", "staff_only", ["genmen", "koseki-todoke", "tennyu"]),
    (20, "審査 応援", "staff_only", ["jidoteate", "kokuho", "tennyu", "koseki-todoke"]),
]
# Arrival intensity by hour of day (morning peak, lunch dip).
INTENSITY = [(8.5, 1.2), (9, 1.9), (10, 1.8), (11, 1.3), (12, 0.8), (13, 1.0), (14, 1.0),
             (15, 0.9), (16, 0.6)]
OPEN_AT, CLOSE_AT = 8.5, 17.0
NO_SHOW_RATE = 0.04
TRANSFER_RATE = 0.03  # outsourced single-step cases that need a civil servant's judgment
WALK_MINUTES = 0.4  # called -> at the counter


def _arrival_times(rng: random.Random, n: int, day: datetime.date) -> list[datetime.datetime]:
    bounds = [(h, INTENSITY[i + 1][0] if i + 1 < len(INTENSITY) else CLOSE_AT - 0.25, w)
              for i, (h, w) in enumerate(INTENSITY)]
    weights = [(b - a) * w for a, b, w in bounds]
    out = []
    for _ in range(n):
        a, b, _w = rng.choices(bounds, weights=weights)[0]
        hour = rng.uniform(a, b)
        out.append(datetime.datetime.combine(day, datetime.time(0), TOKYO)
                   + datetime.timedelta(hours=hour))
    return sorted(out)


def main(argv: list[str]) -> int:
    """Run the simulated day and print the JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench day")
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_databases, teardown_databases

    # No screen is connected in this in-process day: publishing to an in-memory layer
    # nobody reads cost a third of the run (a thread per event) and measures nothing here.
    settings.CHANNEL_LAYERS = {}

    old = setup_databases(verbosity=0, interactive=False, serialized_aliases=[])
    try:
        result = _simulate(args.tickets, args.seed)
    finally:
        teardown_databases(old, verbosity=0)
    print(json.dumps(result))
    return 0


class _Clock:
    def __init__(self, now: datetime.datetime):
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now.astimezone(datetime.UTC)


def _simulate(n_tickets: int, seed: int) -> dict:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from demo.city_hall import demo_load
    from queueing import estimates, hours, selectors, services
    from queueing.models import Counter, CounterService, Kind, Service, Ticket

    rng = random.Random(seed)
    day = datetime.date(2026, 6, 10)  # a Wednesday
    clock = _Clock(datetime.datetime.combine(day, datetime.time(8, 0), TOKYO))
    real_now = timezone.now
    timezone.now = clock  # the services read the simulated clock
    try:
        office = demo_load()
        by_code = {s.code: s for s in Service.objects.filter(office=office)}
        for number, label, kind, codes in EXTRA_COUNTERS:
            c = Counter.objects.create(office=office, number=number, label=label, kind=kind)
            for rank, code in enumerate(codes):
                CounterService.objects.create(counter=c, service=by_code[code], rank=rank)
        counters = list(Counter.objects.filter(office=office))
        contractor = User.objects.get(username="contractor")
        municipal = User.objects.get(username="municipal")
        staff_for = {Kind.OUTSOURCED: contractor, Kind.STAFF_ONLY: municipal}
        for c in counters:
            services.counter_set_status(counter=c, by=staff_for[c.kind], status="open")
        counter_of = {c.id: c for c in Counter.objects.filter(office=office)}

        codes = list(MIX)
        weights = [MIX[c][0] for c in codes]
        seq = itertools.count()
        heap: list = []

        def push(at: datetime.datetime, kind: str, payload) -> None:
            heapq.heappush(heap, (at, next(seq), kind, payload))

        for at in _arrival_times(rng, n_tickets, day):
            push(at, "arrive", None)
        lunch = datetime.datetime.combine(day, datetime.time(12, 0), TOKYO)
        for c in counter_of.values():
            if c.number % 3 == 0:  # every third counter takes a 45-minute lunch break
                push(lunch + datetime.timedelta(minutes=(c.number % 2) * 45), "break", c.id)
        idle: set[int] = set(counter_of)
        busy: set[int] = set()
        on_break: set[int] = set()
        estimate_at_issue: dict[int, tuple[float, float]] = {}
        true_minutes: dict[int, list[float]] = {}
        no_show_plan: dict[int, int] = {}

        serves: dict[tuple[int, str], list[int]] = {}
        for cs in CounterService.objects.filter(counter__office=office).select_related("counter"):
            serves.setdefault((cs.service_id, cs.counter.kind), []).append(cs.counter_id)

        def wake(at, ticket):
            # One idle counter that may serve the ticket's step looks at the line.
            for cid in serves.get((ticket.service_id, ticket.step.kind), []):
                if cid in idle:
                    idle.discard(cid)
                    push(at, "free", cid)
                    return

        started = time.perf_counter()
        while heap:
            at, _, kind, payload = heapq.heappop(heap)
            clock.now = at
            if kind == "arrive":
                code = rng.choices(codes, weights=weights)[0]
                service = by_code[code]
                if not hours.service_availability(service=service, at=at).open:
                    code, service = "juminhyo", by_code["juminhyo"]
                priority = Ticket.Priority.ASSISTANCE if rng.random() < 0.03 else 0
                t = services.ticket_issue(service=service, priority=priority)
                true_minutes[t.id] = [rng.lognormvariate(0, 0.45) * m for m in MIX[code][1]]
                forecast = estimates.office_forecast(office_id=office.id)
                est = forecast.ticket_minutes(t.id, at)
                if est is None:
                    est = estimates.HORIZON.total_seconds() / 60
                ahead = selectors.people_ahead(ticket=t)
                mean = forecast.service_minutes.get((service.id, t.step.kind),
                                                    float(service.default_service_minutes))
                n_open = Counter.objects.filter(
                    office=office, status=Counter.Status.OPEN, kind=t.step.kind,
                    counterservice__service=service).count()
                estimate_at_issue[t.id] = (est, ahead * mean / max(1, n_open))
                wake(at, t)
            elif kind == "free":
                cid = payload
                if cid in on_break:
                    continue
                c = counter_of[cid]
                t = services.ticket_call_next(counter=c, by=staff_for[c.kind])
                if t is None:
                    idle.add(cid)
                    continue
                busy.add(cid)
                tries = no_show_plan.get(t.id, 0)
                if rng.random() < (NO_SHOW_RATE if tries == 0 else 0.5) and t.step.order == 1:
                    no_show_plan[t.id] = tries + 1
                    push(at + datetime.timedelta(minutes=1.5), "no_show", (cid, t.id))
                else:
                    push(at + datetime.timedelta(minutes=WALK_MINUTES), "start", (cid, t.id))
            elif kind == "no_show":
                cid, tid = payload
                t = services.ticket_no_show(ticket=Ticket(pk=tid), counter=counter_of[cid],
                                            by=staff_for[counter_of[cid].kind])
                busy.discard(cid)
                push(at, "free", cid)
                if t.status == Ticket.Status.WAITING:
                    wake(at, t)
            elif kind == "start":
                cid, tid = payload
                t = services.ticket_start(ticket=Ticket(pk=tid), counter=counter_of[cid],
                                          by=staff_for[counter_of[cid].kind])
                minutes = true_minutes[tid][t.step.order - 1]
                push(at + datetime.timedelta(minutes=minutes), "finish", (cid, tid))
            elif kind == "finish":
                cid, tid = payload
                c = counter_of[cid]
                t = Ticket.objects.select_related("service", "step").get(pk=tid)
                single = t.service.steps.count() == 1
                if (single and c.kind == Kind.OUTSOURCED and rng.random() < TRANSFER_RATE):
                    services.ticket_transfer(ticket=t, counter=c, by=staff_for[c.kind],
                                             reason="職員の判断が必要",
                                             to_service=by_code["koseki-todoke"])
                    true_minutes[tid] = [rng.lognormvariate(0, 0.45) * 4.0]
                    wake(at, Ticket.objects.select_related("step").get(pk=tid))
                else:
                    t = services.ticket_complete(ticket=t, counter=c, by=staff_for[c.kind])
                    if t.status == Ticket.Status.WAITING:
                        wake(at, t)
                busy.discard(cid)
                push(at, "free", cid)
            elif kind == "break":
                cid = payload
                c = counter_of[cid]
                if cid in busy:  # finish the current ticket first
                    push(at + datetime.timedelta(minutes=1), "break", cid)
                    continue
                services.counter_set_status(counter=c, by=staff_for[c.kind], status="break")
                on_break.add(cid)
                idle.discard(cid)
                push(at + datetime.timedelta(minutes=45), "back", cid)
            elif kind == "back":
                cid = payload
                c = counter_of[cid]
                services.counter_set_status(counter=c, by=staff_for[c.kind], status="open")
                on_break.discard(cid)
                push(at, "free", cid)
        elapsed = time.perf_counter() - started

        errors_est, errors_naive = [], []
        waits = []
        for t in Ticket.objects.filter(office=office).values("id", "issued_at", "first_called_at"):
            if t["first_called_at"] is None or t["id"] not in estimate_at_issue:
                continue
            actual = (t["first_called_at"] - t["issued_at"]).total_seconds() / 60
            est, naive = estimate_at_issue[t["id"]]
            errors_est.append(abs(est - actual))
            errors_naive.append(abs(naive - actual))
            waits.append(actual)
    finally:
        timezone.now = real_now
    n = len(errors_est)
    mae = sum(errors_est) / n
    naive_mae = sum(errors_naive) / n
    return {
        "bench": "day",
        "tickets": n,
        "estimate_mae_min": round(mae, 2),
        "naive_mae_min": round(naive_mae, 2),
        "ratio": round(mae / naive_mae, 3) if naive_mae else None,
        "mean_wait_min": round(sum(waits) / n, 2),
        "counters": len(counter_of),
        "seconds": round(elapsed, 1),
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
