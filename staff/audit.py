"""The audit trail as supervisors read and export it: one table of every kind of record.

Kinds: ``security`` (sign-ins, sign-outs, failures, lock-outs, device keys,
exports: ``SecurityEvent``), ``configuration`` (every change of the
configuration, with each field's value before and after: auditlog's
``LogEntry``), ``tickets``, ``counters`` and ``bookings`` (their audit rows).
Reads only: nothing here (nor anywhere in the product) changes or deletes a row.

Tickets, counters and bookings belong to an office and are read for the offices
asked for; sign-ins and configuration changes belong to the whole installation,
so only a city-wide supervisor reads them (``INSTALLATION_KINDS``).
"""

import datetime
import json

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.utils import timezone

from appointments.models import BookingEvent
from queueing.models import CounterEvent, Office, SecurityEvent, TicketEvent

KINDS = {
    "security": "サインイン・端末鍵 Sign-ins and device keys",
    "configuration": "設定の変更 Configuration changes",
    "tickets": "発券・呼出 Tickets",
    "counters": "窓口 Counters",
    "bookings": "予約 Bookings",
}
INSTALLATION_KINDS = {"security", "configuration"}  # not one office's: city-wide supervisors
HEADER = ["at", "kind", "action", "by", "address_or_device", "object", "change_or_reason"]
MAX_ROWS = 5000  # per page or export; narrow the days for more


def _who(user) -> str:
    return user.get_username() if user else ""


def _security(lo, hi, offices):
    for e in (SecurityEvent.objects.select_related("actor", "device")
              .filter(at__gte=lo, at__lt=hi)[:MAX_ROWS]):
        yield [e.at, "security", e.action, _who(e.actor) or e.username,
               e.address or (str(e.device) if e.device else ""), e.detail, ""]


def _configuration(lo, hi, offices):
    for e in (LogEntry.objects.select_related("actor", "content_type")
              .filter(timestamp__gte=lo, timestamp__lt=hi).order_by("timestamp")[:MAX_ROWS]):
        changes = e.changes_dict if isinstance(e.changes_dict, dict) else {}
        yield [e.timestamp, "configuration", e.get_action_display(), _who(e.actor),
               e.remote_addr or "", f"{e.content_type.model} {e.object_repr}",
               json.dumps(changes, ensure_ascii=False)]


def _tickets(lo, hi, offices):
    for e in (TicketEvent.objects.select_related("actor", "ticket", "counter", "device")
              .filter(at__gte=lo, at__lt=hi, ticket__office_id__in=offices)[:MAX_ROWS]):
        where = f"counter {e.counter.number}" if e.counter else str(e.device or "")
        yield [e.at, "tickets", e.action, _who(e.actor), where, e.ticket.display_number,
               f"{e.from_status}->{e.to_status} {e.reason}".strip()]


def _counters(lo, hi, offices):
    for e in (CounterEvent.objects.select_related("actor", "counter")
              .filter(at__gte=lo, at__lt=hi, counter__office_id__in=offices)[:MAX_ROWS]):
        yield [e.at, "counters", e.action, _who(e.actor), "", f"counter {e.counter.number}",
               f"{e.from_status}->{e.to_status} {e.reason}".strip()]


def _bookings(lo, hi, offices):
    for e in (BookingEvent.objects.select_related("actor", "booking", "device")
              .filter(at__gte=lo, at__lt=hi, booking__office_id__in=offices)[:MAX_ROWS]):
        yield [e.at, "bookings", e.action, _who(e.actor), str(e.device or ""),
               e.booking.reference, f"{e.from_status}->{e.to_status} {e.reason}".strip()]


_READERS = {"security": _security, "configuration": _configuration, "tickets": _tickets,
            "counters": _counters, "bookings": _bookings}


def audit_rows(*, kind: str, day_from: datetime.date, day_to: datetime.date,
               offices: QuerySet[Office]) -> list[list]:
    """The records of one kind from day_from to day_to (inclusive, Asia/Tokyo), oldest first,
    of these offices (the installation's kinds ignore them: the caller decides who reads those)."""
    tz = timezone.get_default_timezone()
    lo = datetime.datetime.combine(day_from, datetime.time.min, tz)
    hi = datetime.datetime.combine(day_to, datetime.time.min, tz) + datetime.timedelta(days=1)
    rows = list(_READERS[kind](lo, hi, offices.values("id")))
    for row in rows:
        row[0] = timezone.localtime(row[0]).strftime("%Y-%m-%d %H:%M:%S")
    return rows
