"""The only code that touches the channel layer: versioned events, published after commit.

Groups: ``office.<id>`` for every live screen of an office (displays, consoles,
the supervisor dashboard) and ``ticket.<token>`` for one resident's status
page. Every message carries the office's event version; a client that sees a
gap, or reconnects, fetches a fresh snapshot. Messages hold ticket numbers,
never names.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from .models import Office

log = logging.getLogger(__name__)

MESSAGE_TYPE = "queue.event"  # consumers handle it in a method named queue_event


def office_group(office_id: int) -> str:
    """The channel-layer group of every live screen of an office."""
    return f"office.{office_id}"


def ticket_group(token: str) -> str:
    """The channel-layer group of one resident's status page."""
    return f"ticket.{token}"


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


def publish_on_commit(
    *, office_id: int, version: int, event: dict, ticket_token: str | None = None
) -> None:
    """Send an event to the office's screens (and one ticket's page) once the change commits."""
    message = {"type": MESSAGE_TYPE, "version": version, "event": event}
    groups = [office_group(office_id)]
    if ticket_token:
        groups.append(ticket_group(ticket_token))
    transaction.on_commit(lambda: _send(groups, message))


def _send(groups: list[str], message: dict) -> None:
    # The database is the truth: a publish that fails (Redis down) is logged and
    # the request still succeeds; screens resync from a snapshot on reconnect or gap.
    layer = get_channel_layer()
    if layer is None:
        return
    # One hop to the event loop for all groups (each async_to_sync is a thread switch).
    async_to_sync(_send_all)(layer, groups, message)


async def _send_all(layer, groups: list[str], message: dict) -> None:
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:  # noqa: BLE001 - any layer failure must not fail the action
            log.exception("publishing %s to %s failed", message["event"].get("action"), group)
