"""Reads for the lobby display page: what it needs before its socket opens."""

from queueing.languages import LANGUAGE_CODES
from queueing.models import Device
from queueing.selectors import display_service_ids


def display_page_config(*, device: Device) -> dict:
    """Names per language and the services shown, for the display page's script."""
    shown = display_service_ids(device=device)
    services = device.office.services.filter(active=True)
    if shown:
        services = services.filter(id__in=shown)
    configured = [code for code in device.languages or [] if code in LANGUAGE_CODES]
    languages = list(dict.fromkeys(["ja", *configured]))
    return {
        "office": device.office.name,
        "display": device.name,
        "languages": languages,
        "service_ids": sorted(shown),
        "service_names": {
            str(s.id): {lang: s.name_in(lang) for lang in languages} for s in services
        },
    }
