"""Start real ASGI server processes (uvicorn, or daphne) on 127.0.0.1 against a fresh
database, for benchmarks and tests.

Faults are tried on private services: ``RedisServer`` and ``PostgresCluster``
run a throw-away redis-server or PostgreSQL cluster on a free port, which a
test may stop and start again (never the machine's own).

Each ``ServerGroup`` makes its own database (a new PostgreSQL database beside
the one ``DATABASE_URL`` names, or a temporary SQLite file when none is set),
migrates it, loads the demo city hall, starts N server processes sharing it
(and the Redis in ``REDIS_URL``, when given), and removes it all on ``stop()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _with_db_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


SERVERS = ("uvicorn", "daphne")  # the deployed ASGI server first (docs/deploy.md)


def add_server_option(parser) -> None:
    """Every bench's ``--server``: the ASGI server its processes run (README compares them)."""
    parser.add_argument("--server", choices=SERVERS, default=SERVERS[0],
                        help="the ASGI server of the processes (README compares them)")


@dataclass
class ServerGroup:
    """N server processes (uvicorn, or daphne) on one fresh database; a context manager."""

    processes: int = 1
    database_url: str | None = None  # base PostgreSQL URL; None = temporary SQLite
    redis_url: str | None = None
    extra_env: dict = field(default_factory=dict)
    log_dir: Path | None = None
    server: str = SERVERS[0]
    jobs: bool = False  # also run the scheduler (``manage.py jobs_run``) beside the servers
    ports: list[int] = field(default_factory=list)
    _procs: list[subprocess.Popen] = field(default_factory=list)
    _jobs: subprocess.Popen | None = None
    _db_name: str | None = None
    _tmp: tempfile.TemporaryDirectory | None = None

    @property
    def urls(self) -> list[str]:
        """Base URLs of the running processes, e.g. http://127.0.0.1:41234."""
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    @property
    def url(self) -> str:
        """The first process's base URL."""
        return self.urls[0]

    def env(self) -> dict:
        """The environment every process of the group (and manage.py calls) runs with."""
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            SECRET_KEY="server-group-" + uuid.uuid4().hex,
            DEBUG="0",
            SECURE_SSL_REDIRECT="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
            # Benchmarks and tests book from 127.0.0.1 again and again, and the
            # cache (Redis) keeps the count across runs; tests of the limit set it.
            BOOKING_RATE="1000000/hour",
        )
        if self.database_url:
            env["DATABASE_URL"] = _with_db_name(self.database_url, self._db_name)
        else:
            env["SQLITE_PATH"] = str(Path(self._tmp.name) / "db.sqlite3")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    root = ROOT

    def manage_command(self) -> list[str]:
        """The command line of ``manage.py`` (run it in ``root``)."""
        return [sys.executable, "manage.py"]

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``manage.py`` with the group's environment."""
        return subprocess.run(
            [*self.manage_command(), *args], cwd=ROOT, env=self.env(), check=check,
            capture_output=True, text=True,
        )

    def start(self) -> ServerGroup:
        """Create the database, migrate, load demo data, start the processes, wait for health."""
        self._tmp = tempfile.TemporaryDirectory(prefix="madoguchi-")
        if self.database_url:
            self._db_name = "madoguchi_" + uuid.uuid4().hex[:12]
            self._admin_sql(f'CREATE DATABASE "{self._db_name}"')
        result = self.manage("migrate", "--noinput", check=False)
        if result.returncode != 0:
            raise RuntimeError("migrate failed:\n" + result.stderr[-3000:])
        self.manage("demo_load")
        for _ in range(self.processes):
            port = free_port()
            self.ports.append(port)
            self._procs.append(self._spawn(self.server_command(port), f"server-{port}.log"))
        for url in self.urls:
            self._wait_healthy(url)
        if self.jobs:
            self._jobs = self._spawn([*self.manage_command(), "jobs_run"], "jobs.log")
        return self

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen:
        log_dir = self.log_dir or Path(self._tmp.name)
        log = open(log_dir / log_name, "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def restart(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Stop one server process by its id (SIGKILL: as in a crash) and start it again on
        its port; returns once it answers its health check."""
        proc = self._procs[index]
        os.killpg(proc.pid, sig)
        proc.wait()
        port = self.ports[index]
        self._procs[index] = self._spawn(self.server_command(port), f"server-{port}.log")
        self._wait_healthy(self.urls[index])

    def jobs_pid(self) -> int | None:
        """Process id of the scheduler, when the group runs one."""
        return self._jobs.pid if self._jobs else None

    def server_command(self, port: int) -> list[str]:
        """The command line of one server process listening on ``port``."""
        if self.server == "uvicorn":
            return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
                    "--no-access-log", "--lifespan", "off", "config.asgi:application"]
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                "config.asgi:application"]

    def pids(self) -> list[int]:
        """Process ids of the server processes."""
        return [p.pid for p in self._procs]

    def stop(self) -> None:
        """Stop the processes by their ids and drop the database."""
        if self._jobs is not None:
            self._procs.append(self._jobs)
            self._jobs = None
        for proc in self._procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._procs.clear()
        if self._db_name:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self._db_name}" WITH (FORCE)')
            self._db_name = None
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def log_text(self) -> str:
        """Everything the processes printed so far (for failure messages)."""
        log_dir = self.log_dir or (Path(self._tmp.name) if self._tmp else None)
        if not log_dir:
            return ""
        logs = sorted(log_dir.glob("server-*.log"))
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in logs)

    def __enter__(self) -> ServerGroup:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(sql)

    def _wait_healthy(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self._procs):
                raise RuntimeError("a server process exited:\n" + self.log_text())
            try:
                with urllib.request.urlopen(url + "/api/health/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not become healthy:\n" + self.log_text())


class RedisServer:
    """A throw-away redis-server on 127.0.0.1 that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    @property
    def url(self) -> str:
        """Its URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers PING."""
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Kill it by its process id (what it held is gone, as in a crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cli(self, *args: str) -> str:
        """A redis-cli command's answer."""
        result = subprocess.run(["redis-cli", "-p", str(self.port), *args],
                                capture_output=True, text=True)
        return result.stdout.strip()


PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresCluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (trust auth), stopped and started at will.

    ``initdb`` refuses to run as root, so as root the cluster belongs to the
    ``postgres`` system user (``runuser``).
    """

    def __init__(self):
        self.port = free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="madoguchi-pg-")
        self.data = Path(self._tmp.name) / "data"
        self._as_owner: list[str] = []

    @property
    def url(self) -> str:
        """The URL of its ``postgres`` database (a base URL for ``ServerGroup``)."""
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        """Create the cluster's files."""
        if os.geteuid() == 0:
            self._as_owner = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self._tmp.name, "postgres")
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync")

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it accepts connections."""
        if (self.data / "postmaster.pid").exists():
            return  # running
        self._run(PG_BIN / "pg_ctl", "-D", str(self.data), "-w", "-l",
                  str(Path(self._tmp.name) / "server.log"), "-o",
                  f"-p {self.port} -k {self._tmp.name} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")

    def stop(self) -> None:
        """Stop it at once (``immediate``: open connections break, as when the host goes)."""
        if (self.data / "postmaster.pid").exists():
            self._run(PG_BIN / "pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")

    def remove(self) -> None:
        """Stop it and delete its files."""
        self.stop()
        self._tmp.cleanup()

    def _run(self, *command) -> None:
        result = subprocess.run([*self._as_owner, *map(str, command)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{result.stdout}{result.stderr}")
