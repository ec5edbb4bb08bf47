"""Every API error as JSON ``{"code", "detail"}``: the domain's refusals and DRF's own.

No error quotes an Individual Number back: DRF's messages that quote the
input (``"…" is not a valid choice.``) lose any such run (``privacy.redact``).
Input the edge checks missed still never becomes a 500: a number past the
database's range is a 400 like any bad field.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from queueing.errors import QueueError
from queueing.privacy import redact

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


def _scrubbed(value):
    """The error data with every string redacted of anything like an Individual Number."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def _flat(value) -> list:
    if isinstance(value, dict):
        return [c for v in value.values() for c in _flat(v)]
    if isinstance(value, list | tuple):
        return [c for v in value for c in _flat(v)]
    return [value]


def api_exception_handler(exc, context):
    """Render every error as JSON ``{"code", "detail"}`` (plus ``fields`` for bad input)."""
    if isinstance(exc, QueueError):
        return Response({"code": exc.code, "detail": redact(exc.detail)}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return Response({"code": "invalid", "detail": redact("; ".join(exc.messages))},
                        status=400)
    if isinstance(exc, DataError | OverflowError):
        return Response({"code": "invalid", "detail": "A value is out of range."}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        codes = exc.get_codes()
        response.data = {
            "code": "individual_number" if "individual_number" in _flat(codes) else "invalid",
            "detail": "The request has invalid fields.",
            "fields": _scrubbed(response.data),
        }
        return response
    if isinstance(exc, Http404) and not str(exc) and _asked_format(context):
        # DRF's content negotiation refuses an unknown ?format= with a bare 404.
        formats = ", ".join(r.format for r in context["view"].renderer_classes)
        return Response({"code": "unknown_format",
                         "detail": f"Unknown format: choose one of {formats}."}, status=400)
    if isinstance(exc, Http404):
        code = "not_found"
    else:
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)),
                    getattr(exc, "default_code", None) or "error")
    detail = exc.detail if isinstance(getattr(exc, "detail", None), str) else str(exc)
    response.data = {"code": code, "detail": redact(str(detail))
                     or ("Not found." if code == "not_found" else "The request was refused.")}
    return response


def _asked_format(context) -> bool:
    request = context.get("request")
    return bool(request is not None and getattr(request, "query_params", {}).get("format"))
