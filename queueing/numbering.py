"""Ticket numbers: gap-free and unique per office, prefix and business day."""

import datetime

from django.db import connection
from django.utils import timezone

from .models import NumberSequence


def business_day(at: datetime.datetime | None = None) -> datetime.date:
    """The business day (Asia/Tokyo) of a moment, now by default."""
    return timezone.localdate(at or timezone.now())


def number_take(*, office_id: int, prefix: str, day: datetime.date) -> int:
    """Take the next number for a queue prefix; call inside the ticket's transaction.

    One statement: insert the day's row at 1 or add 1 to it, and return the
    result. The row stays locked until the surrounding transaction commits, so
    numbers are unique, and a rolled-back ticket gives its number back: no gaps.
    Works on PostgreSQL and on SQLite (3.35+), both of which have
    ``INSERT ... ON CONFLICT ... RETURNING``.
    """
    with connection.cursor() as cursor:
        cursor.execute(*number_take_sql(office_id=office_id, prefix=prefix, day=day))
        return cursor.fetchone()[0]


def number_take_sql(*, office_id: int, prefix: str, day: datetime.date) -> tuple[str, list]:
    """The statement of ``number_take`` (it returns ``last_number``), for callers that run it
    as part of a larger statement (the one-statement issue on PostgreSQL)."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    return (f"INSERT INTO {table} (office_id, prefix, business_day, last_number) "
            "VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (office_id, prefix, business_day) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number", [office_id, prefix, day])
