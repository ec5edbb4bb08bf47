"""``python -m bench issue``: kiosks issuing tickets through the real HTTP API.

Starts its own server process(es) against the PostgreSQL in DATABASE_URL (a
fresh database beside it) and the Redis in REDIS_URL (broadcasting on), or
SQLite and the in-memory layer when those are unset. From a separate process
it drives K kiosk clients (each its own device key) for S seconds against the
health check, then against the issue endpoint; the ratio of the two cancels
the machine's speed. Duplicates and gaps are counted from the database.
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys

from bench.servers import ROOT, ServerGroup, add_server_option, cpu_seconds

ISSUE_SERVICES = ["juminhyo", "inkan", "koseki", "zeisho", "tennyu", "kokuho", "nenkin",
                  "jidoteate", "koseki-todoke", "fukushi", "genmen"]

SETUP = """
from queueing.models import Device, Office, Service
office = Office.objects.get(code="demo")
Service.objects.filter(office=office).update(available_from=None, available_until=None)
for i in range({kiosks}):
    Device.objects.update_or_create(key=f"bench-kiosk-{{i}}", defaults=dict(
        office=office, type="kiosk", name=f"bench kiosk {{i}}"))
print(list(Service.objects.filter(office=office, code__in={codes!r}).values_list("id", flat=True)))
"""


def load(job: dict) -> dict:
    """Run bench.load in a separate process and return its result."""
    out = subprocess.run([sys.executable, "-m", "bench.load"], input=json.dumps(job), cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measured(group: ServerGroup, job: dict) -> tuple[dict, float]:
    """Run a load job; also return the servers' CPU milliseconds per request it made."""
    before = sum(cpu_seconds(pid) for pid in group.pids())
    result = load(job)
    spent = sum(cpu_seconds(pid) for pid in group.pids()) - before
    return result, round(spent * 1000 / max(1, result["requests"]), 2)


def count_numbers(group: ServerGroup) -> tuple[int, int, int]:
    """(tickets, duplicates, gaps) counted from the database afterwards."""
    sql = ("SELECT prefix, business_day, COUNT(*), COUNT(DISTINCT number), MAX(number) "
           "FROM queueing_ticket GROUP BY prefix, business_day")
    env = group.env()
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            rows = conn.execute(sql).fetchall()
    else:
        with sqlite3.connect(env["SQLITE_PATH"]) as conn:
            rows = conn.execute(sql).fetchall()
    tickets = sum(r[2] for r in rows)
    duplicates = sum(r[2] - r[3] for r in rows)
    gaps = sum(r[4] - r[3] for r in rows)
    return tickets, duplicates, gaps


def main(argv: list[str]) -> int:
    """Run the benchmark and print its JSON figures on the last line."""
    parser = argparse.ArgumentParser(prog="python -m bench issue")
    parser.add_argument("--kiosks", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=1, help="server processes")
    add_server_option(parser)
    args = parser.parse_args(argv)
    group = ServerGroup(
        processes=args.processes,
        server=args.server,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        extra_env={"KIOSK_RATE": "100000/s", "DB_POOL_MAX": str(args.kiosks + 4)},
    )
    with group:
        out = group.manage("shell", "-c", SETUP.format(kiosks=args.kiosks, codes=ISSUE_SERVICES))
        service_ids = json.loads(out.stdout.strip().splitlines()[-1])
        headers = [{"Authorization": f"Device bench-kiosk-{i}"} for i in range(args.kiosks)]
        common = {"clients": args.kiosks, "seconds": args.seconds, "urls": group.urls}
        ping, ping_cpu = measured(group, {**common, "path": "/api/health/"})
        issue, issue_cpu = measured(group, {
            **common, "path": "/api/v1/tickets/", "method": "POST", "headers": headers,
            "bodies": [{"service": s, "language": "ja"} for s in service_ids]})
        tickets, duplicates, gaps = count_numbers(group)
    result = {
        "bench": "issue",
        "tickets": tickets,
        "duplicates": duplicates,
        "gaps": gaps,
        "issue_rps": issue["rps"],
        "ping_rps": ping["rps"],
        "ratio": round(issue["rps"] / ping["rps"], 3) if ping["rps"] else 0,
        "p50_ms": issue["p50_ms"],
        "p99_ms": issue["p99_ms"],
        "max_ms": issue["max_ms"],
        # CPU the server processes spent per answer: what other load on the machine
        # does not change (the rates and latencies above move with it).
        "server_cpu_ms_per_issue": issue_cpu,
        "server_cpu_ms_per_ping": ping_cpu,
        "non_201": {k: v for k, v in issue["statuses"].items() if k != "201"},
        "kiosks": args.kiosks,
        "processes": args.processes,
        "server": args.server,
        "database": "postgresql" if group.database_url else "sqlite",
        "channel_layer": "redis-pubsub" if group.redis_url else "in-memory",
    }
    print(json.dumps(result))
    return 0 if duplicates == 0 and gaps == 0 and not result["non_201"] else 1
