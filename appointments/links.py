"""Links a resident follows from an e-mail to their booking's private page."""

from django.conf import settings
from django.urls import reverse

from .models import Booking

# `make run`'s address: the base of e-mailed links when PUBLIC_BASE_URL is not set.
DEV_BASE_URL = "http://127.0.0.1:8000"


def manage_url(booking: Booking) -> str:
    """The absolute URL of a booking's manage page (change, cancel, rebook) in its language.

    E-mails are sent by the scheduled job, without a request to take the host
    from: ``PUBLIC_BASE_URL`` (the address residents reach) is their base.
    """
    base = settings.PUBLIC_BASE_URL.rstrip("/") or DEV_BASE_URL
    return f"{base}{reverse('booking-manage', args=[booking.token])}?lang={booking.language}"
