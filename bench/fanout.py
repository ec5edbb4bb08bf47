"""Fan-out: every call reaches every live screen, across server processes sharing Redis.

``python -m bench fanout [--clients 2000] [--calls 30] [--processes 2]``

Starts N server processes (uvicorn) on one fresh PostgreSQL database sharing the Redis
in ``REDIS_URL`` (channel layer as configured in config/settings.py), opens C
WebSocket clients from a separate process (half lobby displays, half resident
status pages following real tickets), spread round-robin over the processes,
then makes T calls through the staff API (call-next, then complete, on
counters 1 and 2). Latency is measured from the moment the call's HTTP
response arrived to each client's receipt of a frame showing that call (a
display's board, a status page's status, at the call's version or later; one
monotonic clock, same machine). Prints one JSON object on its last line:

``{"bench": "fanout", "clients", "processes", "calls", "deliveries", "missed",
"p50_ms", "p99_ms", "rss_mb_per_process", ...}``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://127.0.0.1"
TOKEN_SCRIPT = (
    "from rest_framework.authtoken.models import Token;"
    "from django.contrib.auth.models import User;"
    "print(Token.objects.get_or_create(user=User.objects.get(username='municipal'))[0].key)"
)
CALL_COUNTERS = (1, 2)  # outsourced counters serving 住民票 (juminhyo) first


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# --- the client process ---------------------------------------------------------------


async def _client(url: str, gate: asyncio.Semaphore, ready: asyncio.Event, sockets: list,
                  out: list, state: dict) -> None:
    from websockets.asyncio.client import connect

    async with gate:  # 20 handshakes at a time: each costs a snapshot read on the server
        ws = await connect(url, origin=ORIGIN, open_timeout=120, max_queue=None,
                           ping_interval=None)
        first = json.loads(await ws.recv())
    if first.get("type") != "snapshot":
        raise RuntimeError(f"first message was {first!r}")
    sockets.append(ws)
    state["ready"] += 1
    if state["ready"] == state["total"]:
        ready.set()
    # Only the receipt time here; parsing waits until the end, so the time this
    # process spends per frame (it shares the 2 cores with the servers) stays small.
    async for raw in ws:  # ends when the driver says "stop" and the socket is closed
        out.append((time.monotonic(), raw))


def _receipt(at: float, raw: str) -> list | None:
    message = json.loads(raw)
    if message.get("type") in ("board", "status"):  # a screen's whole state at a version
        return [message["type"], message["version"], at]
    return None


async def _run_clients(urls: list[str]) -> None:
    ready = asyncio.Event()
    state = {"ready": 0, "total": len(urls)}
    raw: list[list] = [[] for _ in urls]
    sockets: list = []
    gate = asyncio.Semaphore(20)
    tasks = [asyncio.create_task(_client(u, gate, ready, sockets, raw[i], state))
             for i, u in enumerate(urls)]
    waiter = asyncio.create_task(ready.wait())
    # Client tasks end before "stop" only by failing, so the first to finish decides.
    done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED,
                                 timeout=600)
    if waiter not in done:
        errors = [repr(t.exception()) for t in tasks if t.done() and t.exception()]
        print(json.dumps({"error": "clients not ready", "ready": state["ready"],
                          "errors": errors[:5]}), flush=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return
    print(json.dumps({"ready": state["ready"]}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "stop"
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    receipts = [[r for r in (_receipt(at, text) for at, text in socket_raw) if r]
                for socket_raw in raw]
    print(json.dumps({"receipts": receipts, "failures": failures[:5],
                      "failed": len(failures)}), flush=True)


def _client_main(argv: list[str]) -> int:
    _raise_fd_limit()
    urls = json.loads(sys.stdin.readline())
    asyncio.run(_run_clients(urls))
    return 0


# --- the driver -----------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _fail(message: str) -> int:
    print(json.dumps({"bench": "fanout", "error": message}))
    return 2


def main(argv: list[str]) -> int:
    """Run the fan-out benchmark and print its JSON line."""
    from bench.servers import ServerGroup, add_server_option, cpu_seconds

    parser = argparse.ArgumentParser(prog="python -m bench fanout")
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--status-share", type=float, default=0.5,
                        help="share of clients that are resident status pages")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between calls")
    add_server_option(parser)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        return _fail("set DATABASE_URL=postgres://... and REDIS_URL=redis://... "
                     "(several processes share one database and one channel layer)")

    import httpx

    _raise_fd_limit()
    # A SIGTERM (e.g. from `timeout`) unwinds through the context manager, so the
    # server processes and the database this run made are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    group = ServerGroup(processes=args.processes, database_url=database_url, redis_url=redis_url,
                        server=args.server, extra_env={"KIOSK_RATE": "1000000/min"})
    with group:
        token = group.manage("shell", "-c", TOKEN_SCRIPT).stdout.strip().splitlines()[-1]
        staff = httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=30)
        kiosk = httpx.Client(headers={"Authorization": "Device demo-kiosk-key"}, timeout=30)
        base = group.url
        layer = group.manage("shell", "-c", (
            "from django.conf import settings;"
            "print(settings.CHANNEL_LAYERS['default']['BACKEND'])")).stdout.strip().splitlines()[-1]
        office_services = {s["code"]: s["id"] for s in _services(group, staff)}

        def issue(code: str) -> dict:
            r = kiosk.post(f"{base}/api/v1/tickets/", json={"service": office_services[code]})
            r.raise_for_status()
            return r.json()

        for _ in range(args.calls):
            issue("juminhyo")  # the tickets the counters will call, first in line
        n_status = round(args.clients * args.status_share)
        n_display = args.clients - n_status
        # Residents in the same line as the calls, behind them: every call moves them up,
        # so every call must reach every status page (as a status message).
        status_tickets = [issue("juminhyo") for _ in range(min(n_status, 200))]
        paths = ["/ws/display/demo-display-key/" for _ in range(n_display)]
        paths += [f"/ws/ticket/{status_tickets[i % len(status_tickets)]['token']}/"
                  for i in range(n_status)]
        ws_bases = [u.replace("http://", "ws://") for u in group.urls]
        urls = [ws_bases[i % len(ws_bases)] + p for i, p in enumerate(paths)]

        clients = subprocess.Popen(
            [sys.executable, "-m", "bench.fanout", "--client-process"], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            clients.stdin.write(json.dumps(urls) + "\n")
            clients.stdin.flush()
            ready = json.loads(clients.stdout.readline() or "{}")
            if ready.get("ready") != len(urls):
                return _fail(f"clients did not all connect: {ready}\n{group.log_text()[-2000:]}")
            rss_idle = [_rss_mb(pid) for pid in group.pids()]
            cpu_before = [cpu_seconds(pid) for pid in group.pids()]
            called_at: dict[int, float] = {}
            requested_at: dict[int, float] = {}
            called_version: dict[int, int] = {}
            call_ms = []
            for i in range(args.calls):
                counter = CALL_COUNTERS[i % len(CALL_COUNTERS)]
                server = group.urls[i % len(group.urls)]
                t0 = time.monotonic()
                r = staff.post(f"{server}/api/v1/counters/{counter}/call-next/")
                t1 = time.monotonic()
                r.raise_for_status()
                ticket = r.json()["ticket"]
                if ticket is None:
                    return _fail(f"call {i}: nobody waiting at counter {counter}")
                called_at[ticket["id"]] = t1
                requested_at[ticket["id"]] = t0
                called_version[ticket["id"]] = ticket["version"]
                call_ms.append((t1 - t0) * 1000)
                time.sleep(args.pause)
                staff.post(f"{server}/api/v1/counters/{counter}/tickets/{ticket['id']}/complete/"
                           ).raise_for_status()
            # Let the last deliveries land, and the screens' follow-up reads (the display used
            # to re-read 3 s after the last event), so the CPU figure holds all of a call's work.
            time.sleep(4)
            rss = [_rss_mb(pid) for pid in group.pids()]
            cpu = [cpu_seconds(pid) - before
                   for pid, before in zip(group.pids(), cpu_before, strict=True)]
            clients.stdin.write("stop\n")
            clients.stdin.flush()
            out = json.loads(clients.stdout.readline() or "{}")
            clients.wait(timeout=60)
        finally:
            if clients.poll() is None:
                clients.kill()
                clients.wait()

    if os.environ.get("FANOUT_DUMP"):  # raw receipts for a closer look
        Path(os.environ["FANOUT_DUMP"]).write_text(json.dumps(
            {"called_at": called_at, "receipts": out.get("receipts", []), "n_display": n_display}))
    latencies, from_request, deliveries = [], [], 0
    per_kind: dict[str, list[float]] = {"display": [], "status": []}
    for index, receipts in enumerate(out.get("receipts", [])):
        kind = "display" if index < n_display else "status"
        # Each screen gets its state pushed: a display a board, a status page a status
        # (its place moved), at the call's version or later. First receipt counts.
        firsts: dict[int, float] = {}
        for _kind, version_seen, at in receipts:
            for ticket_id, version in called_version.items():
                if version_seen >= version and ticket_id not in firsts:
                    firsts[ticket_id] = at
        for ticket_id, at in firsts.items():
            deliveries += 1
            # The event is published on commit, a moment before the HTTP response
            # is written, so a receipt can precede the response; that counts as 0.
            latencies.append(max(0.0, (at - called_at[ticket_id]) * 1000))
            from_request.append((at - requested_at[ticket_id]) * 1000)
            per_kind[kind].append(latencies[-1])
    for kind, values in per_kind.items():
        if values:
            print(f"{kind}: n={len(values)} p50={statistics.median(values):.1f} ms "
                  f"p99={_percentile(values, 99):.1f} ms", file=sys.stderr)
    expected = len(urls) * len(called_at)
    result = {
        "bench": "fanout",
        "clients": len(urls),
        "processes": args.processes,
        "server": args.server,
        "calls": len(called_at),
        "deliveries": deliveries,
        "missed": expected - deliveries,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(_percentile(latencies, 99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        # From the moment the call request was sent: includes the call's own work
        # and its HTTP response, which waits behind the process's fan-out.
        "p50_ms_from_request": round(statistics.median(from_request), 1) if latencies else None,
        "p99_ms_from_request": round(_percentile(from_request, 99), 1) if latencies else None,
        "rss_mb_per_process": [round(x, 1) for x in rss],
        "rss_mb_idle_per_process": [round(x, 1) for x in rss_idle],
        # Server CPU for the whole call loop (call, its fan-out, complete, its fan-out;
        # the sleeps between calls cost nothing), per call and process.
        "cpu_ms_per_call_per_process": [round(x * 1000 / max(1, len(called_at)), 1)
                                        for x in cpu],
        "call_http_p50_ms": round(statistics.median(call_ms), 1),
        "displays": n_display,
        "status_pages": n_status,
        "client_failures": out.get("failed", 0),
        "layer": layer,
    }
    print(json.dumps(result))
    return 0 if result["missed"] == 0 else 1


def _services(group, staff) -> list[dict]:
    out = group.manage("shell", "-c", (
        "import json;from queueing.models import Service;"
        "print(json.dumps(list(Service.objects.filter(office__code='demo').values('id','code'))))"
    )).stdout.strip().splitlines()[-1]
    return json.loads(out)


if __name__ == "__main__":
    if "--client-process" in sys.argv:
        sys.exit(_client_main(sys.argv[1:]))
    sys.exit(main(sys.argv[1:]))
