"""Sign-ins, sign-outs, failed sign-ins and lock-outs become rows of the security audit.

Django's auth signals (and django-axes' ``user_locked_out``) fire for every way
in: the staff sign-in page, the admin's, a kiosk's maintenance password. The
receivers only hand what the signal carries to ``services.security_event_record``.
"""

import ipaddress

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from . import services
from .models import SecurityAction
from .privacy import redact


def client_address(request) -> str | None:
    """The client's address as the ASGI server reports it (from nginx's X-Forwarded-For),
    or None."""
    value = (getattr(request, "META", None) or {}).get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def typed_username(request, credentials: dict | None = None) -> str:
    """What was typed as the user name, as django-axes keeps it (AXES_USERNAME_CALLABLE):
    never anything like an Individual Number."""
    if credentials:
        value = credentials.get("username")
    else:
        value = getattr(request, "POST", {}).get("username")
    return redact(str(value or ""))[:150]


def _record(action, request, **fields) -> None:
    services.security_event_record(action=action, address=client_address(request),
                                   detail=_where(request), **fields)


def _where(request) -> str:
    path = getattr(request, "path", "") or ""
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/kiosk/"):
        return "kiosk maintenance"
    return "staff" if path else ""


def _signed_in(sender, request, user, **kwargs):
    _record(SecurityAction.SIGNED_IN, request, user=user)


def _signed_out(sender, request, user, **kwargs):
    _record(SecurityAction.SIGNED_OUT, request, user=user)


def _failed(sender, credentials, request=None, **kwargs):
    _record(SecurityAction.SIGN_IN_FAILED, request, username=typed_username(request, credentials))


def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    _record(SecurityAction.LOCKED_OUT, request, username=redact(str(username or "")))


def connect() -> None:
    """Connect the receivers (``QueueingConfig.ready``)."""
    user_logged_in.connect(_signed_in, dispatch_uid="madoguchi.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="madoguchi.signed_out")
    user_login_failed.connect(_failed, dispatch_uid="madoguchi.sign_in_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="madoguchi.locked_out")
