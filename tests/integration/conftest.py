"""Fixtures of the integration tests: the booking fixtures (a schedule, slots) for the
end-to-end retention test, and private Redis and PostgreSQL servers the fault tests stop."""

import shutil

import pytest

from bench.servers import PG_BIN, PostgresCluster, RedisServer
from tests.appointments.conftest import schedule, slot_factory  # noqa: F401 - fixtures
from tests.conftest import need


@pytest.fixture
def private_redis(redis_url):
    """A redis-server of the test's own on a free port (the test may stop it)."""
    need(bool(shutil.which("redis-server")), "redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres(postgres):
    """A PostgreSQL cluster of the test's own on a free port (the test may stop it)."""
    need((PG_BIN / "initdb").exists(), f"PostgreSQL's initdb is not in {PG_BIN} (set PG_BIN)")
    cluster = PostgresCluster()
    cluster.init()
    cluster.start()
    yield cluster
    cluster.remove()
