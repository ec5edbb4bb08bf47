"""Backup and restore as docs/deploy.md says: pg_dump of a live database, pg_restore into a
fresh one, and every table holds the same number of rows (and the app runs on it)."""

import subprocess
import uuid

import psycopg
import pytest

from bench.servers import ServerGroup, _with_db_name

pytestmark = pytest.mark.integration

WORK = (
    "from queueing import services;"
    "from queueing.models import Service, Counter;"
    "from django.contrib.auth.models import User;"
    "m = User.objects.get(username='municipal');"
    "ts = [services.ticket_issue(service=s) for s in Service.objects.all()[:5] for _ in range(4)];"
    "c = Counter.objects.get(number=1);"
    "services.ticket_call_next(counter=c, by=m)"
)


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def test_pg_dump_then_pg_restore_into_a_fresh_database_keeps_every_row(database_url, tmp_path):
    with ServerGroup(processes=0, database_url=database_url) as group:
        group.manage("shell", "-c", WORK)
        source = group.env()["DATABASE_URL"]
        dump = tmp_path / "madoguchi.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                        f"--dbname={source}"], check=True)
        restored_name = "madoguchi_restore_" + uuid.uuid4().hex[:8]
        restored = _with_db_name(database_url, restored_name)
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{restored_name}"')
        try:
            subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                            f"--dbname={restored}", str(dump)], check=True)
            before, after = counts(source), counts(restored)
            assert after == before
            assert before["queueing_ticket"] == 20 and before["queueing_ticketevent"] == 21
            check = subprocess.run(
                [*group.manage_command(), "migrate", "--check"], env={
                    **group.env(), "DATABASE_URL": restored}, capture_output=True, text=True,
                cwd=group.root)
            assert check.returncode == 0, check.stdout + check.stderr
        finally:
            with psycopg.connect(database_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
