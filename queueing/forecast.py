"""Forecast of hourly arrivals per office and procedure: the one home of the forecast.

The model is a seasonal average with multiplicative day effects, fitted to
the recorded history (tickets by ``issued_at``, in Asia/Tokyo):

    arrivals(service, day, hour) = level(service, weekday)
                                   x effect(flag) for each flag of the day
                                   x share(service, weekday, hour)

- ``level``: mean arrivals of a plain day of that weekday.
- flags: the day after a holiday (the first open day after a weekday the
  office was closed: national holiday (jpholiday) or 12/29-1/3), month-end
  (last three days of the month), month-start (first three), the moving
  season (March and April, 転入・転出) and, on top of it, its peak (3/20-4/10,
  年度末・年度初め: cities announce these weeks as the busiest of the year),
  and special days (``SpecialDay``:
  a card-notice mailing, a benefit deadline ..., for one procedure or all).
- ``share``: the hour profile of that weekday, shrunk toward the office's.

Effects and levels are the Poisson maximum-likelihood estimates of that
product, found by backfitting (each factor in turn = observed / expected on
the days it applies to). A procedure's own effect is shrunk toward the
office-wide one (a gamma prior worth ``SERVICE_PRIOR`` arrivals), so a
procedure with little history follows the office. A special day with a
factor set uses that factor; without one, its kind's effect is estimated
from past days of the same kind. Closed days forecast nothing.

Why this and not a heavier model: ``python -m bench plan`` measures it
against "same hour last week" on a simulated ward office; it meets the
target there without a dependency (statsmodels) or a fitting step that a
supervisor cannot follow. ``Model.explain`` gives the factors of a day
("Monday x1.3, day after a holiday x1.2") so anyone can see why.

The core (``fit``, ``Model``) takes plain counts; the functions at the end
read an office's history from the database and cache its model.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .holidays import holiday_closed  # the one home of the rule

TOKYO = ZoneInfo("Asia/Tokyo")

AFTER_HOLIDAY = "after_holiday"
MONTH_END = "month_end"
MONTH_START = "month_start"
MOVING_SEASON = "moving_season"
MOVING_PEAK = "moving_peak"
SPECIAL = "special:"  # + the SpecialDay kind
CLOSED_KIND = "closed"
CALENDAR_FLAGS = (AFTER_HOLIDAY, MONTH_END, MONTH_START, MOVING_SEASON, MOVING_PEAK)

EDGE_DAYS = 3  # month-end: the last three days of a month; month-start: the first three
MOVING_MONTHS = (3, 4)
# 年度末・年度初め: most moves of the year fall between these (month, day)s, inclusive.
MOVING_PEAK_DAYS = ((3, 20), (4, 10))
SERVICE_PRIOR = 30.0  # arrivals' worth of belief that a procedure follows the office-wide effect
OFFICE_PRIOR_DAYS = 0.5  # flagged days' worth of belief that an effect is x1.0
PROFILE_PRIOR = 50.0  # arrivals' worth of belief in the office's hour profile
ITERATIONS = 25
HISTORY_WEEKS = 52  # the database model is fitted on this much history
TIMES_WEEKS = 4  # counter times and visits are measured over this much


# --- the calendar --------------------------------------------------------------------


@dataclass(frozen=True)
class Special:
    """A special day as the core sees it (from ``SpecialDay``)."""

    day: datetime.date
    kind: str
    label: str = ""
    factor: float | None = None  # None: estimated from past days of the kind
    service_id: int | None = None  # None: every procedure


def _closed_weekday(day: datetime.date, specials: Mapping[datetime.date, list[Special]]) -> bool:
    return day.weekday() < 5 and (holiday_closed(day) or any(
        s.kind == CLOSED_KIND and s.service_id is None for s in specials.get(day, ())))


def calendar_flags(day: datetime.date,
                   specials: Mapping[datetime.date, list[Special]] | None = None) -> list[str]:
    """The calendar flags of a day (after a holiday, month edges, moving season and peak)."""
    specials = specials or {}
    flags = []
    previous = day - datetime.timedelta(days=1)
    while previous.weekday() >= 5:  # the weekday before (Friday for a Monday)
        previous -= datetime.timedelta(days=1)
    if _closed_weekday(previous, specials):
        flags.append(AFTER_HOLIDAY)
    if day.day > calendar.monthrange(day.year, day.month)[1] - EDGE_DAYS:
        flags.append(MONTH_END)
    if day.day <= EDGE_DAYS:
        flags.append(MONTH_START)
    if day.month in MOVING_MONTHS:
        flags.append(MOVING_SEASON)
    if MOVING_PEAK_DAYS[0] <= (day.month, day.day) <= MOVING_PEAK_DAYS[1]:
        flags.append(MOVING_PEAK)
    return flags


def by_day(specials: Iterable[Special]) -> dict[datetime.date, list[Special]]:
    """Special days grouped by date."""
    out: dict[datetime.date, list[Special]] = defaultdict(list)
    for s in specials:
        out[s.day].append(s)
    return dict(out)


# --- the model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One reason a day is busier or quieter than an average open day."""

    flag: str  # "weekday", a calendar flag, or "special:<kind>"
    factor: float
    label: str = ""  # a special day's own name


