"""Fixtures for bookings: a schedule on the demo office's My Number service, and a clock."""

import datetime

import pytest
from django.utils import timezone

from appointments.models import Schedule, Slot, WeeklyRule

TZ = timezone.get_default_timezone()


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware Asia/Tokyo moment."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), TZ)


@pytest.fixture
def schedule(office):
    """Weekdays 9:00-12:00, 30-minute slots, 2 seats, on the demo My Number service."""
    s = Schedule.objects.create(office=office, service=office.services.get(code="mynumber"))
    for weekday in range(5):
        WeeklyRule.objects.create(schedule=s, weekday=weekday, opens=datetime.time(9),
                                  closes=datetime.time(12), capacity=2)
    return s


@pytest.fixture
def slot_factory(schedule):
    """Make a slot at a given moment with a capacity (bypassing the weekly rules)."""

    def make(start: datetime.datetime, capacity: int = 2) -> Slot:
        return Slot.objects.create(schedule=schedule, start=start,
                                   end=start + datetime.timedelta(minutes=30), capacity=capacity)

    return make


@pytest.fixture
def future_slot(slot_factory):
    """A slot 10 days ahead at 10:00, inside the default window, capacity 2."""
    return slot_factory(at(timezone.localdate() + datetime.timedelta(days=10), 10), capacity=2)
