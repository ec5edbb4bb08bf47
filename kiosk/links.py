"""Links to the resident's status page, which this app serves (``/t/<token>/``)."""

from django.conf import settings
from django.urls import reverse


def status_url(request, token: str) -> str:
    """The absolute URL of a ticket's status page, as its QR code carries it.

    ``PUBLIC_BASE_URL`` replaces the request's host when kiosks reach the
    server by an internal name that residents' phones cannot.
    """
    path = reverse("ticket-status-page", args=[token])
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def status_link(token: str) -> str:
    """The absolute URL of a ticket's status page for an e-mail (a job has no request to take
    the host from): from ``PUBLIC_BASE_URL``, or "" when it is not set."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("ticket-status-page", args=[token]) if base else ""