@dataclass
class Model:
    """A fitted forecast: levels, hour profiles and effects; predicts any day."""

    services: tuple[int, ...]
    hours: tuple[int, ...]
    level: dict[tuple[int, int], float]  # (service, weekday) -> plain-day arrivals
    profile: dict[tuple[int, int], dict[int, float]]  # (service, weekday) -> hour -> share
    effects: dict[str, float]  # office-wide flag -> factor
    service_effects: dict[tuple[int, str], float]  # (service, flag) -> factor
    specials: dict[datetime.date, list[Special]] = field(default_factory=dict)
    fitted_from: datetime.date | None = None
    fitted_to: datetime.date | None = None
    days_fitted: int = 0

    def is_open(self, day: datetime.date) -> bool:
        """Whether the office is expected to be open (calendar, special days, weekdays seen)."""
        if holiday_closed(day):
            return False
        if any(s.kind == CLOSED_KIND and s.service_id is None for s in self.specials.get(day, ())):
            return False
        return any(self.level.get((s, day.weekday()), 0) > 0 for s in self.services)

    def _flags(self, day: datetime.date, service_id: int) -> list[tuple[str, float | None, str]]:
        flags: list[tuple[str, float | None, str]] = [
            (f, None, "") for f in calendar_flags(day, self.specials)]
        for s in self.specials.get(day, ()):
            if s.kind != CLOSED_KIND and s.service_id in (None, service_id):
                flags.append((SPECIAL + s.kind, s.factor, s.label))
        return flags

    def _effect(self, service_id: int, flag: str, fixed: float | None) -> float:
        if fixed is not None:
            return fixed
        return self.service_effects.get((service_id, flag), self.effects.get(flag, 1.0))

    def day_service(self, *, day: datetime.date, service_id: int) -> float:
        """Expected arrivals of one procedure on a day (0 when closed)."""
        if not self.is_open(day):
            return 0.0
        if any(s.kind == CLOSED_KIND and s.service_id == service_id
               for s in self.specials.get(day, ())):
            return 0.0
        n = self.level.get((service_id, day.weekday()), 0.0)
        for flag, fixed, _ in self._flags(day, service_id):
            n *= self._effect(service_id, flag, fixed)
        return n

    def predict(self, *, day: datetime.date) -> dict[tuple[int, int], float]:
        """Expected arrivals per (service id, hour) on a day; empty when closed."""
        if not self.is_open(day):
            return {}
        out = {}
        for s in self.services:
            n = self.day_service(day=day, service_id=s)
            if n <= 0:
                continue
            for hour, share in self.profile.get((s, day.weekday()), {}).items():
                out[(s, hour)] = n * share
        return out

    def day_total(self, *, day: datetime.date) -> float:
        """Expected arrivals at the office on a day."""
        return sum(self.day_service(day=day, service_id=s) for s in self.services)

    def hourly_total(self, *, day: datetime.date) -> dict[int, float]:
        """Expected arrivals at the office per hour of a day."""
        out: dict[int, float] = defaultdict(float)
        for (_, hour), n in self.predict(day=day).items():
            out[hour] += n
        return dict(out)

    def typical_day(self) -> float:
        """Mean plain-day arrivals over the open weekdays (the calendar's 'x1.0')."""
        totals = [sum(self.level.get((s, wd), 0.0) for s in self.services) for wd in range(7)]
        open_days = [t for t in totals if t > 0]
        return sum(open_days) / len(open_days) if open_days else 0.0

    def explain(self, *, day: datetime.date) -> list[Factor]:
        """Why a day is forecast busy or quiet: its weekday and each effect, office-wide."""
        if not self.is_open(day):
            return []
        typical = self.typical_day()
        plain = sum(self.level.get((s, day.weekday()), 0.0) for s in self.services)
        factors = [Factor("weekday", plain / typical if typical else 1.0)]
        seen: dict[tuple[str, str], tuple[float, float]] = {}
        for s in self.services:  # each effect weighted by the procedures it applies to
            base = self.level.get((s, day.weekday()), 0.0)
            for flag, fixed, label in self._flags(day, s):
                effect = self._effect(s, flag, fixed)
                with_, without = seen.get((flag, label), (0.0, 0.0))
                seen[(flag, label)] = (with_ + base * effect, without + base)
        for (flag, label), (with_, without) in seen.items():
            # A procedure-only effect is shown as its share of the whole office's day.
            ratio = (plain - without + with_) / plain if plain else 1.0
            factors.append(Factor(flag, ratio, label))
        return factors


