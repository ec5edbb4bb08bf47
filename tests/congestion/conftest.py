"""Congestion fixtures: a frozen clock (Wednesday 2026-06-10, 10:30 in Tokyo), a few weeks
of demo history before it, and a clean cache (forecast models are cached per day)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from demo.congestion_history import history_demo_load

TOKYO = ZoneInfo("Asia/Tokyo")
TODAY = datetime.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """Set the time the code reads; starts at 10:30 on TODAY."""
    state = {}

    def at(hhmm: str, day: datetime.date = TODAY) -> None:
        state["now"] = datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), TOKYO)

    at("10:30")
    monkeypatch.setattr(timezone, "now", lambda: state["now"].astimezone(datetime.UTC))
    return at


@pytest.fixture
def history(office, clock):
    """Three weeks of demo visits before TODAY (about 60 a day)."""
    return history_demo_load(office=office, weeks=3, per_day=60)
