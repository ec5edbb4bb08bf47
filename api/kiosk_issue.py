"""The kiosk's lean path for issuing a ticket: the hot request of the product, served before Django.

When the doors open every kiosk is pressed at once, and the general request
path (Django's middleware chain in a worker thread, DRF's dispatch) costs
several times the issuing itself. ``KioskIssuePath`` wraps the ASGI
application and answers ``POST /api/v1/tickets/`` with a device key on the
event loop: it reads the body, validates it with the endpoint's own
serializer, and runs one function in a worker thread that authenticates the
kiosk, applies its rate limit and issues through ``services.ticket_issue``
(the same rules, numbering and audit as every other caller). The event is
sent from the event loop after the commit (before the answer, as on Django's
path), without the thread hopping back.

It only ever answers the happy path. Anything else (no or an unknown device
key, a body the serializer refuses, a closed service, a paused kiosk, the
rate limit, the database failing before the ticket is written) goes on to
Django unchanged, so each error keeps its one home and its ``{code, detail}``
(the DRF view ``api.tickets.TicketIssueView``, which also documents the
endpoint in the OpenAPI schema and serves staff issuing on a resident's
behalf). The answer carries the same headers as Django's: the security
middleware's own ``process_response`` sets them.

On PostgreSQL the request never leaves the event loop: the kiosk's query and
the one issue statement run on a small pool of async psycopg connections of
this process (``kiosk_database``), so there is no worker thread to hop to and
back, and the statement, the same text for every ticket, runs as a prepared
statement. On SQLite (``make run``) it runs in a worker thread through the
ORM's connection, as every other request does.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import weakref
from types import SimpleNamespace

import psycopg
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from csp.middleware import CSPMiddleware
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, close_old_connections, connection
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from queueing import events, hours, selectors, services
from queueing.errors import QueueError

from . import params
from .devices import DeviceKeyAuthentication, DeviceRateThrottle
from .serializers import IssueIn, issued_out

MAX_BODY = 4096  # a kiosk's issue request is ~60 bytes; anything larger is Django's to refuse
KEYWORD = DeviceKeyAuthentication.keyword.lower().encode() + b" "  # "Device <key>"


def _no_response(request):  # the middleware below are only asked for their headers
    raise AssertionError("not called")


_HEADERS = (SecurityMiddleware(_no_response), XFrameOptionsMiddleware(_no_response),
            CSPMiddleware(_no_response))


def kiosk_request(scope: dict) -> tuple[str, str] | None:
    """The device key and the request key (``Idempotency-Key``, "" when not sent) of a kiosk's
    ``POST /api/v1/tickets/`` in JSON, or None for any other request (a header that is not a
    request key included: Django's view refuses it)."""
    if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != _issue_path():
        return None
    key = content_type = request_key = None
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:len(KEYWORD)].lower() == KEYWORD:
            key = value[len(KEYWORD):].strip().decode("latin-1")
        elif name == b"content-type":
            content_type = value.split(b";")[0].strip().lower()
        elif name == IDEMPOTENCY_HEADER:
            request_key = value.decode("latin-1")
    request_key = params.request_key(request_key)
    if not key or content_type != b"application/json" or request_key is None:
        return None
    return key, request_key


IDEMPOTENCY_HEADER = params.IDEMPOTENCY_KEY.lower().encode()


@functools.cache
def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@functools.cache
def _issue_path() -> str:
    return reverse("api-ticket-issue")


def _issue_request(request) -> tuple[bool, dict | None]:
    """Whether the request came over HTTPS, and its valid issue fields (None: not valid).
    Raises ValueError for a body that is not JSON and DisallowedHost for a host outside
    ALLOWED_HOSTS, before anything is written."""
    secure = request.is_secure()
    request.get_host()
    try:
        return secure, _ISSUE_IN.run_validation(json.loads(request.body))
    except ValidationError:
        return secure, None


# The endpoint's own serializer, built once: validating with it holds no state, and a
# serializer per request copies its fields (a tenth of this path's time).
_ISSUE_IN = IssueIn()


def _rate_allows(device) -> bool:
    return DeviceRateThrottle().allow_request(SimpleNamespace(auth=device), None)


def issue_for_kiosk(request, key: str, request_key: str = "") -> tuple[list, bytes] | None:
    """Issue a ticket for a kiosk's valid request and return the 201 answer's headers and
    body; None when the request is not the plain case (Django's view then answers it,
    refusals included). Nothing is written when None is returned.

    Runs in a worker thread; the ticket's event is collected by the caller's
    ``events.events_collected`` and sent from the event loop.
    """
    try:
        secure, data = _issue_request(request)
        if data is None:
            return None
        found = selectors.kiosk_and_first_step(key=key, service_id=data["service"])
        if found is None:
            return None
        device, first_step = found
        if not _rate_allows(device):
            return None
        calendar = (hours.office_calendar_cached(office_id=device.office_id)
                    or hours.office_calendar(office_id=device.office_id))
        ticket = services.ticket_issue(
            service=first_step.service, first_step=first_step, priority=data["priority"],
            language=data["language"], device=device, request_key=request_key,
            calendar=calendar)
    except (ValueError, QueueError, DisallowedHost, DatabaseError):
        # Django answers: a bad body, a refusal (closed, paused), a bad host, the database
        # failing (rolled back, so Django's own try finds the same state and says 503).
        return None
    finally:
        close_old_connections()
    return _answer_headers(request, secure), JSONRenderer().render(issued_out(request, ticket))


