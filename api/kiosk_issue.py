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
"""

from __future__ import annotations

import functools
import io
import json
from types import SimpleNamespace

from asgiref.sync import sync_to_async
from csp.middleware import CSPMiddleware
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, close_old_connections
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from rest_framework.renderers import JSONRenderer

from queueing import events, selectors, services
from queueing.errors import QueueError

from .devices import DeviceKeyAuthentication, DeviceRateThrottle
from .serializers import IssueIn, issued_out

MAX_BODY = 4096  # a kiosk's issue request is ~60 bytes; anything larger is Django's to refuse
KEYWORD = DeviceKeyAuthentication.keyword.lower().encode() + b" "  # "Device <key>"


def _no_response(request):  # the middleware below are only asked for their headers
    raise AssertionError("not called")


_HEADERS = (SecurityMiddleware(_no_response), XFrameOptionsMiddleware(_no_response),
            CSPMiddleware(_no_response))


def device_key(scope: dict) -> str | None:
    """The device key of a ``POST /api/v1/tickets/`` request, or None for any other request."""
    if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != _issue_path():
        return None
    key = content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:len(KEYWORD)].lower() == KEYWORD:
            key = value[len(KEYWORD):].strip().decode("latin-1")
        elif name == b"content-type":
            content_type = value.split(b";")[0].strip().lower()
    return key if key and content_type == b"application/json" else None


@functools.cache
def _issue_path() -> str:
    return reverse("api-ticket-issue")


def issue_for_kiosk(request, key: str) -> tuple[list, bytes] | None:
    """Issue a ticket for a kiosk's valid request and return the 201 answer's headers and
    body; None when the request is not the plain case (Django's view then answers it,
    refusals included). Nothing is written when None is returned.

    Runs in a worker thread; the ticket's event is collected by the caller's
    ``events.events_collected`` and sent from the event loop.
    """
    try:
        secure = request.is_secure()
        request.get_host()  # a host outside ALLOWED_HOSTS: refused before anything is written
        form = IssueIn(data=json.loads(request.body))
        if not form.is_valid():
            return None
        data = form.validated_data
        found = selectors.kiosk_and_first_step(key=key, service_id=data["service"])
        if found is None:
            return None
        device, first_step = found
        if not DeviceRateThrottle().allow_request(SimpleNamespace(auth=device), None):
            return None
        ticket = services.ticket_issue(
            service=first_step.service, first_step=first_step, priority=data["priority"],
            language=data["language"], device=device)
    except (ValueError, QueueError, DisallowedHost, DatabaseError):
        # Django answers: a bad body, a refusal (closed, paused), a bad host, the database
        # failing (rolled back, so Django's own try finds the same state and says 503).
        return None
    finally:
        close_old_connections()
    return _answer_headers(request, secure), JSONRenderer().render(issued_out(request, ticket))


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
        key = device_key(scope)
        if key is None:
            return await self.django(scope, receive, send)
        body, messages = await _read_body(receive)
        if body is not None:
            request = self.django.request_class(scope, io.BytesIO(body))
            with events.events_collected() as outbox:
                answer = await sync_to_async(issue_for_kiosk, thread_sensitive=False)(
                    request, key)
            if answer is not None:
                # The screens first, as on Django's path: a server cancelling the request
                # once it is answered (the kiosk went away) must not lose the event.
                await events.send_collected(outbox)
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
