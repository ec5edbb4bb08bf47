"""The lobby display's box for tickets taken on a phone: a QR code of the office's phone
ticket page and, where the office asks for presence, the code of the moment.

The page carries the code it was rendered with and the seconds until it changes; its
script (``join_code.js``) then asks ``/display/<key>/join-code/`` for the next one just
after each change. The code of the window before stays accepted (queueing/presence_code.py),
so a screen a few seconds late never shows a refused code.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from kiosk.links import join_url
from queueing.models import Device, Office
from queueing.presence_code import presence_code
from queueing.qrcodes import qr_svg
from queueing.selectors import device_by_key

from .phrases import labels


def _code_now(office_id: int) -> dict:
    shown = presence_code(office_id=office_id)
    seconds = max(0, int((shown.changes_at - timezone.now()).total_seconds()))
    return {"code": shown.code, "refresh_in": seconds}


def join_box(*, request: HttpRequest, device: Device, language: str) -> dict | None:
    """What the display's phone ticket box shows, or None when the office offers none."""
    office = device.office
    if office.phone_join == Office.PhoneJoin.OFF:
        return None
    url = join_url(request, office.code)
    with translation.override(language):
        label = labels(languages=[language])["phone_qr"]["text"]
    qr: SafeString = qr_svg(url, label=label)
    box = {"url": url, "qr": qr, "needs_code": office.phone_join == Office.PhoneJoin.LOBBY}
    if box["needs_code"]:
        box["config"] = {**_code_now(office.pk),
                         "codeUrl": reverse("display-join-code", args=[device.key])}
    return box


def display_join_code(request: HttpRequest, key: str) -> HttpResponse:
    """The presence code for the display's office now, and the seconds until it changes."""
    device = device_by_key(key=key, type=Device.Type.DISPLAY)
    if device is None:
        return HttpResponse(status=404)  # the plain "page does not exist" answer
    if device.office.phone_join != Office.PhoneJoin.LOBBY:
        return JsonResponse({"code": None, "refresh_in": None})
    response = JsonResponse(_code_now(device.office_id))
    response["Cache-Control"] = "no-store"
    return response
