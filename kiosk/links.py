"""Links to the resident pages this app serves: the status page (``/t/<token>/``) and the
phone ticket page (``/join/<office code>/``)."""

from django.conf import settings
from django.urls import reverse


def _public(request, path: str) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def status_url(request, token: str) -> str:
    """The absolute URL of a ticket's status page, as its QR code carries it.

    ``PUBLIC_BASE_URL`` replaces the request's host when kiosks reach the
    server by an internal name that residents' phones cannot.
    """
    return _public(request, reverse("ticket-status-page", args=[token]))


def status_link(token: str) -> str:
    """The absolute URL of a ticket's status page for an e-mail (a job has no request to take
    the host from): from ``PUBLIC_BASE_URL``, or "" when it is not set."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("ticket-status-page", args=[token]) if base else ""


def join_url(request, office_code: str) -> str:
    """The absolute URL of an office's phone ticket page, as the lobby display's QR code
    carries it (``PUBLIC_BASE_URL`` as for ``status_url``)."""
    return _public(request, reverse("phone-join", args=[office_code]))
