"""``python -m bench booking [--attempts 1000] [--capacity 40]``: the card-notice morning rush.

Starts its own server processes (bench.servers.ServerGroup) on a fresh
database beside the PostgreSQL in DATABASE_URL (temporary SQLite when unset),
creates booking slots of total capacity N (slots of up to 12 seats), fires A
booking attempts with mixed party sizes (1-4) through the real HTTP API from
this process (asyncio + httpx, bounded concurrency), then counts from the
database. Prints one JSON object on its last line:
{"bench": "booking", "attempts", "capacity", "booked_seats", "overbooked",
 "errors_5xx", "p50_ms", "p99_ms"}. Target: booked_seats = capacity,
overbooked = 0, errors_5xx = 0, p99 <= 1000 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time

from bench.servers import ServerGroup, add_server_option

SLOT_SEATS = 12
PARTY_WEIGHTS = {1: 50, 2: 25, 3: 15, 4: 10}

MAKE_SLOTS = """
import datetime, json
from django.utils import timezone
from demo.bookings import appointments_demo_load
from appointments.models import Slot
schedule = appointments_demo_load()
day = timezone.localdate() + datetime.timedelta(days=schedule.earliest_days + 7)
start = datetime.datetime.combine(day, datetime.time(6), timezone.get_default_timezone())
left, ids = {capacity}, []
while left > 0:
    seats = min({slot_seats}, left)
    ids.append(Slot.objects.create(schedule=schedule, start=start,
               end=start + datetime.timedelta(minutes=2), capacity=seats).id)
    start += datetime.timedelta(minutes=2)
    left -= seats
print(json.dumps(ids))
"""

COUNT = """
import json
from django.db.models import Sum
from appointments.models import Booking, Slot
ids = {ids}
over = 0
for s in Slot.objects.filter(id__in=ids):
    people = (Booking.objects.filter(slot=s, status__in=Booking.SEATED)
              .aggregate(n=Sum("party_size"))["n"] or 0)
    over += int(s.seats_taken > s.capacity or people > s.capacity)
booked = (Booking.objects.filter(slot_id__in=ids, status="booked")
          .aggregate(n=Sum("party_size"))["n"] or 0)
capacity = Slot.objects.filter(id__in=ids).aggregate(n=Sum("capacity"))["n"]
print(json.dumps({{"booked_seats": booked, "overbooked": over, "capacity": capacity}}))
"""


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _fire(urls: list[str], slot_ids: list[int], attempts: int, concurrency: int,
                seed: int) -> tuple[list[float], dict[int, int]]:
    import httpx

    rng = random.Random(seed)
    parties = rng.choices(list(PARTY_WEIGHTS), weights=list(PARTY_WEIGHTS.values()), k=attempts)
    slots = [rng.choice(slot_ids) for _ in range(attempts)]
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def attempt(i: int) -> None:
            body = {"slot": slots[i], "notice_reference": f"BN{i % 10}-{i:06d}",
                    "birth_date": "1980-01-01", "email": f"r{i}@example.jp",
                    "party_size": parties[i]}
            async with gate:
                t0 = time.perf_counter()
                try:
                    r = await client.post(urls[i % len(urls)] + "/api/v1/bookings/", json=body)
                    code = r.status_code
                except httpx.HTTPError:
                    code = 599  # no answer at all counts as a server failure
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[code] = statuses.get(code, 0) + 1

        await asyncio.gather(*(attempt(i) for i in range(attempts)))
    return latencies, statuses


def main(argv: list[str]) -> int:
    """Run the booking rush benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench booking")
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=16,
                        help="requests in flight (closed loop)")
    parser.add_argument("--processes", type=int, default=2, help="server processes")
    parser.add_argument("--seed", type=int, default=1)
    add_server_option(parser)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or None
    if database_url and not database_url.startswith("postgres"):
        database_url = None
    group = ServerGroup(processes=args.processes, database_url=database_url,
                        server=args.server, extra_env={"LOG_LEVEL": "ERROR"})
    with group:
        made = group.manage("shell", "-c", MAKE_SLOTS.format(capacity=args.capacity,
                                                             slot_seats=SLOT_SEATS))
        slot_ids = json.loads(made.stdout.strip().splitlines()[-1])
        latencies, statuses = asyncio.run(_fire(group.urls, slot_ids, args.attempts,
                                                args.concurrency, args.seed))
        counted = json.loads(group.manage("shell", "-c", COUNT.format(ids=slot_ids))
                             .stdout.strip().splitlines()[-1])
    print(f"answers by status: {dict(sorted(statuses.items()))}; "
          f"database: {args.processes} {args.server} on "
          f"{'PostgreSQL' if database_url else 'SQLite'}",
          file=sys.stderr)
    result = {
        "bench": "booking",
        "attempts": args.attempts,
        "capacity": counted["capacity"],
        "booked_seats": counted["booked_seats"],
        "overbooked": counted["overbooked"],
        "errors_5xx": sum(n for code, n in statuses.items() if code >= 500),
        "p50_ms": round(_percentile(latencies, 0.50), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
    }
    print(json.dumps(result))
    return 0 if result["overbooked"] == 0 and result["errors_5xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
