"""Every error a client can cause: JSON ``{code, detail}`` under /api/, a plain page elsewhere.

Django's own answers for what never reaches a view (an unknown URL, a wrong
method on a page, a failed CSRF check, a body too large, a lock-out) are
HTML or even empty; these handlers and ``ErrorPagesMiddleware`` give the
API its JSON shape for every status (404 and 405 included) and give pages a
plain message in the page's language (``?lang=``, else the browser's). No
answer quotes what the client sent.

The database being unreachable (stopped, restarting, no connection free in
``DB_POOL_TIMEOUT``) is not a server error the client could report: every
request that needs it is answered 503 with ``Retry-After``, ``{"code":
"unavailable"}`` under /api/, "please wait" on a page, here and nowhere else
(``ErrorPagesMiddleware.process_exception``). The connection pool reconnects
by itself when the database is back.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from queueing.languages import language_or, render_in_language

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

# status -> (API code, API detail)
API_ERRORS = {
    400: ("bad_request", "The request could not be read."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("forbidden", "You do not have permission to do this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as JSON."),
    429: ("throttled", "Too many requests. Please try again later."),
    500: ("server_error", "Something went wrong on the server. Please try again."),
    503: ("unavailable", "The service is unavailable for a moment. Please try again."),
}


def _page_messages() -> dict[int, str]:
    return {
        400: _("This request could not be handled. Please check what you entered and try "
               "again."),
        403: _("You may not open this page."),
        404: _("This page does not exist."),
        405: _("This page does not accept that kind of request."),
        413: _("What was sent is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again in a moment."),
        503: _("Please wait a moment. The service will be back shortly."),
    }


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the REST API (JSON errors) rather than a page."""
    return request.path.startswith(API_PREFIX)


def api_error(status: int, code: str | None = None, detail: str | None = None) -> JsonResponse:
    """An API error answer ``{code, detail}`` for a status."""
    default_code, default_detail = API_ERRORS.get(status, ("error", "The request failed."))
    return JsonResponse({"code": code or default_code, "detail": detail or default_detail},
                        status=status)


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """A plain page saying what went wrong, in the page's language."""
    lang = language_or(request.GET.get("lang"), language_or(translation.get_language()))
    with translation.override(lang):
        messages = _page_messages()
        message = messages.get(status) or messages[400 if status < 500 else 500]
    return render_in_language(request, "error.html", lang, {"message": message, "status": status},
                              status=status)


def _answer(request: HttpRequest, status: int) -> HttpResponse:
    return api_error(status) if is_api(request) else error_page(request, status)


def bad_request(request, exception=None):
    """handler400 (also for a body too large or a malformed multipart body)."""
    return _answer(request, 413 if type(exception).__name__ == "RequestDataTooBig" else 400)


def permission_denied(request, exception=None):
    """handler403."""
    return _answer(request, 403)


def page_not_found(request, exception=None):
    """handler404."""
    return _answer(request, 404)


def server_error(request):
    """handler500: logged by Django; the client gets plain words. A database that cannot
    be reached from a middleware (a signed-in page's session) is a 503 "please wait" too."""
    if database_unavailable(sys.exc_info()[1]):  # Django calls it while handling the error
        return unavailable(request)
    return _answer(request, 500)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent without its token (e.g. an expired page)."""
    return _answer(request, 403)


RETRY_AFTER_SECONDS = 5  # what a 503 asks the client to wait before trying again


def database_unavailable(exc: BaseException) -> bool:
    """Whether the exception says the database cannot be reached right now (the client
    should wait and try again) rather than a fault of the server's code."""
    return isinstance(exc, OperationalError | InterfaceError)


class ErrorPagesMiddleware:
    """Turn every error answer that is not already in shape into JSON (API) or a page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Pass the request on; reshape a 4xx/5xx answer the view or Django made bare."""
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming:
            return response
        content_type = response.get("Content-Type", "")
        if is_api(request):
            if "json" not in content_type:
                reshaped = api_error(response.status_code)
                _keep_headers(response, reshaped)
                return reshaped
            return response
        if not response.content.strip():
            reshaped = error_page(request, response.status_code)
            _keep_headers(response, reshaped)
            return reshaped
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view (DRF's included) failed because the database is unreachable: 503 and
        Retry-After; anything else goes on to Django's handlers (500)."""
        if not database_unavailable(exception):
            return None
        log.warning("the database is unreachable: %s answered 503 (%s)", request.path,
                    type(exception).__name__)
        return unavailable(request)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The answer while the database cannot be reached: 503, Retry-After, plain words."""
    response = _answer(request, 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _keep_headers(old: HttpResponse, new: HttpResponse) -> None:
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if name in old:
            new[name] = old[name]