def fit(*, counts: Mapping[tuple[int, datetime.date, int], int], day_from: datetime.date,
        day_to: datetime.date, specials: Iterable[Special] = (),
        services: Iterable[int] | None = None) -> Model:
    """Fit the model to arrival counts per (service id, day, hour) between two days inclusive.

    A day counts as observed when the calendar has it open and the office
    recorded at least one arrival (a day with none at all is taken as not
    recorded, e.g. before the system was in use). ``specials`` may include
    future days: the model keeps them to predict with.
    """
    specials = list(specials)
    special_days = by_day(specials)
    daily: dict[int, dict[datetime.date, int]] = defaultdict(lambda: defaultdict(int))
    hourly: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    office_hourly: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    office_day: dict[datetime.date, int] = defaultdict(int)
    hours: set[int] = set()
    for (_, day, _), n in counts.items():
        if day_from <= day <= day_to and n > 0:
            office_day[day] += n
    observed = sorted(d for d, n in office_day.items() if n > 0 and not holiday_closed(d)
                      and not any(x.kind == CLOSED_KIND and x.service_id is None
                                  for x in special_days.get(d, ())))
    observed_set = set(observed)
    for (s, day, hour), n in counts.items():
        if day in observed_set and n > 0:
            daily[s][day] += n
            hourly[(s, day.weekday())][hour] += n
            office_hourly[day.weekday()][hour] += n
            hours.add(hour)
    all_services = sorted(set(services or ()) | set(daily))
    model = Model(services=tuple(all_services), hours=tuple(sorted(hours)), level={},
                  profile={}, effects={}, service_effects={}, specials=special_days,
                  fitted_from=day_from, fitted_to=day_to, days_fitted=len(observed))
    if not observed:
        return model
    # Hour profiles: each procedure's, shrunk toward the office's profile of the weekday.
    for wd, by_hour in office_hourly.items():
        total = sum(by_hour.values())
        office_share = {h: n / total for h, n in by_hour.items()}
        for s in all_services:
            own = hourly.get((s, wd), {})
            n = sum(own.values())
            model.profile[(s, wd)] = {
                h: (own.get(h, 0) + PROFILE_PRIOR * share) / (n + PROFILE_PRIOR)
                for h, share in office_share.items()}
    # Flags per service and observed day (with fixed factors where a special day has one).
    flags: dict[tuple[int, datetime.date], list[tuple[str, float | None]]] = {}
    for s in all_services:
        for d in observed:
            flags[(s, d)] = [(f, fixed) for f, fixed, _ in model._flags(d, s)]
    estimable = sorted({f for fl in flags.values() for f, fixed in fl if fixed is None})
    effect = {f: 1.0 for f in estimable}
    service_effect = {(s, f): 1.0 for s in all_services for f in estimable}
    # Which observed days each (service, estimated flag) applies to, and what they saw.
    flagged: dict[tuple[int, str], list[datetime.date]] = defaultdict(list)
    for (s, d), fl in flags.items():
        for f, fixed in fl:
            if fixed is None:
                flagged[(s, f)].append(d)
    seen = {key: sum(daily[key[0]].get(d, 0) for d in days) for key, days in flagged.items()}
    flag_days = {f: len({d for (_, g), days in flagged.items() if g == f for d in days})
                 for f in estimable}
    by_weekday: dict[int, list[datetime.date]] = defaultdict(list)
    for d in observed:
        by_weekday[d.weekday()].append(d)
    level: dict[tuple[int, int], float] = {}
    for _ in range(ITERATIONS):
        multiplier = {}
        for (s, d), fl in flags.items():
            m = 1.0
            for f, fixed in fl:
                m *= fixed if fixed is not None else service_effect[(s, f)]
            multiplier[(s, d)] = m
        for s in all_services:
            for wd, days in by_weekday.items():
                expected = sum(multiplier[(s, d)] for d in days)
                level[(s, wd)] = sum(daily[s].get(d, 0) for d in days) / expected
        for f in estimable:
            # Expected on the flagged days with every factor but this one.
            expected = {s: sum(level[(s, d.weekday())] * multiplier[(s, d)]
                               for d in flagged.get((s, f), ())) / service_effect[(s, f)]
                        for s in all_services}
            observed_f = {s: seen.get((s, f), 0) for s in all_services}
            # Half a flagged day's worth of arrivals at x1.0: one odd day moves it less.
            prior = OFFICE_PRIOR_DAYS * sum(expected.values()) / max(1, flag_days[f])
            effect[f] = (sum(observed_f.values()) + prior) / (sum(expected.values()) + prior)
            for s in all_services:
                old = service_effect[(s, f)]
                service_effect[(s, f)] = ((observed_f[s] + SERVICE_PRIOR)
                                          / (expected[s] + SERVICE_PRIOR / effect[f]))
                for d in flagged.get((s, f), ()):  # keep the multipliers current
                    multiplier[(s, d)] *= service_effect[(s, f)] / old
    model.level = level
    model.effects = effect
    model.service_effects = service_effect
    return model


def with_specials(model: Model, specials: Iterable[Special]) -> Model:
    """The same fitted model with another list of special days to predict with."""
    return dataclasses.replace(model, specials=by_day(specials))


def restricted(model: Model, services: Iterable[int]) -> Model:
    """The same fitted model predicting only these procedures (e.g. the active ones)."""
    keep = set(services)
    return dataclasses.replace(model, services=tuple(s for s in model.services if s in keep))


def busy_level(*, expected: float, typical: float) -> str:
    """A day's level for the busy-day calendar: quiet, normal, busy or very_busy."""
    if typical <= 0:
        return "normal"
    ratio = expected / typical
    if ratio < 0.85:
        return "quiet"
    if ratio < 1.15:
        return "normal"
    if ratio < 1.4:
        return "busy"
    return "very_busy"


def hour_start(*, day: datetime.date, hour: int) -> datetime.datetime:
    """The aware start of an hour of a business day (Asia/Tokyo)."""
    return datetime.datetime.combine(day, datetime.time(hour), TOKYO)


def mean_absolute_error(forecast: Iterable[float], actual: Iterable[float]) -> float:
    """Mean absolute difference of two equally long series."""
    pairs = list(zip(forecast, actual, strict=True))
    return sum(abs(f - a) for f, a in pairs) / len(pairs) if pairs else math.nan


# --- counter times -------------------------------------------------------------------


@dataclass
class CounterTimes:
    """What a plan needs besides arrivals: counter minutes, visits per ticket, patience."""

    minutes: dict[tuple[int, str], float] = field(default_factory=dict)  # (service, kind)
    visits: dict[tuple[int, str], float] = field(default_factory=dict)  # per ticket issued
    patience_minutes: float | None = None  # None: residents rarely give up (Erlang C)


def patience_estimate(*, waited_minutes: float, gave_up: int, residents: int,
                      min_share: float = 0.01) -> float | None:
    """Mean patience (exponential) = total waiting time / residents who gave up.

    The maximum-likelihood estimate for exponential patience observed while
    waiting; None when fewer than ``min_share`` of residents gave up, where
    Erlang C (nobody leaves) is the safer model.
    """
    if residents <= 0 or gave_up < max(3, min_share * residents) or waited_minutes <= 0:
        return None
    return waited_minutes / gave_up


# --- the database ----------------------------------------------------------------------


def arrival_counts(*, office_id: int, day_from: datetime.date,
                   day_to: datetime.date) -> dict[tuple[int, datetime.date, int], int]:
    """Tickets issued per (service id, business day, hour) in Asia/Tokyo; one grouped query."""
    from django.db.models import Count
    from django.db.models.functions import TruncHour

    from .models import Ticket

    rows = (Ticket.objects.filter(office_id=office_id, business_day__gte=day_from,
                                  business_day__lte=day_to)
            .annotate(hour=TruncHour("issued_at", tzinfo=TOKYO))
            .values("service_id", "hour").annotate(n=Count("id")).order_by())
    out: dict[tuple[int, datetime.date, int], int] = defaultdict(int)
    for r in rows:
        local = r["hour"].astimezone(TOKYO)
        out[(r["service_id"], local.date(), local.hour)] += r["n"]
    return dict(out)


