"""``python -m bench soak`` in miniature (2 business days of 30 tickets, a few screens), so
CI proves the soak runs end to end and prints its figures: the server processes under
libfaketime move to the next day overnight, the night's jobs run, Redis and one server
process are restarted on the way, and nothing is lost, duplicated or shown wrong.
The growth targets are the full run's (README), not a miniature's: its first day is
mostly the processes warming up."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from bench.servers import ROOT
from bench.soak import LIBFAKETIME
from tests.conftest import need

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 600  # over 7 minutes at a load of 12-16 on 2 cores (other runs sharing them)
KEYS = {"bench", "days", "tickets", "lost", "duplicated", "mismatched_screens", "rss_growth",
        "fds_growth", "db_connections_growth", "loop_lag_p99_ms_start", "loop_lag_p99_ms_end"}


def test_a_small_soak_loses_duplicates_and_misshows_nothing_over_two_days(database_url):
    need(LIBFAKETIME.exists(), f"the soak needs libfaketime ({LIBFAKETIME})")
    need(bool(shutil.which("redis-server")), "redis-server is not installed")
    soak = subprocess.Popen(
        [sys.executable, "-m", "bench", "soak", "--days", "2", "--tickets", "30",
         "--rate", "20", "--status-pages", "6", "--displays", "4", "--bookings", "4",
         "--redis-down", "2"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        out, err = soak.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        soak.terminate()  # on SIGTERM the soak stops the processes it started, drops its database
        out, err = soak.communicate(timeout=60)
        pytest.fail(f"the soak took more than {TIMEOUT_SECONDS} s:\n{err[-3000:]}")
    run = subprocess.CompletedProcess(soak.args, soak.returncode, out, err)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert KEYS <= set(result), run.stdout[-2000:] + run.stderr[-3000:]
    assert (result["days"], result["tickets"]) == (2, 60), result
    assert (result["lost"], result["duplicated"], result["mismatched_screens"]) == (0, 0, 0), result
    assert result["errors_5xx"] == 0, result
    # The night between the two days ran the daily jobs; both faults happened on day 2.
    assert all(n >= 1 for n in result["night_job_runs"].values()), result
    assert set(result["per_day"][1]["faults"]) == {"redis", "process"}, result
    assert result["loop_lag_p99_ms_start"] > 0 and result["loop_lag_p99_ms_end"] > 0, result
