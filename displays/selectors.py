"""Reads for lobby displays: the office snapshot narrowed to what one display shows."""

from queueing.models import Device, Ticket


def display_service_ids(*, device: Device) -> set[int]:
    """Service ids the display shows; an empty set means every service of its office."""
    return set(device.services.values_list("id", flat=True))


def display_language(*, device: Device) -> str:
    """The display's first configured language (Japanese when none is set)."""
    return (device.languages or ["ja"])[0]


def narrow_snapshot(snapshot: dict, *, shown: set[int]) -> dict:
    """The office snapshot limited to a display's services (all when ``shown`` is empty).

    The office snapshot is shared by every socket of a process, so this copies
    what it narrows instead of changing it.
    """
    if not shown:
        return snapshot
    narrowed = dict(snapshot)
    for key in ("calling", "recent_calls", "services"):
        narrowed[key] = [row for row in snapshot[key] if row["service_id"] in shown]
    return narrowed


def display_page_config(*, device: Device) -> dict:
    """What the display page needs before its socket opens: names per language, services shown."""
    shown = display_service_ids(device=device)
    services = device.office.services.filter(active=True)
    if shown:
        services = services.filter(id__in=shown)
    languages = list(dict.fromkeys(["ja", *(device.languages or [])]))
    return {
        "office": device.office.name,
        "display": device.name,
        "languages": languages,
        "service_ids": sorted(shown),
        "service_names": {
            str(s.id): {lang: s.name_in(lang) for lang in languages} for s in services
        },
    }


def ticket_by_token(*, token: str) -> Ticket | None:
    """The ticket a resident's status page follows, or None for an unknown token."""
    return (
        Ticket.objects.select_related("service", "step", "counter")
        .filter(token=token)
        .first()
    )