def office_specials(*, office_id: int) -> list[Special]:
    """The office's special days, past and future."""
    from .models import SpecialDay

    return [Special(day=d, kind=k, label=label, service_id=s,
                    factor=float(f) if f is not None else None)
            for d, k, label, s, f in SpecialDay.objects.filter(office_id=office_id).values_list(
                "date", "kind", "label", "service_id", "factor")]


def counter_times(*, office_id: int, now: datetime.datetime | None = None,
                  weeks: int = TIMES_WEEKS) -> CounterTimes:
    """Counter minutes and visits per ticket by (service, step kind), and patience, measured.

    Counter minutes are ``estimates.service_minutes_recent`` over the range
    (the estimator's own definition of counter time); visits are its samples
    per ticket issued; patience comes from tickets cancelled before any call.
    Where nothing was measured, the service's configured default minutes and
    one visit per step are used.
    """
    from django.db.models import F, Sum
    from django.utils import timezone

    from . import estimates
    from .models import Service, Step, Ticket

    now = now or timezone.now()
    since = now - datetime.timedelta(weeks=weeks)
    measured = estimates.service_minutes_recent(office_id=office_id, now=now, since=since,
                                                limit=None)
    tickets = Ticket.objects.filter(office_id=office_id, issued_at__gte=since, issued_at__lte=now)
    issued: dict[int, int] = defaultdict(int)
    for service_id in tickets.values_list("service_id", flat=True):
        issued[service_id] += 1
    defaults = dict(Service.objects.filter(office_id=office_id).values_list(
        "id", "default_service_minutes"))
    times = CounterTimes()
    for service_id, kind in Step.objects.filter(service__office_id=office_id).values_list(
            "service_id", "kind").distinct():
        key = (service_id, kind)
        mean, n = measured.get(key, (None, 0))
        times.minutes[key] = mean if mean is not None else float(defaults.get(service_id, 5))
        times.visits[key] = n / issued[service_id] if issued.get(service_id) and n else 1.0
    gave_up = tickets.filter(status=Ticket.Status.CANCELLED, first_called_at__isnull=True)
    waited = gave_up.aggregate(t=Sum(F("closed_at") - F("issued_at")))["t"]
    called = tickets.filter(first_called_at__isnull=False).aggregate(
        t=Sum(F("first_called_at") - F("issued_at")))["t"]
    total = sum(((waited or datetime.timedelta()), (called or datetime.timedelta())),
                datetime.timedelta())
    times.patience_minutes = patience_estimate(
        waited_minutes=total.total_seconds() / 60, gave_up=gave_up.count(),
        residents=sum(issued.values()))
    return times


def office_model(*, office_id: int, now: datetime.datetime | None = None) -> Model:
    """The office's model fitted on its history up to yesterday; cached for the day.

    The cache key holds the special days (so an edit shows at once) and the
    business day (the model is refitted each day).
    """
    from django.core.cache import cache
    from django.utils import timezone

    from . import numbering
    from .models import Service, Ticket

    now = now or timezone.now()
    today = numbering.business_day(now)
    specials = office_specials(office_id=office_id)
    # The newest past ticket too: history written or restored today refits the model.
    newest = (Ticket.objects.filter(office_id=office_id, business_day__lt=today)
              .order_by("-id").values_list("id", flat=True).first())
    digest = hashlib.sha1(repr((sorted(map(repr, specials)), newest)).encode()).hexdigest()[:16]
    key = f"queueing:forecast-model:{office_id}:{today}:{digest}"
    model = cache.get(key)
    if model is None:
        day_from = today - datetime.timedelta(weeks=HISTORY_WEEKS)
        day_to = today - datetime.timedelta(days=1)
        model = fit(counts=arrival_counts(office_id=office_id, day_from=day_from, day_to=day_to),
                    day_from=day_from, day_to=day_to, specials=specials,
                    services=Service.objects.filter(office_id=office_id, active=True)
                    .values_list("id", flat=True))
        cache.set(key, model, timeout=3600)
    return model
