"""Kiosk and resident status pages."""

from django.http import HttpResponse


def ticket_status_page(request, token: str):
    """The resident's live status page (placeholder until the kiosk work lands)."""
    return HttpResponse(status=501)
