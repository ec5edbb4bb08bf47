"""Kiosks pressing at once through two real server processes on PostgreSQL and Redis.

The kiosk's issue runs on each process's event loop with its own connections
(api/kiosk_issue.py), beside Django's path for refusals and retries. Given 16
kiosks issuing together, some of them retrying each request with the same
Idempotency-Key as a kiosk whose answer was lost does: every number is unique
and gap-free, every ticket has its audit row, and no retry issues twice.
"""

import http.client
import json
import threading

import psycopg
import pytest

from bench.servers import ServerGroup

pytestmark = pytest.mark.integration
KIOSKS, PRESSES = 16, 60
SERVICES = ["juminhyo", "inkan"]  # 住民票 and 印鑑 share the prefix A: one number sequence

SETUP = f"""
from queueing.models import Device, Office, Service
office = Office.objects.get(code="demo")
Service.objects.filter(office=office).update(available_from=None, available_until=None)
for i in range({KIOSKS}):
    Device.objects.update_or_create(key=f"load-kiosk-{{i}}", defaults=dict(
        office=office, type="kiosk", name=f"load kiosk {{i}}"))
ids = Service.objects.filter(office=office, code__in={SERVICES!r}).values_list("id", flat=True)
print(list(ids))
"""


def test_16_kiosks_at_once_get_gap_free_numbers_and_a_retry_never_issues_twice(
        database_url, redis_url):
    with ServerGroup(processes=2, database_url=database_url, redis_url=redis_url,
                     extra_env={"KIOSK_RATE": "100000/s"}) as group:
        service_ids = json.loads(group.manage("shell", "-c", SETUP).stdout.splitlines()[-1])
        answers: list[list[tuple[int, dict]]] = [[] for _ in range(KIOSKS)]
        start = threading.Barrier(KIOSKS)

        def kiosk(i: int) -> None:
            port = group.ports[i % len(group.ports)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            start.wait()
            for n in range(PRESSES):
                headers = {"Content-Type": "application/json",
                           "Authorization": f"Device load-kiosk-{i}",
                           "Idempotency-Key": f"load-{i:02d}-{n:04d}-press"}
                body = json.dumps({"service": service_ids[n % 2]})
                # Every third press is sent twice, as after a lost answer.
                for _ in range(2 if n % 3 == 0 else 1):
                    conn.request("POST", "/api/v1/tickets/", body=body, headers=headers)
                    response = conn.getresponse()
                    answers[i].append((response.status, json.loads(response.read())))
            conn.close()

        threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(KIOSKS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with psycopg.connect(group.env()["DATABASE_URL"]) as db:
            numbers = [n for (n,) in db.execute(
                "SELECT number FROM queueing_ticket WHERE prefix = 'A' ORDER BY number")]
            audited = db.execute("SELECT COUNT(*) FROM queueing_ticketevent "
                                 "WHERE action = 'issued'").fetchone()[0]

    statuses = {status for kiosk in answers for status, _ in kiosk}
    assert statuses == {201}
    assert numbers == list(range(1, KIOSKS * PRESSES + 1))  # unique, gap-free, none twice
    assert audited == KIOSKS * PRESSES
    for kiosk in answers:  # each retry got the ticket of its first try
        ids = iter(body["id"] for _, body in kiosk)
        for n in range(PRESSES):
            first = next(ids)
            if n % 3 == 0:
                assert next(ids) == first
