"""The embedded default (`make run`): SQLite in WAL mode with immediate transactions, one server.

CI runs the rest of the suite on PostgreSQL; this proves the SQLite path
keeps numbers unique and gap-free under concurrent kiosks too.
"""

import json
import sqlite3
import threading
import urllib.request

from bench.servers import ServerGroup


def post(url: str, body: dict, key: str) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Device {key}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


def test_sqlite_server_issues_unique_gap_free_numbers_to_concurrent_kiosks():
    with ServerGroup(processes=1, database_url=None,
                     extra_env={"KIOSK_RATE": "100000/s"}) as group:
        statuses: list[int] = []

        def kiosk():
            for _ in range(25):
                statuses.append(post(group.url + "/api/v1/tickets/", {"service": 1},
                                     "demo-kiosk-key"))

        threads = [threading.Thread(target=kiosk) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        db = group.env()["SQLITE_PATH"]
        with sqlite3.connect(db) as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            numbers = [r[0] for r in conn.execute(
                "SELECT number FROM queueing_ticket WHERE prefix = 'A' ORDER BY number")]
    assert statuses == [201] * 200
    assert numbers == list(range(1, 201))
    assert mode == "wal"
