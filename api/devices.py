"""Kiosks and displays authenticate with revocable device keys, not user accounts."""

from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from queueing.models import Device
from queueing.selectors import device_by_key


class DeviceKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Device <key>``: sets ``request.auth`` to the Device."""

    keyword = "Device"

    def authenticate(self, request):
        """Return (anonymous user, device) for a valid key, None when no device key is sent."""
        header = request.headers.get("Authorization", "")
        if not header.startswith(self.keyword + " "):
            return None
        device = device_by_key(key=header[len(self.keyword) + 1 :].strip())
        if device is None:
            # No WWW-Authenticate header is sent, so DRF answers 403, not 401.
            raise exceptions.AuthenticationFailed("Unknown or revoked device key.")
        return AnonymousUser(), device


class IsKiosk(permissions.BasePermission):
    """The request comes from an active kiosk device."""

    message = "This needs a kiosk device key."

    def has_permission(self, request, view):
        """True for a kiosk's device key."""
        return isinstance(request.auth, Device) and request.auth.type == Device.Type.KIOSK


class DeviceRateThrottle(throttling.SimpleRateThrottle):
    """Rate limit per kiosk device (setting ``KIOSK_RATE``, default 120/min), in each
    server process: it guards the queue against a stuck button or a faulty kiosk (which
    talks to one process over its kept-alive connection), so it needs no round trip to
    Redis on every ticket; with N processes a kiosk spread over all of them gets N times it."""

    scope = "kiosk"
    cache = caches["per-process"]

    def get_cache_key(self, request, view):
        """Throttle kiosks by device id; staff requests are not throttled here."""
        if isinstance(request.auth, Device):
            return f"throttle_kiosk_{request.auth.pk}"
        return None


class DeviceKeyScheme(OpenApiAuthenticationExtension):
    """Documents the device key in the OpenAPI schema."""

    target_class = "api.devices.DeviceKeyAuthentication"
    name = "deviceKey"

    def get_security_definition(self, auto_schema):
        """An API key in the Authorization header: ``Device <key>``."""
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Kiosk or display key: `Device <key>`"}
