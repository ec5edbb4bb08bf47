"""Counters needed to meet a service level: Erlang B, C and A, pools of counters, and plans.

The one home of the queueing formulas. No maintained Erlang library installs on
the Python this project targets, and the formulas are short:

- Erlang B (loss) by the iterative recursion B(0) = 1,
  B(n) = A B(n-1) / (n + A B(n-1)): no factorials, no powers, stable for
  hundreds of servers.
- Erlang C (M/M/N, residents wait as long as it takes) from Erlang B:
  C = N B / (N - A (1 - B)); the share called within t is
  1 - C exp(-(N - A) t / s).
- Erlang A (M/M/N+M: residents give up after an exponential patience) from
  the birth-death chain of the number of residents present, truncated where
  its tail is negligible. The share of residents called within t follows a
  tagged arrival through the line by uniformisation. Used where history shows
  residents leaving (cancelled while waiting); it needs fewer counters than
  Erlang C, which assumes nobody ever leaves.

A *pool* is a set of counters of one kind (outsourced or staff-only) linked
by the services they share (``CounterService``): a resident of any of its
services may be called by any of its counters, so the pool is planned as one
queue. A plan gives, for each hour and pool, the fewest counters whose
service level meets the target for the strictest target of the pool's
services; ``flat_counters`` is the fewest constant counters that reach the
same expected share of residents over the plan's hours, for comparison.

The core takes plain numbers (arrivals per hour, minutes); ``office_week_plan``
reads an office's pools, targets, forecast and measured counter times.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TARGET_SHARE = 0.9  # e.g. 90% of residents called within the service's target
# A plan keeps each pool's occupancy (load / counters) at or below this. The
# formulas are steady-state: near full occupancy a line takes hours to settle,
# longer than the hour being planned, so a burst or a forecast error early in
# the day never clears (measured in ``python -m bench plan``: the moving
# procedures' pool, planned by Erlang A at ~100% occupancy, missed the SLA in
# a fifth of its hours, most of them in the afternoon). 85% is the ceiling
# workforce planning commonly uses for the same reason.
MAX_OCCUPANCY = 0.85
MAX_COUNTERS = 200  # a plan never asks for more counters than this per pool and hour
_TAIL = 1e-12  # Erlang A: the chain is truncated where its states weigh less than this
_MAX_LINE = 5_000  # ... or at this many residents waiting


# --- Erlang B and C ------------------------------------------------------------------


def erlang_b(*, servers: int, load: float) -> float:
    """Probability that a resident finds every one of ``servers`` busy, lost traffic model."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must not be negative")
    b = 1.0
    for n in range(1, servers + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(*, servers: int, load: float) -> float:
    """Probability that a resident waits at all (M/M/N); 1.0 when the load reaches the servers."""
    if servers <= 0 or load >= servers:
        return 1.0
    if load <= 0:
        return 0.0
    b = erlang_b(servers=servers, load=load)
    return servers * b / (servers - load * (1 - b))


def service_level(*, servers: int, load: float, service_minutes: float,
                  target_minutes: float) -> float:
    """Share of residents called within ``target_minutes`` (Erlang C: nobody gives up)."""
    if servers <= 0:
        return 0.0
    if load <= 0:
        return 1.0
    if load >= servers:
        return 0.0
    c = erlang_c(servers=servers, load=load)
    return 1.0 - c * math.exp(-(servers - load) * target_minutes / service_minutes)


def mean_wait_minutes(*, servers: int, load: float, service_minutes: float) -> float:
    """Mean wait of all residents (Erlang C), infinite when the load reaches the servers."""
    if load <= 0:
        return 0.0
    if load >= servers:
        return math.inf
    return erlang_c(servers=servers, load=load) * service_minutes / (servers - load)


# --- Erlang A --------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangA:
    """Steady-state figures of an M/M/N+M queue (residents who may give up)."""

    p_wait: float  # share of arrivals that find every counter busy
    served_within: float  # share of arrivals called within the target time
    abandoned: float  # share of arrivals that give up before being called


def erlang_a(*, servers: int, arrivals_per_minute: float, service_minutes: float,
             patience_minutes: float, target_minutes: float) -> ErlangA:
    """Erlang A: waiting, called within the target, and giving up, with exponential patience."""
    if servers <= 0:
        return ErlangA(1.0, 0.0, 1.0)
    lam, mu, theta = arrivals_per_minute, 1.0 / service_minutes, 1.0 / patience_minutes
    if lam <= 0:
        return ErlangA(0.0, 1.0, 0.0)
    # log weights of "n present": Poisson-like up to the counters, then the line, where
    # each waiting resident may leave; truncated where the line's tail is negligible.
    log_load = math.log(lam / mu)
    logs = [n * log_load - math.lgamma(n + 1) for n in range(servers + 1)]
    q = 0
    while q < _MAX_LINE:
        q += 1
        logs.append(logs[-1] + math.log(lam / (servers * mu + q * theta)))
        if q * theta > lam and logs[-1] < logs[servers] + math.log(_TAIL):
            break
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    queued = [w / total for w in weights[servers:]]  # queued[q]: arrival finds q waiting
    p_wait = sum(queued)
    # A tagged arrival finding q waiting moves up at servers*mu + j*theta (j ahead) and
    # gives up itself at theta. Uniformised at the fastest rate, its position is a
    # discrete chain; P(called by t) = sum over k of Poisson(k; rate t) P(called in k steps).
    rates = [servers * mu + j * theta for j in range(len(queued))]
    uniform = rates[-1] + theta
    mean_steps = uniform * target_minutes
    position = list(queued)  # probability of waiting with j residents ahead
    called = 0.0  # mass called within k steps
    within = 0.0
    if mean_steps > 0:
        log_mean = math.log(mean_steps)
        for k in range(int(mean_steps + 10 * math.sqrt(mean_steps) + 20) + 1):
            if k:
                called += position[0] * rates[0] / uniform
                moved = [0.0] * len(position)
                for j, p in enumerate(position):
                    moved[j] += p * (1 - (rates[j] + theta) / uniform)
                    if j:
                        moved[j - 1] += p * rates[j] / uniform
                position = moved
            within += math.exp(k * log_mean - mean_steps - math.lgamma(k + 1)) * called
    mean_line = sum(q * w for q, w in enumerate(queued))
    abandoned = min(1.0, theta * mean_line / lam)
    return ErlangA(p_wait=p_wait, served_within=min(1.0, 1 - p_wait + within),
                   abandoned=abandoned)


# --- counters needed -------------------------------------------------------------------


def share_called_within(*, servers: int, arrivals_per_hour: float, service_minutes: float,
                        target_minutes: float, patience_minutes: float | None = None) -> float:
    """Expected share of residents called within the target: Erlang A with patience, else C."""
    if arrivals_per_hour <= 0:
        return 1.0
    if patience_minutes is None:
        return service_level(servers=servers, load=arrivals_per_hour * service_minutes / 60,
                             service_minutes=service_minutes, target_minutes=target_minutes)
    return erlang_a(servers=servers, arrivals_per_minute=arrivals_per_hour / 60,
                    service_minutes=service_minutes, patience_minutes=patience_minutes,
                    target_minutes=target_minutes).served_within


def counters_needed(*, arrivals_per_hour: float, service_minutes: float, target_minutes: float,
                    target_share: float = TARGET_SHARE,
                    patience_minutes: float | None = None,
                    max_occupancy: float = MAX_OCCUPANCY) -> int:
    """Fewest counters calling ``target_share`` within ``target_minutes``, occupancy capped."""
    if arrivals_per_hour <= 0:
        return 0
    load = arrivals_per_hour * service_minutes / 60
    n = max(1, math.floor(load) + 1)  # Erlang C needs more counters than the load
    floor = max(1, math.ceil(load / max_occupancy - 1e-9))
    while n < MAX_COUNTERS and service_level(
            servers=n, load=load, service_minutes=service_minutes,
            target_minutes=target_minutes) < target_share:
        n += 1
    if patience_minutes is None:
        return max(n, floor)
    # Residents who give up lighten the line: Erlang A never needs more than Erlang C.
    while n > floor and share_called_within(
            servers=n - 1, arrivals_per_hour=arrivals_per_hour, service_minutes=service_minutes,
            target_minutes=target_minutes, patience_minutes=patience_minutes) >= target_share:
        n -= 1
    return max(n, floor)


# --- pools -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """Counters of one kind that share services, planned as one queue."""

    kind: str
    counters: tuple[int, ...]
    services: tuple[int, ...]

    @property
    def key(self) -> str:
        """A stable name: the kind and the lowest counter id."""
        return f"{self.kind}-{min(self.counters)}"


def pools_from(*, links: Iterable[tuple[int, str, int]],
               step_kinds: Mapping[int, set[str]]) -> list[Pool]:
    """Pools from (counter id, counter kind, service id) links and each service's step kinds.

    A counter serves a service's steps of its own kind only, so a link counts
    where the service has a step of the counter's kind. Counters are joined
    when they share a service (union-find).
    """
    parent: dict[int, int] = {}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    kinds: dict[int, str] = {}
    by_service: dict[tuple[int, str], list[int]] = defaultdict(list)
    for counter_id, kind, service_id in links:
        if kind not in step_kinds.get(service_id, set()):
            continue
        parent.setdefault(counter_id, counter_id)
        kinds[counter_id] = kind
        by_service[(service_id, kind)].append(counter_id)
    for counters in by_service.values():
        for other in counters[1:]:
            a, b = find(counters[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, set[int]] = defaultdict(set)
    for counter_id in parent:
        groups[find(counter_id)].add(counter_id)
    pools = []
    for members in groups.values():
        kind = kinds[min(members)]
        services = sorted({s for (s, k), cs in by_service.items() if k == kind
                           and members.intersection(cs)})
        pools.append(Pool(kind=kind, counters=tuple(sorted(members)), services=tuple(services)))
    return sorted(pools, key=lambda p: (p.kind, min(p.counters)))


# --- plans -----------------------------------------------------------------------------


@dataclass
class PoolHour:
    """One hour of one pool in a plan."""

    pool: str
    start: datetime.datetime
    arrivals: float  # expected residents reaching the pool in the hour
    service_minutes: float  # arrival-weighted mean counter minutes
    target_minutes: float
    counters: int
    share_within: float  # expected share called within the target with these counters


@dataclass
class Plan:
    """Counters per pool and hour, with the flat alternative for comparison."""

    hours: list[PoolHour] = field(default_factory=list)
    flat: dict[str, int] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)
    target_share: float = TARGET_SHARE

    def counter_hours(self) -> int:
        """Counter-hours the plan asks for."""
        return sum(h.counters for h in self.hours)

    def by_kind(self) -> dict[datetime.datetime, dict[str, int]]:
        """Counters per hour and counter kind (outsourced / staff_only): its pools added up."""
        out: dict[datetime.datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for h in self.hours:
            out[h.start][self.pools[h.pool].kind] += h.counters
        return {start: dict(kinds) for start, kinds in sorted(out.items())}

    def flat_counter_hours(self) -> int:
        """Counter-hours of flat staffing over the same open hours."""
        open_hours: dict[str, int] = defaultdict(int)
        for h in self.hours:
            open_hours[h.pool] += 1
        return sum(self.flat.get(p, 0) * n for p, n in open_hours.items())


def pool_load(*, pool: Pool, kind: str, arrivals: Mapping[int, float],
              visits: Mapping[tuple[int, str], float],
              minutes: Mapping[tuple[int, str], float]) -> tuple[float, float]:
    """Residents per hour reaching the pool and their weighted mean counter minutes."""
    total, work = 0.0, 0.0
    for service_id in pool.services:
        n = arrivals.get(service_id, 0.0) * visits.get((service_id, kind), 1.0)
        total += n
        work += n * minutes.get((service_id, kind), 0.0)
    return total, (work / total if total > 0 else 0.0)


def plan_hours(*, pools: Iterable[Pool], arrivals: Mapping[datetime.datetime, Mapping[int, float]],
               visits: Mapping[tuple[int, str], float],
               minutes: Mapping[tuple[int, str], float], targets: Mapping[int, float],
               target_share: float = TARGET_SHARE,
               patience_minutes: float | None = None) -> Plan:
    """Counters per pool for each hour of ``arrivals`` (hour start -> service id -> expected).

    ``visits`` is the number of visits a ticket of the service makes to a
    step of that kind (1.0 when every ticket goes there once; transfers add
    to it), ``minutes`` the mean counter minutes per visit, ``targets`` each
    service's target wait. A pool's target is its strictest service's.
    """
    plan = Plan(target_share=target_share)
    for pool in pools:
        plan.pools[pool.key] = pool
        target = min((targets[s] for s in pool.services if s in targets), default=15.0)
        for start in sorted(arrivals):
            n, mean = pool_load(pool=pool, kind=pool.kind, arrivals=arrivals[start],
                                visits=visits, minutes=minutes)
            counters = counters_needed(arrivals_per_hour=n, service_minutes=mean or 1.0,
                                       target_minutes=target, target_share=target_share,
                                       patience_minutes=patience_minutes) if n > 0 else 0
            plan.hours.append(PoolHour(
                pool=pool.key, start=start, arrivals=n, service_minutes=mean,
                target_minutes=target, counters=counters,
                share_within=share_called_within(
                    servers=counters, arrivals_per_hour=n, service_minutes=mean or 1.0,
                    target_minutes=target, patience_minutes=patience_minutes)))
    plan.flat = flat_counters(plan=plan, patience_minutes=patience_minutes)
    return plan


def expected_share(*, hours: Iterable[PoolHour], counters: int | None = None,
                   patience_minutes: float | None = None) -> float:
    """Arrival-weighted share called within target over the hours (``counters``: constant)."""
    called = total = 0.0
    for h in hours:
        if h.arrivals <= 0:
            continue
        share = h.share_within if counters is None else share_called_within(
            servers=counters, arrivals_per_hour=h.arrivals, service_minutes=h.service_minutes,
            target_minutes=h.target_minutes, patience_minutes=patience_minutes)
        called += share * h.arrivals
        total += h.arrivals
    return called / total if total else 1.0


def flat_counters(*, plan: Plan, patience_minutes: float | None = None) -> dict[str, int]:
    """Per pool, the fewest constant counters reaching the plan's expected share of residents."""
    flat = {}
    by_pool: dict[str, list[PoolHour]] = defaultdict(list)
    for h in plan.hours:
        by_pool[h.pool].append(h)
    for key, hours in by_pool.items():
        goal = expected_share(hours=hours)
        n = min((h.counters for h in hours if h.counters), default=0)
        while n < MAX_COUNTERS and expected_share(
                hours=hours, counters=n, patience_minutes=patience_minutes) < goal - 1e-9:
            n += 1
        flat[key] = n
    return flat


# --- an office's coming week (database reads) -------------------------------------------


def office_pools(*, office_id: int) -> list[Pool]:
    """The office's pools, from which counters serve which services."""
    from .models import CounterService, Step

    step_kinds: dict[int, set[str]] = defaultdict(set)
    for service_id, kind in Step.objects.filter(
            service__office_id=office_id, service__active=True).values_list("service_id", "kind"):
        step_kinds[service_id].add(kind)
    links = CounterService.objects.filter(counter__office_id=office_id).values_list(
        "counter_id", "counter__kind", "service_id")
    return pools_from(links=links, step_kinds=step_kinds)


def office_week_plan(*, office_id: int, week_start: datetime.date,
                     target_share: float = TARGET_SHARE,
                     now: datetime.datetime | None = None) -> Plan:
    """The plan for seven days from ``week_start``, from the office's forecast and history."""
    from . import forecast
    from .models import Service

    active = Service.objects.filter(office_id=office_id, active=True).values_list("id", flat=True)
    model = forecast.restricted(forecast.office_model(office_id=office_id, now=now), active)
    times = forecast.counter_times(office_id=office_id, now=now)
    hourly: dict[datetime.datetime, dict[int, float]] = defaultdict(dict)
    for day in (week_start + datetime.timedelta(days=i) for i in range(7)):
        for (service_id, hour), n in model.predict(day=day).items():
            start = forecast.hour_start(day=day, hour=hour)
            hourly[start][service_id] = n
    targets = dict(Service.objects.filter(office_id=office_id).values_list(
        "id", "target_wait_minutes"))
    return plan_hours(pools=office_pools(office_id=office_id), arrivals=hourly,
                      visits=times.visits, minutes=times.minutes, targets=targets,
                      target_share=target_share, patience_minutes=times.patience_minutes)
