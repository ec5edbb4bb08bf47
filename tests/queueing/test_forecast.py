"""The forecast on a hand-made history: weekdays, holidays and the day after, special days,
the explanation a supervisor sees, and the history read from the database."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from queueing import estimates, forecast, services
from queueing.models import Counter, Service, SpecialDay

TOKYO = ZoneInfo("Asia/Tokyo")
D = datetime.date
CERTS, MYNUMBER = 1, 2
HOURS = range(9, 17)
FIRST, LAST = D(2025, 1, 6), D(2025, 3, 28)  # 12 weeks; holidays 1/13, 2/11, 2/24, 3/20
MAILING_DAY = D(2025, 2, 5)  # My Number: three times the usual after a card-notice mailing


def _per_hour(day: datetime.date, service: int) -> int:
    """The hand-made truth: certificates 10 an hour (13 on Mondays), My Number 5; the day
    after a holiday 1.5 times busier; the mailing day triples My Number."""
    n = (13 if day.weekday() == 0 else 10) if service == CERTS else 5
    if forecast.AFTER_HOLIDAY in forecast.calendar_flags(day):
        n = n * 3 // 2
    if service == MYNUMBER and day == MAILING_DAY:
        n *= 3
    return n


def _history() -> dict:
    counts = {}
    day = FIRST
    while day <= LAST:
        if day.weekday() < 5 and not forecast.holiday_closed(day):
            for service in (CERTS, MYNUMBER):
                for hour in HOURS:
                    counts[(service, day, hour)] = _per_hour(day, service)
        day += datetime.timedelta(days=1)
    return counts


PAST_MAILING = forecast.Special(day=MAILING_DAY, kind="card_notice_mailing",
                                label="交付通知書 発送", service_id=MYNUMBER)


@pytest.fixture(scope="module")
def model():
    return forecast.fit(counts=_history(), day_from=FIRST, day_to=LAST, specials=[PAST_MAILING])


def _factors(model, day) -> dict[str, float]:
    return {f.flag: f.factor for f in model.explain(day=day)}


# --- the calendar ----------------------------------------------------------------------


@pytest.mark.parametrize("day, flags", [
    (D(2025, 1, 6), ["after_holiday"]),  # Monday after the year-end break (12/29-1/3)
    (D(2025, 1, 14), ["after_holiday"]),  # Tuesday after Coming of Age Day (Monday)
    (D(2025, 2, 17), []),  # an ordinary Monday: the Friday before was open
    (D(2025, 2, 25), ["after_holiday"]),  # after 2/24, the Emperor's Birthday observed
    (D(2025, 1, 31), ["month_end"]),
    (D(2025, 5, 7), ["after_holiday"]),  # after Golden Week
    (D(2025, 5, 1), ["month_start"]),
    (D(2025, 3, 3), ["month_start", "moving_season"]),
    (D(2025, 3, 25), ["moving_season", "moving_peak"]),
    (D(2025, 4, 30), ["after_holiday", "month_end", "moving_season"]),  # after Showa Day
])
def test_calendar_flags(day, flags):
    assert forecast.calendar_flags(day) == flags


def test_national_holidays_and_the_year_end_break_are_closed():
    assert forecast.holiday_closed(D(2025, 3, 20))  # Vernal Equinox Day
    assert forecast.holiday_closed(D(2025, 12, 29)) and forecast.holiday_closed(D(2026, 1, 3))
    assert not forecast.holiday_closed(D(2025, 3, 21))


def test_a_temporary_closure_makes_the_next_day_a_day_after_a_holiday():
    closure = forecast.Special(day=D(2025, 6, 11), kind="closed")
    assert forecast.calendar_flags(D(2025, 6, 12), forecast.by_day([closure])) == \
        ["after_holiday"]


# --- the fit ---------------------------------------------------------------------------


def test_a_holiday_is_forecast_closed(model):
    assert not model.is_open(D(2025, 4, 29))  # Showa Day
    assert model.predict(day=D(2025, 4, 29)) == {}
    assert model.explain(day=D(2025, 4, 29)) == []
    assert not model.is_open(D(2025, 4, 26))  # a Saturday: no history of Saturdays


def test_an_ordinary_day_is_forecast_from_its_weekday(model):
    tuesday = model.predict(day=D(2025, 4, 15))
    assert tuesday[(CERTS, 10)] == pytest.approx(10, rel=0.02)
    assert tuesday[(MYNUMBER, 10)] == pytest.approx(5, rel=0.02)
    assert model.day_total(day=D(2025, 4, 14)) == pytest.approx(8 * 13 + 8 * 5, rel=0.02)


def test_the_day_after_a_holiday_is_forecast_busier(model):
    # Tuesday 4/30 follows Showa Day; the history had four days after a holiday, all x1.5.
    plain = model.day_total(day=D(2025, 4, 22))
    after = model.day_total(day=D(2025, 5, 7))  # Wednesday after Golden Week
    wednesday = model.day_total(day=D(2025, 5, 14))
    assert after / wednesday == pytest.approx(1.5, rel=0.05)
    assert model.day_total(day=D(2025, 4, 30)) > plain  # after a holiday and month-end


def test_the_explanation_names_what_makes_a_day_busy(model):
    factors = _factors(model, D(2025, 5, 7))
    assert factors["after_holiday"] == pytest.approx(1.5, rel=0.05)
    monday = _factors(model, D(2025, 5, 12))
    typical = (8 * 13 + 8 * 5 + 4 * (8 * 10 + 8 * 5)) / 5
    assert monday == {"weekday": pytest.approx((8 * 13 + 8 * 5) / typical, rel=0.02)}
    # Flags the history shows no effect for come out at x1.0 (the page leaves them out).
    assert _factors(model, D(2025, 4, 17))["moving_season"] == pytest.approx(1.0, abs=0.03)


def test_a_special_day_with_a_factor_multiplies_only_its_procedure(model):
    day = D(2025, 5, 14)
    plain = model.predict(day=day)
    deadline = forecast.Special(day=day, kind="benefit_deadline", label="申請期限",
                                factor=2.0, service_id=MYNUMBER)
    special = forecast.with_specials(model, [deadline]).predict(day=day)
    assert special[(MYNUMBER, 11)] == pytest.approx(2 * plain[(MYNUMBER, 11)])
    assert special[(CERTS, 11)] == pytest.approx(plain[(CERTS, 11)])
    explained = forecast.with_specials(model, [deadline]).explain(day=day)
    assert [(f.flag, f.label) for f in explained][1:] == [
        ("special:benefit_deadline", "申請期限")]
    # Office-wide: My Number is a third of the day, so the day is 4/3 busier.
    assert explained[1].factor == pytest.approx(4 / 3, rel=0.01)


def test_a_special_day_without_a_factor_learns_from_past_days_of_its_kind(model):
    day = D(2025, 5, 21)
    mailing = forecast.Special(day=day, kind="card_notice_mailing", service_id=MYNUMBER)
    lifted = forecast.with_specials(model, [PAST_MAILING, mailing]).day_service(
        day=day, service_id=MYNUMBER)
    plain = model.day_service(day=day, service_id=MYNUMBER)
    # One past mailing tripled My Number: the estimate is shrunk toward x1.0, not beyond x3.
    assert 2.4 < lifted / plain < 3.0


def test_a_closure_for_one_procedure_forecasts_none_of_it(model):
    day = D(2025, 5, 22)
    closed = forecast.Special(day=day, kind="closed", service_id=MYNUMBER)
    predicted = forecast.with_specials(model, [closed]).predict(day=day)
    assert (MYNUMBER, 10) not in predicted and (CERTS, 10) in predicted


def test_an_empty_history_forecasts_nothing():
    empty = forecast.fit(counts={}, day_from=FIRST, day_to=LAST, services=[CERTS])
    assert not empty.is_open(D(2025, 4, 15))
    assert empty.predict(day=D(2025, 4, 15)) == {}
    assert empty.typical_day() == 0


def test_busy_levels_of_the_calendar():
    assert forecast.busy_level(expected=80, typical=100) == "quiet"
    assert forecast.busy_level(expected=100, typical=100) == "normal"
    assert forecast.busy_level(expected=130, typical=100) == "busy"
    assert forecast.busy_level(expected=150, typical=100) == "very_busy"


def test_patience_is_only_estimated_where_residents_give_up():
    assert forecast.patience_estimate(waited_minutes=6000, gave_up=30, residents=1000) == 200
    assert forecast.patience_estimate(waited_minutes=6000, gave_up=2, residents=1000) is None


# --- from the database -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    state = {}

    def at(day: datetime.date, hhmm: str) -> None:
        state["now"] = datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), TOKYO)

    monkeypatch.setattr(timezone, "now", lambda: state["now"].astimezone(datetime.UTC))
    return at


@pytest.mark.django_db
def test_arrivals_are_counted_by_hour_in_tokyo(office, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    day = D(2026, 6, 10)
    clock(day, "08:59")  # 23:59 UTC the day before
    services.ticket_issue(service=a)
    clock(day, "09:00")
    services.ticket_issue(service=a)
    clock(day, "09:59")
    services.ticket_issue(service=a)
    counts = forecast.arrival_counts(office_id=office.id, day_from=day, day_to=day)
    assert counts == {(a.id, day, 8): 1, (a.id, day, 9): 2}


@pytest.mark.django_db
def test_counter_times_come_from_the_estimators_measure_over_weeks(office, contractor, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    c1 = Counter.objects.get(office=office, number=1)
    day = D(2026, 6, 1)
    clock(day, "09:00")
    services.counter_set_status(counter=c1, by=contractor, status="open")
    for minute in (0, 10, 20):
        clock(day, f"09:{minute:02d}")
        t = services.ticket_issue(service=a)
        services.ticket_call_next(counter=c1, by=contractor)
        clock(day, f"09:{minute + 3:02d}")
        services.ticket_complete(ticket=t, counter=c1, by=contractor)
    clock(D(2026, 6, 15), "12:00")  # two weeks later: the live estimator has forgotten them
    assert estimates.service_minutes_recent(office_id=office.id) == {}
    times = forecast.counter_times(office_id=office.id)
    assert times.minutes[(a.id, "outsourced")] == pytest.approx(3.0)
    assert times.visits[(a.id, "outsourced")] == pytest.approx(1.0)
    tennyu = Service.objects.get(office=office, code="tennyu")
    assert times.minutes[(tennyu.id, "staff_only")] == tennyu.default_service_minutes
    assert times.patience_minutes is None  # nobody gave up


@pytest.mark.django_db
def test_the_office_model_sees_a_new_special_day_at_once(office, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    for day in (D(2026, 6, 1), D(2026, 6, 2), D(2026, 6, 3)):
        clock(day, "10:00")
        for _ in range(4):
            services.ticket_issue(service=a)
    clock(D(2026, 6, 8), "08:00")
    model = forecast.office_model(office_id=office.id)
    wednesday = D(2026, 6, 10)
    assert model.day_service(day=wednesday, service_id=a.id) == pytest.approx(4, rel=0.05)
    SpecialDay.objects.create(office=office, date=wednesday, label="申請期限",
                              kind=SpecialDay.Kind.BENEFIT_DEADLINE, factor=2)
    again = forecast.office_model(office_id=office.id)
    assert again.day_service(day=wednesday, service_id=a.id) == pytest.approx(8, rel=0.05)
    assert not again.is_open(D(2026, 6, 11))  # no Thursday in the history


@pytest.mark.django_db
def test_a_special_day_is_entered_once_and_with_a_positive_factor(office):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    SpecialDay.objects.create(office=office, date=D(2026, 6, 10), label="発送",
                              kind=SpecialDay.Kind.CARD_NOTICE_MAILING)
    again = SpecialDay(office=office, date=D(2026, 6, 10), label="発送 (2)",
                       kind=SpecialDay.Kind.CARD_NOTICE_MAILING)
    with pytest.raises(ValidationError, match="この日・種類の特別な日は登録済みです"):
        again.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()
    zero = SpecialDay(office=office, date=D(2026, 6, 11), label="x", factor=0)
    with pytest.raises(ValidationError, match="見込み倍率は0より大きく"):
        zero.validate_constraints()
    # One per procedure is another entry than the office-wide one.
    SpecialDay.objects.create(office=office, date=D(2026, 6, 10), label="発送",
                              kind=SpecialDay.Kind.CARD_NOTICE_MAILING,
                              service=Service.objects.get(office=office, code="mynumber"))