async def issue_for_kiosk_on_loop(request, key: str,
                                  request_key: str = "") -> tuple[list, bytes] | None:
    """``issue_for_kiosk`` on PostgreSQL without leaving the event loop: the same answer,
    the same None (nothing written) for everything Django's view must answer. The
    ticket's event has been sent when it returns."""
    try:
        secure, data = _issue_request(request)
        if data is None:
            return None
        async with (await kiosk_database()).connection(timeout=KIOSK_DATABASE_WAIT) as aconn:
            found = await selectors.kiosk_and_first_step_async(
                aconnection=aconn, key=key, service_id=data["service"])
            if found is None:
                return None
            device, first_step = found
            # A service with a daily cap is Django's path's: its count needs a lock.
            if first_step.service.daily_ticket_cap is not None or not _rate_allows(device):
                return None
            calendar = await _office_calendar(device.office_id)
            ticket = await services.ticket_issue_async(
                aconnection=aconn, service=first_step.service, first_step=first_step,
                priority=data["priority"], language=data["language"], device=device,
                calendar=calendar, request_key=request_key)
    except (ValueError, QueueError, DisallowedHost, psycopg.Error, PoolTimeout):
        # As above; a statement that failed wrote nothing (it is its own transaction).
        return None
    return _answer_headers(request, secure), JSONRenderer().render(issued_out(request, ticket))


async def _office_calendar(office_id: int) -> hours.OfficeCalendar:
    """The office's walk-in calendar as this process read it within seconds (no query), or
    read now in a worker thread (once per ``hours.CACHE_SECONDS`` per office)."""
    calendar = hours.office_calendar_cached(office_id=office_id)
    if calendar is None:
        calendar = await database_sync_to_async(hours.office_calendar)(office_id=office_id)
    return calendar


# The connections of the lean path, per event loop (one per server process; tests run
# several loops). A handful is enough: a statement holds one for about a millisecond.
KIOSK_DATABASE_CONNECTIONS = 4
KIOSK_DATABASE_WAIT = 2.0  # seconds a request waits for a connection before Django's path
_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def kiosk_database() -> AsyncConnectionPool:
    """This event loop's pool of async connections to Django's PostgreSQL database, with
    Django's own connection settings and type adapters, in autocommit."""
    loop = asyncio.get_running_loop()
    if loop not in _pools:
        _pools[loop] = loop.create_task(_pool_opened())
    return await asyncio.shield(_pools[loop])


async def _pool_opened() -> AsyncConnectionPool:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)  # Django's is a sync cursor; psycopg's async one
    # binds on the server, and the issue statement (the same text every time) is prepared.
    params.update(autocommit=True, prepare_threshold=1)
    pool = AsyncConnectionPool(kwargs=params, min_size=1, max_size=KIOSK_DATABASE_CONNECTIONS,
                               open=False, name="kiosk-issue")
    await pool.open(wait=False)
    return pool


async def kiosk_database_close() -> None:
    """Close this event loop's pool (tests: before their database is dropped)."""
    task = _pools.pop(asyncio.get_running_loop(), None)
    if task is not None:
        await (await task).close()


_HEADERS_BY_SCHEME: dict[bool, list] = {}


def _answer_headers(request, secure: bool) -> list[tuple[bytes, bytes]]:
    """The headers of a 201 JSON answer as Django's middleware sets them (once per scheme:
    HTTPS adds HSTS), asked of the middleware's own ``process_response``."""
    if secure not in _HEADERS_BY_SCHEME:
        response = HttpResponse(status=201, content_type="application/json")
        for middleware in _HEADERS:
            response = middleware.process_response(request, response)
        _HEADERS_BY_SCHEME[secure] = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                      for k, v in response.items()]
    return _HEADERS_BY_SCHEME[secure]


class KioskIssuePath:
    """ASGI wrapper: serves a kiosk's ticket issue itself, passes everything else on."""

    def __init__(self, django_app):
        self.django = django_app

    async def __call__(self, scope, receive, send):
        """Answer a kiosk's issue request, or hand the request to Django."""
        kiosk = kiosk_request(scope)
        if kiosk is None:
            return await self.django(scope, receive, send)
        body, messages = await _read_body(receive)
        if body is not None:
            request = self.django.request_class(scope, io.BytesIO(body))
            if _on_postgresql():
                answer = await issue_for_kiosk_on_loop(request, *kiosk)
            else:
                with events.events_collected() as outbox:
                    answer = await sync_to_async(issue_for_kiosk, thread_sensitive=False)(
                        request, *kiosk)
                # The screens first, as on Django's path: a server cancelling the request
                # once it is answered (the kiosk went away) must not lose the event.
                await events.send_collected(outbox)
            if answer is not None:
                headers, content = answer
                await send({"type": "http.response.start", "status": 201, "headers": [
                    *headers, (b"content-length", str(len(content)).encode())]})
                await send({"type": "http.response.body", "body": content})
                return None
        return await self.django(scope, _replay(messages, receive), send)


async def _read_body(receive) -> tuple[bytes | None, list]:
    """The request body (None past MAX_BODY or on disconnect) and the messages read."""
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return None, messages
        if not message.get("more_body"):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list, receive):
    """A ``receive`` that gives Django the messages already read, then the rest."""
    pending = list(messages)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed
