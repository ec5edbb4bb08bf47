"""The calendar rule: weekly hours, holidays, year-end, closures, extra openings, cut-off."""

import datetime

import pytest

from appointments import openings, services
from appointments.models import Booking, ClosedDay, ExtraOpening, Slot, WeeklyRule
from tests.appointments.conftest import at

D = datetime.date
T = datetime.time


def starts(schedule, day):
    return [s.start.astimezone(at(day, 0).tzinfo).strftime("%H:%M")
            for s in openings.planned_slots(schedule=schedule, first=day, days=1)]


@pytest.mark.django_db
def test_new_years_day_2027_is_closed(schedule):
    # 2027-01-01 is a Friday, a national holiday and in the year-end closure.
    assert D(2027, 1, 1).weekday() == 4
    assert starts(schedule, D(2027, 1, 1)) == []


@pytest.mark.django_db
def test_constitution_day_2027_is_closed_but_the_next_ordinary_weekday_is_open(schedule):
    assert D(2027, 5, 3).weekday() == 0  # Monday, 憲法記念日
    assert starts(schedule, D(2027, 5, 3)) == []
    assert starts(schedule, D(2027, 5, 6)) == ["09:00", "09:30", "10:00", "10:30", "11:00",
                                               "11:30"]


@pytest.mark.django_db
def test_year_end_closure_covers_december_29_to_january_3(schedule):
    for day in [D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31), D(2027, 1, 4 - 1)]:
        assert starts(schedule, day) == [], day
    assert starts(schedule, D(2026, 12, 28)) != []  # Monday before
    assert starts(schedule, D(2027, 1, 4)) != []  # Monday after


@pytest.mark.django_db
def test_weekend_is_closed_without_an_extra_opening(schedule):
    assert starts(schedule, D(2027, 6, 6)) == []  # Sunday


@pytest.mark.django_db
def test_extra_weekend_opening_adds_slots(schedule):
    ExtraOpening.objects.create(schedule=schedule, date=D(2027, 6, 6), opens=T(9),
                                closes=T(10), capacity=3, label="休日開庁")
    slots = openings.planned_slots(schedule=schedule, first=D(2027, 6, 6), days=1)
    assert [(s.start.hour, s.start.minute, s.capacity) for s in slots] == [(9, 0, 3), (9, 30, 3)]


@pytest.mark.django_db
def test_evening_opening_stops_at_the_1930_cut_off(schedule):
    ExtraOpening.objects.create(schedule=schedule, date=D(2027, 6, 10), opens=T(17, 30),
                                closes=T(21), capacity=1, label="夜間窓口")
    # Thursday: the weekly morning, then evening slots whose last one ends at 19:30.
    assert starts(schedule, D(2027, 6, 10))[-5:] == ["11:30", "17:30", "18:00", "18:30", "19:00"]


@pytest.mark.django_db
def test_ad_hoc_closure_beats_weekly_rules_and_extra_openings(schedule):
    ExtraOpening.objects.create(schedule=schedule, date=D(2027, 6, 9), opens=T(17, 30),
                                closes=T(19), capacity=1)
    ClosedDay.objects.create(schedule=schedule, date=D(2027, 6, 9), reason="システム停止")
    assert starts(schedule, D(2027, 6, 9)) == []


@pytest.mark.django_db
def test_slot_generation_is_idempotent(schedule):
    first = services.slots_generate(schedule=schedule, first=D(2027, 6, 7), days=7)
    again = services.slots_generate(schedule=schedule, first=D(2027, 6, 7), days=7)
    assert first["created"] == 5 * 6
    assert again == {"created": 0, "updated": 0, "removed": 0, "kept_booked": 0, "closed": 0,
                     "reopened": 0}
    assert Slot.objects.filter(schedule=schedule).count() == 30


@pytest.mark.django_db
def test_regeneration_never_touches_booked_slots(schedule):
    services.slots_generate(schedule=schedule, first=D(2027, 6, 7), days=1)
    booked = Slot.objects.get(schedule=schedule, start=at(D(2027, 6, 7), 9))
    Slot.objects.filter(pk=booked.pk).update(seats_taken=1)
    Booking.objects.create(slot=booked, office=schedule.office, service=schedule.service,
                           status="booked", reference="AAAA-BBBB", party_size=1,
                           created_at=at(D(2027, 6, 1), 9))
    # The city closes that day and halves the counters: free slots go, the booked one stays
    # (marked closed: nobody else can book it).
    ClosedDay.objects.create(schedule=schedule, date=D(2027, 6, 7))
    WeeklyRule.objects.filter(schedule=schedule).update(capacity=1)
    counts = services.slots_generate(schedule=schedule, first=D(2027, 6, 7), days=1)
    assert counts == {"created": 0, "updated": 0, "removed": 5, "kept_booked": 1, "closed": 1,
                      "reopened": 0}
    booked.refresh_from_db()
    assert (booked.capacity, booked.seats_taken, booked.closed) == (2, 1, True)
