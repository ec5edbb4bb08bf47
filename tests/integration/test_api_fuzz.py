"""Schemathesis fuzzes every documented endpoint of a real daphne: bad input never gives a 500.

Requests carry a kiosk's device key for the kiosk endpoint and a municipal
staff token elsewhere, so the generated cases reach the services, not only
the authentication layer.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bench.servers import ServerGroup

TOKEN_SHELL = (
    "from rest_framework.authtoken.models import Token;"
    "from django.contrib.auth.models import User;"
    "print(Token.objects.get_or_create(user=User.objects.get(username='municipal'))[0].key)"
)


@pytest.fixture(scope="module")
def server():
    """A daphne process on a fresh database (PostgreSQL when DATABASE_URL is set)."""
    url = os.environ.get("DATABASE_URL") or None
    with ServerGroup(processes=1, database_url=url if url and url.startswith("postgres") else None,
                     extra_env={"KIOSK_RATE": "100000/s"}) as group:
        out = group.manage("shell", "-c", TOKEN_SHELL)
        group.staff_token = out.stdout.strip().splitlines()[-1]
        yield group


def test_no_input_makes_the_server_fail(server):
    # Operations are looped here rather than through schema.parametrize(): its pytest
    # plugin does not run on pytest 9 yet ('Function' object has no attribute '_nodeid').
    schema = schemathesis.openapi.from_url(server.url + "/api/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def fuzz(case):
            if case.path == "/api/v1/tickets/" and case.method.upper() == "POST":
                auth = "Device demo-kiosk-key"
            else:
                auth = f"Token {server.staff_token}"
            response = case.call(base_url=server.url, headers={"Authorization": auth})
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            content_type = str(response.headers.get("content-type", ""))
            if response.status_code >= 400 and "application/json" in content_type:
                body = response.json()
                assert "code" in body and "detail" in body, body

        fuzz()
