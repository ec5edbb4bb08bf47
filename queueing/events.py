"""The only code that publishes to the channel layer: versioned events, sent after commit.

One group per office, ``office.<id>``: every live screen of the office
(displays, resident status pages, consoles, the supervisor dashboard) listens
to it through its process's hub (``displays/hub.py``), which is why each
message names its group. Every message carries the office's event version; a
client that sees a gap, or reconnects, fetches a fresh snapshot. Messages hold
ticket numbers, never names.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from .models import Office

log = logging.getLogger(__name__)

MESSAGE_TYPE = "queue.event"  # the hub hands every message of an office group to its sockets


def office_group(office_id: int) -> str:
    """The channel-layer group of every live screen of an office."""
    return f"office.{office_id}"


def version_bump(*, office_id: int) -> int:
    """Add one to the office's event version inside the current transaction and return it."""
    table = connection.ops.quote_name(Office._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET event_version = event_version + 1 WHERE id = %s "
            "RETURNING event_version",
            [office_id],
        )
        return cursor.fetchone()[0]


def publish_on_commit(*, office_id: int, version: int, event: dict) -> None:
    """Send an event to the office's live screens once the change commits."""
    group = office_group(office_id)
    message = {"type": MESSAGE_TYPE, "group": group, "version": version, "event": event}
    transaction.on_commit(lambda: _send(group, message))


def _send(group: str, message: dict) -> None:
    # The database is the truth: a publish that fails (Redis down) is logged and
    # the request still succeeds; screens resync from a snapshot on reconnect or gap.
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 - any layer failure must not fail the action
        log.exception("publishing %s to %s failed", message["event"].get("action"), group)
