"""When a service takes walk-in tickets (queueing/hours.py)."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from queueing import holidays, hours
from queueing.models import (
    Counter,
    CounterService,
    OfficeClosure,
    OfficeExtraOpening,
    OfficeHours,
    Service,
    Step,
)

pytestmark = pytest.mark.django_db
TOKYO = timezone.get_default_timezone()


def at(h: int, m: int) -> datetime.datetime:
    return datetime.datetime(2026, 11, 26, h, m, tzinfo=TOKYO)


def test_service_hours_are_judged_in_tokyo_time(office):
    mynumber = Service.objects.get(office=office, code="mynumber")  # マイナンバー: until 16:30
    assert hours.service_availability(service=mynumber, at=at(16, 29)).open
    assert not hours.service_availability(service=mynumber, at=at(16, 30)).open
    mynumber.available_from = datetime.time(8, 30)
    assert not hours.service_availability(service=mynumber, at=at(8, 29)).open


def test_a_closed_service_says_why_and_when(office):
    mynumber = Service.objects.get(office=office, code="mynumber")
    mynumber.available_from = datetime.time(8, 30)
    early = hours.service_availability(service=mynumber, at=at(8, 0))
    late = hours.service_availability(service=mynumber, at=at(17, 0))
    assert (early.reason, early.opens_at) == ("not_yet", datetime.time(8, 30))
    assert (late.reason, late.closes_at) == ("ended", datetime.time(16, 30))
    mynumber.active = False
    assert hours.service_availability(service=mynumber, at=at(10, 0)).reason == "inactive"


# --- the office calendar ---------------------------------------------------------------

WED, THU = datetime.date(2026, 6, 10), datetime.date(2026, 6, 11)
UMI_NO_HI = datetime.date(2026, 7, 20)  # 海の日, a Monday


def tokyo(day: datetime.date, h: int, m: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(h, m), TOKYO)


@pytest.fixture
def weekdays(office):
    """The demo office open Monday to Friday 8:30-17:15 (its calendar)."""
    for weekday in range(5):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=datetime.time(8, 30),
                                   closes=datetime.time(17, 15))
    return office


def juminhyo(office) -> Service:
    return Service.objects.get(office=office, code="juminhyo")


def test_an_office_without_a_calendar_takes_tickets_even_on_a_holiday(office):
    assert hours.service_availability(service=juminhyo(office), at=tokyo(UMI_NO_HI, 3, 0)).open


def test_weekly_hours_open_and_close_and_say_when_they_open_next(weekdays):
    service = juminhyo(weekdays)
    early = hours.service_availability(service=service, at=tokyo(WED, 8, 29))
    assert (early.open, early.reason, early.opens_at) == (False, "not_yet", datetime.time(8, 30))
    assert hours.service_availability(service=service, at=tokyo(WED, 8, 30)).open
    late = hours.service_availability(service=service, at=tokyo(WED, 17, 15))
    assert (late.reason, late.next_open) == ("reception_ended", tokyo(THU, 8, 30))


def test_reception_ends_the_services_minutes_before_closing(weekdays):
    service = juminhyo(weekdays)
    service.reception_end_minutes = 30  # 受付終了 16:45
    assert hours.service_availability(service=service, at=tokyo(WED, 16, 44)).open
    ended = hours.service_availability(service=service, at=tokyo(WED, 16, 45))
    assert (ended.reason, ended.closes_at) == ("reception_ended", datetime.time(16, 45))


def test_a_national_holiday_is_closed_and_says_why_and_the_next_opening(weekdays):
    closed = hours.service_availability(service=juminhyo(weekdays), at=tokyo(UMI_NO_HI, 10, 0))
    assert (closed.reason, closed.why) == ("closed_today", "holiday")
    assert closed.next_open == tokyo(datetime.date(2026, 7, 21), 8, 30)


def test_the_year_end_break_is_closed_until_the_fourth_of_january(weekdays):
    closed = hours.service_availability(service=juminhyo(weekdays),
                                        at=tokyo(datetime.date(2026, 12, 29), 10, 0))
    assert (closed.reason, closed.why) == ("closed_today", "year_end")
    assert closed.next_open == tokyo(datetime.date(2027, 1, 4), 8, 30)


def test_a_closure_closes_the_day_even_its_one_off_extra_opening(weekdays):
    OfficeClosure.objects.create(office=weekdays, date=WED, reason="システム更新のため")
    OfficeExtraOpening.objects.create(office=weekdays, kind="evening", date=WED,
                                      opens=datetime.time(17, 15), closes=datetime.time(19, 0))
    closed = hours.service_availability(service=juminhyo(weekdays), at=tokyo(WED, 18, 0))
    assert (closed.reason, closed.why) == ("closed_today", "closure")
    assert closed.next_open == tokyo(THU, 8, 30)


def test_a_one_off_extra_opening_opens_a_holiday_explicitly(weekdays):
    OfficeExtraOpening.objects.create(office=weekdays, kind="holiday_opening", date=UMI_NO_HI,
                                      opens=datetime.time(9, 0), closes=datetime.time(12, 0))
    service = juminhyo(weekdays)
    assert hours.service_availability(service=service, at=tokyo(UMI_NO_HI, 10, 0)).open
    early = hours.service_availability(service=service, at=tokyo(UMI_NO_HI, 8, 0))
    assert (early.reason, early.opens_at) == ("not_yet", datetime.time(9, 0))


def test_a_recurring_evening_extends_the_weekday_and_reception_ends_before_it_closes(weekdays):
    OfficeExtraOpening.objects.create(office=weekdays, kind="evening", weekday=THU.weekday(),
                                      opens=datetime.time(17, 15), closes=datetime.time(19, 0))
    service = juminhyo(weekdays)
    service.reception_end_minutes = 15
    assert hours.service_availability(service=service, at=tokyo(THU, 18, 30)).open
    assert not hours.service_availability(service=service, at=tokyo(WED, 18, 30)).open
    assert hours.service_availability(service=service, at=tokyo(THU, 18, 45)).reason == (
        "reception_ended")


def test_a_recurring_saturday_opening_opens_ordinary_saturdays(weekdays):
    saturday = datetime.date(2026, 6, 13)
    OfficeExtraOpening.objects.create(office=weekdays, kind="holiday_opening", weekday=5,
                                      opens=datetime.time(9, 0), closes=datetime.time(12, 0))
    assert hours.service_availability(service=juminhyo(weekdays), at=tokyo(saturday, 9, 0)).open


PUBLIC_CLOSURES = [d for d in (datetime.date(2026, 1, 1) + datetime.timedelta(days=i)
                               for i in range(730)) if holidays.holiday_closed(d)]


@given(day=st.sampled_from(PUBLIC_CLOSURES), opens=st.integers(0, 22 * 60),
       length=st.integers(1, 120), minute=st.integers(0, 24 * 60 - 1),
       kind=st.sampled_from(["holiday_opening", "evening"]))
@settings(max_examples=300, deadline=None)
def test_a_recurring_extra_opening_never_opens_a_holiday_or_the_year_end(
        day, opens, length, minute, kind):
    start = datetime.time(opens // 60, opens % 60)
    end_minutes = min(opens + length, 24 * 60 - 1)
    end = datetime.time(end_minutes // 60, end_minutes % 60)
    calendar = hours.OfficeCalendar(
        first_day=day, weekly=tuple((w, datetime.time(0, 0), datetime.time(23, 59))
                                    for w in range(7)),
        recurring=((day.weekday(), start, end),), served=frozenset({1}))
    service = Service(id=1, office_id=1, active=True)
    at = tokyo(day, minute // 60, minute % 60)
    availability = hours.service_availability(service=service, at=at, calendar=calendar)
    assert not availability.open
    assert availability.reason == "closed_today" and availability.why in ("holiday", "year_end")


# --- who serves it, and how many today ---------------------------------------------------


def test_a_service_no_counter_serves_is_not_available(office):
    lone = Service.objects.create(office=office, code="lone", name="窓口のない手続き", prefix="Z")
    Step.objects.create(service=lone, order=1, name="受付", kind="outsourced")
    assert hours.service_availability(service=lone, at=tokyo(WED, 10, 0)).reason == "no_counter"


def test_a_staff_only_first_step_at_an_outsourced_counter_only_is_not_available(office):
    service = Service.objects.create(office=office, code="review", name="審査", prefix="Y")
    Step.objects.create(service=service, order=1, name="審査", kind="staff_only")
    CounterService.objects.create(counter=Counter.objects.get(office=office, number=1),
                                  service=service)  # 1番窓口 is 委託: the hybrid rule
    assert hours.service_availability(service=service, at=tokyo(WED, 10, 0)).reason == (
        "no_counter")
    CounterService.objects.create(counter=Counter.objects.get(office=office, number=6),
                                  service=service)  # 6番窓口 is 職員
    assert hours.service_availability(service=service, at=tokyo(WED, 10, 0)).open


def test_a_service_at_its_daily_cap_is_not_available_until_tomorrow(weekdays):
    service = juminhyo(weekdays)
    service.daily_ticket_cap = 40
    assert hours.service_availability(service=service, at=tokyo(WED, 10, 0), issued_today=39).open
    full = hours.service_availability(service=service, at=tokyo(WED, 10, 0), issued_today=40)
    assert (full.reason, full.next_open) == ("sold_out", tokyo(THU, 8, 30))
