"""The staff sockets take the same offices as the pages: a counter socket of another
company's contractor and a dashboard socket of another office's supervisor are refused."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from config.asgi import application
from queueing.models import Counter

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")


@database_sync_to_async
def cookie_of(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def first_message(path: str, username: str) -> dict:
    cookie = await cookie_of(username)
    comm = WebsocketCommunicator(application, path, headers=[
        ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())])
    connected, _ = await comm.connect()
    assert connected
    first = await comm.receive_output(timeout=5)
    await comm.disconnect()
    return first


async def test_a_dashboard_socket_of_another_office_is_refused(branch, office):
    refused = await first_message(f"/ws/dashboard/{branch.pk}/", "supervisor")
    assert refused["type"] == "websocket.close" and refused["code"] == 4403
    own = await first_message(f"/ws/dashboard/{branch.pk}/", "branch_supervisor")
    assert own["type"] != "websocket.close"


async def test_a_counter_socket_follows_the_company_contract(branch, office):
    kita = await database_sync_to_async(Counter.objects.get)(office=branch, number=1)
    demo = await database_sync_to_async(Counter.objects.get)(office=office, number=1)
    refused = await first_message(f"/ws/counter/{demo.pk}/", "contractor2")
    assert refused["type"] == "websocket.close" and refused["code"] == 4403
    own = await first_message(f"/ws/counter/{kita.pk}/", "contractor2")
    assert own["type"] != "websocket.close"
