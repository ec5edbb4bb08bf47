"""Never overbooked: real threads against PostgreSQL, through the booking API.

Given a slot of capacity 12, when 500 residents press "book" at once, then
exactly 12 seats are booked and every other answer is a clean 409.
"""

import datetime
import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from appointments import selectors
from appointments.models import Booking, Schedule, Slot

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def patient_pool(postgres):
    """The psycopg pool with a 60 s wait instead of 10 s for the test's 500 threads.

    Observed here: in about one run in five, while other test runs and benchmarks
    shared this PostgreSQL, every thread got "couldn't get a connection after
    10.00 sec" (cause not pinned down; most likely the server's 100-connection
    limit stopping the pool from growing). A longer wait changes no asserted answer.
    """
    pool = connection.settings_dict["OPTIONS"].get("pool")
    if not isinstance(pool, dict):
        yield
        return
    before = pool.get("timeout")
    connection.close()
    connection.close_pool()
    pool["timeout"] = 60
    yield
    connection.close()
    connection.close_pool()
    pool["timeout"] = before


def _slot(office, capacity: int) -> Slot:
    schedule, _ = Schedule.objects.get_or_create(
        office=office, service=office.services.get(code="mynumber"))
    start = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=10), datetime.time(10),
        timezone.get_default_timezone())
    return Slot.objects.create(schedule=schedule, start=start,
                               end=start + datetime.timedelta(minutes=30), capacity=capacity)


def _race(slot: Slot, parties: list[int]) -> list[tuple[int, dict]]:
    """Fire one booking per party size from its own thread, all released together."""
    barrier = threading.Barrier(len(parties))
    answers: list[tuple[int, dict]] = [None] * len(parties)  # type: ignore[list-item]

    def attempt(i: int, party: int) -> None:
        client = APIClient()
        try:
            barrier.wait()
            r = client.post("/api/v1/bookings/", {
                "slot": slot.pk, "notice_reference": f"T{i % 100:02d}-{i:06d}",
                "birth_date": "1980-01-01", "email": f"r{i}@example.jp", "party_size": party,
            }, format="json")
            answers[i] = (r.status_code, r.json())
        except Exception as exc:  # noqa: BLE001 - recorded and asserted on below
            answers[i] = (-1, {"code": repr(exc)[:300]})
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i, p)) for i, p in enumerate(parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_500_concurrent_attempts_book_exactly_12_seats(postgres, patient_pool, office):
    slot = _slot(office, capacity=12)
    answers = _race(slot, [1] * 500)
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 12, 409: 488}, (statuses, [b for s, b in answers if s != 201][:2])
    assert {body["code"] for status, body in answers if status == 409} == {"slot_full"}
    slot.refresh_from_db()
    assert slot.seats_taken == 12
    assert selectors.seats_booked(slot=slot) == 12
    assert Booking.objects.filter(slot=slot, status="booked").count() == 12


def test_mixed_party_sizes_never_exceed_capacity(postgres, patient_pool, office):
    rng = random.Random(7)
    slot = _slot(office, capacity=12)
    parties = [rng.randint(1, 4) for _ in range(300)]
    answers = _race(slot, parties)
    assert {status for status, _ in answers} <= {201, 409}, Counter(s for s, _ in answers)
    booked = [p for (status, _), p in zip(answers, parties, strict=True) if status == 201]
    slot.refresh_from_db()
    assert sum(booked) == slot.seats_taken == selectors.seats_booked(slot=slot)
    assert slot.seats_taken <= 12
    # Seats only fill up, so every party refused as full was larger than what is left now.
    refused = [p for (status, body), p in zip(answers, parties, strict=True)
               if status == 409 and body["code"] == "slot_full"]
    assert refused and 12 - slot.seats_taken < min(refused)
