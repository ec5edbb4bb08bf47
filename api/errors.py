"""Every API error as JSON ``{"code", "detail"}``: the domain's refusals and DRF's own."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from queueing.errors import QueueError

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
