"""The lobby display page: a full-screen board fed by /ws/display/<key>/."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from queueing.languages import html_lang
from queueing.models import Device
from queueing.selectors import device_by_key

from . import join_code, phrases, selectors


def display_page(request: HttpRequest, key: str) -> HttpResponse:
    """Render the display for an active display key; a plain-words page for a bad one."""
    device = device_by_key(key=key, type=Device.Type.DISPLAY)
    if device is None:
        return _render(request, "displays/unknown.html", ["ja", "en"], {}, status=404)
    config = selectors.display_page_config(device=device)
    config["socket_path"] = f"/ws/display/{key}/"
    config["phrases"] = phrases.spoken_and_drawn(languages=config["languages"])
    config["labels"] = phrases.labels_by_language(languages=config["languages"])
    join = join_code.join_box(request=request, device=device, language=config["languages"][0])
    return _render(request, "displays/display.html", config["languages"],
                   {"device": device, "config": config, "join": join})


def _render(request: HttpRequest, template: str, languages: list[str], context: dict,
            status: int = 200) -> HttpResponse:
    # The screen is in its first language, with the others beside it in smaller type in
    # turn (display.js); the page comes with the second.
    with translation.override(languages[0]):
        response = render(request, template, {
            **context,
            "html_lang": html_lang(languages[0]),
            "labels": phrases.labels(languages=languages),
        }, status=status)
    response["Content-Language"] = html_lang(languages[0])
    return response
