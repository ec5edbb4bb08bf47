"""The lobby display page: a full-screen board fed by /ws/display/<key>/."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from queueing.models import Device
from queueing.selectors import device_by_key

from . import selectors


def display_page(request: HttpRequest, key: str) -> HttpResponse:
    """Render the display for an active display key; a plain-words page for a bad one."""
    device = device_by_key(key=key, type=Device.Type.DISPLAY)
    if device is None:
        return render(request, "displays/unknown.html", status=404)
    return render(request, "displays/display.html", {
        "device": device,
        "config": {**selectors.display_page_config(device=device),
                   "socket_path": f"/ws/display/{key}/"},
    })
