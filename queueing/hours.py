"""When a service takes walk-in tickets: the one home of its reception hours.

The kiosk's buttons, the issue API and the phone ticket all ask this module;
a checked-in booking is the one exception (an evening pickup may come after
the walk-in button's hours) and the issuing service says so itself.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from .models import Service


@dataclass(frozen=True)
class Availability:
    """Whether a service takes tickets at a moment, and if not, why."""

    open: bool
    reason: str = ""  # "inactive", "not_yet" (before its hours), "ended" (after them)
    opens_at: datetime.time | None = None
    closes_at: datetime.time | None = None


def service_availability(*, service: Service, at: datetime.datetime) -> Availability:
    """Whether the service takes walk-in tickets at that moment, with the reason when not."""
    opens, closes = service.available_from, service.available_until
    if not service.active:
        return Availability(False, "inactive", opens, closes)
    local = timezone.localtime(at).time()
    if opens and local < opens:
        return Availability(False, "not_yet", opens, closes)
    if closes and local >= closes:
        return Availability(False, "ended", opens, closes)
    return Availability(True, "", opens, closes)
