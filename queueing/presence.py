"""Counter presence: when someone counts as signed in at a counter with a live console.

A counter is open only while it is staffed (``Counter.staffed``, a database
check), and it is staffed while one of its presences is live:

- a console's socket sends a heartbeat, and any action at the counter counts as
  one; a presence silent for ``COUNTER_PRESENCE_TIMEOUT_SECONDS`` (default 300)
  is gone (the browser crashed, the network went, the server restarted);
- a console that closed (the tab, a reload) stays live for
  ``COUNTER_PRESENCE_CLOSE_GRACE_SECONDS`` (default 30), so a reload or a server
  restart does not send the resident at the counter back into line;
- signing out or an expired session ends it at once.

``services.counter_presence_expire`` applies this rule to every staffed counter;
something must run it periodically without a user request (``live/sweeps.py``
in each server process, or ``manage.py counter_presence_expire --every 10``).
"""

import datetime

from django.conf import settings
from django.db.models import Q

from .models import CounterPresence

DEFAULT_TIMEOUT_SECONDS = 300
DEFAULT_CLOSE_GRACE_SECONDS = 30


def timeout() -> datetime.timedelta:
    """How long a presence may stay silent (no heartbeat, no action) and still count."""
    return datetime.timedelta(
        seconds=getattr(settings, "COUNTER_PRESENCE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def close_grace() -> datetime.timedelta:
    """How long a console that closed still counts (a reload, a server restart)."""
    return datetime.timedelta(seconds=getattr(
        settings, "COUNTER_PRESENCE_CLOSE_GRACE_SECONDS", DEFAULT_CLOSE_GRACE_SECONDS))


def live_q(now: datetime.datetime) -> Q:
    """The presences that count at ``now``: the one home of the rule above, as a filter."""
    recent = Q(seen_at__gte=now - timeout())
    connected = Q(left_at__isnull=True)
    just_closed = Q(left_reason=CounterPresence.Left.CLOSED, left_at__gte=now - close_grace())
    return recent & (connected | just_closed)


def why_gone(presence: CounterPresence) -> str:
    """Why a presence no longer counts (a ``CounterPresence.Left`` value)."""
    if presence.left_at is not None:
        return presence.left_reason
    return CounterPresence.Left.SILENT
