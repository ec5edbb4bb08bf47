"""When a service takes walk-in tickets (queueing/hours.py)."""

import datetime

import pytest
from django.utils import timezone

from queueing import hours
from queueing.models import Service

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
