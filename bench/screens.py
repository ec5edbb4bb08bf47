"""Live screens for benchmarks and tests: what a screen shows after the frames it was pushed
(``ScreenState``, the one home of that rule), and a process that keeps many screens open
at once (``python -m bench.screens``, driven by ``ScreensProcess``).

The process follows each screen's socket the way the shared JS socket client does:
it notes every frame, and when the socket drops it reconnects (to the next server
process, as a reverse proxy would) with a short backoff. It also pings each server
process over a socket of its own every half second: the pong is written by the
server's event loop itself, so its round trip is that loop's lag (plus the local
network, which is nothing on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "http://127.0.0.1"
PING_EVERY = 0.5  # seconds
PING_PATH = "/ws/display/demo-display-key/"


class ScreenState:
    """What a live screen shows: the state of its last snapshot, board or status frame,
    and whether the server last said its events reach it (a link frame)."""

    STATES = ("snapshot", "board", "status")

    def __init__(self, first: dict):
        self.first = first
        self.state = {"version": first["version"], "data": first["data"]}
        self.live = True

    def note(self, frame: dict) -> None:
        """Take in one frame the screen was pushed."""
        if frame["type"] in self.STATES:
            self.state = {"version": frame["version"], "data": frame["data"]}
        elif frame["type"] == "link":
            self.live = frame["live"]


# --- the screens process ----------------------------------------------------------------


def _ws(base: str) -> str:
    return base.replace("http://", "ws://")


class _Follower:
    """One screen: connect, note frames, reconnect to the next process when dropped."""

    def __init__(self, bases: list[str], path: str, first_base: int):
        self.bases, self.path, self.next_base = bases, path, first_base
        self.screen: ScreenState | None = None
        self.ws = None
        self.connects = 0
        self.error = ""  # why the last connection ended or failed
        self.closing = False
        self.task: asyncio.Task | None = None

    async def run(self, gate: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        tries = 0
        while not self.closing:
            base = self.bases[self.next_base % len(self.bases)]
            try:
                async with gate:  # handshakes a few at a time, as the fan-out bench does
                    ws = await connect(_ws(base) + self.path, origin=ORIGIN, open_timeout=30,
                                       max_queue=None, ping_interval=None)
                    live, first = True, json.loads(await asyncio.wait_for(ws.recv(), 30))
                    while first["type"] != "snapshot":  # a link frame may come first
                        live = first.get("live", live) if first["type"] == "link" else live
                        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
            except (OSError, WebSocketException, TimeoutError) as exc:
                self.error = repr(exc)[:200]
                tries += 1
                self.next_base += 1
                await asyncio.sleep(min(2.0, 0.25 * tries))
                continue
            tries = 0
            self.screen, self.ws = ScreenState(first), ws
            self.screen.live = live
            self.connects += 1
            try:
                async for raw in ws:
                    self.screen.note(json.loads(raw))
            except WebSocketException as exc:
                self.error = repr(exc)[:200]
            self.ws = None
            if not self.closing:  # the process went (or closed us): the proxy's next upstream
                self.next_base += 1
                await asyncio.sleep(0.25)

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    def report(self) -> dict:
        shown = self.screen
        return {"connected": self.ws is not None, "connects": self.connects, "error": self.error,
                "live": shown.live if shown else None,
                "state": shown.state if shown else None,
                "first": shown.first if shown else None}


async def _pinger(base: str, lags: dict[str, list[float]]) -> None:
    """Ping one server process every PING_EVERY seconds; note each round trip in ms."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import WebSocketException

    loop = asyncio.get_running_loop()
    while True:
        try:
            ws = await connect(_ws(base) + PING_PATH, origin=ORIGIN, open_timeout=30,
                               max_queue=None, ping_interval=None)
            drain = asyncio.create_task(_discard(ws))
            try:
                while True:
                    sent = loop.time()
                    await asyncio.wait_for(await ws.ping(), 30)
                    lags[base].append((loop.time() - sent) * 1000)
                    await asyncio.sleep(PING_EVERY)
            finally:
                drain.cancel()
                await ws.close()
        except (OSError, WebSocketException, TimeoutError):
            await asyncio.sleep(PING_EVERY)


async def _discard(ws) -> None:
    async for _ in ws:
        pass


async def _serve(bases: list[str]) -> None:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(10)
    screens: dict[str, _Follower] = {}
    lags: dict[str, list[float]] = {b: [] for b in bases}
    pingers = [asyncio.create_task(_pinger(b, lags)) for b in bases]
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        what = command["cmd"]
        if what == "open":
            for sid, path, first_base in command["screens"]:
                follower = _Follower(bases, path, first_base)
                follower.task = asyncio.create_task(follower.run(gate))
                screens[sid] = follower
            answer = {"open": len(screens)}
        elif what == "close":
            closing = [screens.pop(sid) for sid in command["ids"] if sid in screens]
            await asyncio.gather(*(f.close() for f in closing), return_exceptions=True)
            answer = {"open": len(screens)}
        elif what == "states":
            answer = {"states": {sid: f.report() for sid, f in screens.items()}}
        elif what == "lag":
            answer = {"lag": {b: v[:] for b, v in lags.items()}}
            for v in lags.values():
                v.clear()
        else:  # stop
            break
        print(json.dumps(answer), flush=True)
    for task in pingers:
        task.cancel()
    await asyncio.gather(*(f.close() for f in screens.values()), return_exceptions=True)
    print(json.dumps({"stopped": True}), flush=True)


class ScreensProcess:
    """The driver's handle on a ``python -m bench.screens`` process (thread-safe)."""

    def __init__(self, bases: list[str]):
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.screens", json.dumps(bases)],
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self._lock = threading.Lock()

    def ask(self, cmd: str, **args) -> dict:
        """Send one command and return its answer."""
        with self._lock:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the screens process ended")
        return json.loads(line)

    def open(self, screens: list[tuple[str, str, int]]) -> None:
        """Open screens: (id, path, index of the server process to try first)."""
        if screens:
            self.ask("open", screens=[list(s) for s in screens])

    def close(self, ids: list[str]) -> None:
        """Close these screens."""
        if ids:
            self.ask("close", ids=list(ids))

    def states(self) -> dict[str, dict]:
        """Every open screen: connected, connects, live, state, first."""
        return self.ask("states")["states"]

    def lags(self) -> dict[str, list[float]]:
        """The ping round trips (ms) per server process since the last call."""
        return self.ask("lag")["lag"]

    def stop(self) -> None:
        """Close every screen and end the process."""
        if self.proc.poll() is None:
            try:
                self.ask("stop")
            except (RuntimeError, OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    from bench.fanout import _raise_fd_limit

    _raise_fd_limit()
    asyncio.run(_serve(json.loads(sys.argv[1])))
