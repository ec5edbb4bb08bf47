"""A small HTTP load generator for the benchmarks: K threads, keep-alive connections, S seconds.

Runs in its own process (``python -m bench.load``) so the server under test
does not share an interpreter with the clients. Reads a JSON job on stdin and
prints one JSON result: request count, status counts, latencies.
"""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) of the values, nearest-rank."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def run(job: dict) -> dict:
    """Drive ``clients`` threads at ``urls`` for ``seconds``; each thread keeps one connection."""
    clients, seconds = job["clients"], job["seconds"]
    method, path = job.get("method", "GET"), job["path"]
    urls = job["urls"]
    bodies = job.get("bodies") or [None]
    headers_per_client = job.get("headers") or [{}]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict] = [{} for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i: int):
        base = urlsplit(urls[i % len(urls)])
        conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
        headers = {"Content-Type": "application/json",
                   **headers_per_client[i % len(headers_per_client)]}
        n = 0
        start.wait()
        while time.perf_counter() < stop_at[0]:
            body = bodies[(i + n) % len(bodies)]
            n += 1
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=json.dumps(body) if body is not None else None,
                             headers=headers)
                resp = conn.getresponse()
                resp.read()
                code = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
                code = 0
            latencies[i].append((time.perf_counter() - t0) * 1000)
            statuses[i][code] = statuses[i].get(code, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    flat = [x for xs in latencies for x in xs]
    status_total: dict[str, int] = {}
    for s in statuses:
        for code, n in s.items():
            status_total[str(code)] = status_total.get(str(code), 0) + n
    return {
        "requests": len(flat),
        "rps": round(len(flat) / elapsed, 1),
        "statuses": status_total,
        "p50_ms": round(percentile(flat, 50), 1),
        "p99_ms": round(percentile(flat, 99), 1),
        "max_ms": round(max(flat, default=0), 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
