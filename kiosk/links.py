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
