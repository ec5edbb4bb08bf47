"""Errors a user can cause, each with a stable code, a readable detail and an HTTP status."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class QueueError(Exception):
    """Base for refusals the domain makes; the API turns them into JSON."""

    status = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code


class Forbidden(QueueError):
    """The user's role or counter may not do this (403)."""

    status = 403
    code = "forbidden"


class NotFound(QueueError):
    """No such ticket, counter or service here (404)."""

    status = 404
    code = "not_found"


class Conflict(QueueError):
    """The state changed under the user, or the action does not fit it (409)."""

    status = 409
    code = "conflict"


_DRF_CODES = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "forbidden",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.Throttled: "throttled",
    drf.ParseError: "parse_error",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.NotAcceptable: "not_acceptable",
}


def api_exception_handler(exc, context):
    """Render every error as JSON ``{"code", "detail"}`` (plus ``fields`` for bad input)."""
    if isinstance(exc, QueueError):
        return Response({"code": exc.code, "detail": exc.detail}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return Response({"code": "invalid", "detail": "; ".join(exc.messages)}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        response.data = {
            "code": "invalid",
            "detail": "The request has invalid fields.",
            "fields": response.data,
        }
        return response
    if isinstance(exc, Http404):
        code = "not_found"
    else:
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    detail = exc.detail if isinstance(getattr(exc, "detail", None), str) else str(exc)
    response.data = {"code": code, "detail": str(detail)}
    return response
