"""Kiosk state changes: maintenance mode (pause issuing with a message, resume)."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache

from queueing import routing
from queueing.errors import Forbidden, QueueError
from queueing.models import Device
from queueing.roles import is_city_staff
from queueing.transactions import durable

log = logging.getLogger("kiosk.audit")

MAX_FAILED_SIGN_INS = 5  # per kiosk, then locked for LOCKOUT_SECONDS
LOCKOUT_SECONDS = 300


def ensure_may_maintain(*, device: Device, user: AbstractBaseUser | None) -> None:
    """Refuse anyone but municipal staff and supervisors (contractor staff cannot pause kiosks)
    of the kiosk's office (``routing.offices_for``: a city-wide supervisor's are all)."""
    if not is_city_staff(user):
        raise Forbidden(
            "Only municipal staff or a supervisor may use maintenance mode.", code="no_staff_role"
        )
    if not routing.may_see_office(office_id=device.office_id, user=user):
        raise Forbidden("This kiosk belongs to an office you do not work at.",
                        code="office_not_allowed")


@durable
def kiosk_pause(*, device: Device, by: AbstractBaseUser, message: str) -> Device:
    """Stop the kiosk issuing tickets; residents see the message."""
    ensure_may_maintain(device=device, user=by)
    message = (message or "").strip()
    if len(message) > Device._meta.get_field("pause_message").max_length:
        raise QueueError("The message is too long (200 characters at most).", code="invalid")
    d = Device.objects.select_for_update().get(pk=device.pk)
    d.paused, d.pause_message = True, message
    d.save(update_fields=["paused", "pause_message"])
    log.info("kiosk %s paused by %s: %s", d.pk, by.get_username(), message)
    return d


@durable
def kiosk_resume(*, device: Device, by: AbstractBaseUser) -> Device:
    """Let the kiosk issue tickets again."""
    ensure_may_maintain(device=device, user=by)
    d = Device.objects.select_for_update().get(pk=device.pk)
    d.paused, d.pause_message = False, ""
    d.save(update_fields=["paused", "pause_message"])
    log.info("kiosk %s resumed by %s", d.pk, by.get_username())
    return d


def _failures_key(device: Device) -> str:
    return f"kiosk_maintenance_failures_{device.pk}"


def maintenance_locked(*, device: Device) -> bool:
    """True after too many wrong staff sign-ins at this kiosk (a brake on guessing passwords)."""
    return cache.get(_failures_key(device), 0) >= MAX_FAILED_SIGN_INS


def maintenance_sign_in_failed(*, device: Device) -> None:
    """Count a wrong staff sign-in at this kiosk."""
    key = _failures_key(device)
    cache.add(key, 0, LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LOCKOUT_SECONDS)
