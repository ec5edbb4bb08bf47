"""Reading ids, dates and months from paths, query strings and bodies: range-checked at the edge.

What passes here fits the database and the calendar arithmetic behind it: an
id fits a bigint (a longer one was a 500 on PostgreSQL), a date lies between
``FIRST_DAY`` and ``LAST_DAY`` (``9999-12-31`` plus one day was an
OverflowError), digits are ASCII only (``"²".isdigit()`` is True, ``int("²")``
raises). Anything else is "not given" or a plain refusal, never a 500.
"""

import datetime
import re

from rest_framework import serializers

MAX_ID = 2**63 - 1
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)
_ID = re.compile(r"[0-9]{1,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def query_id(value: str | None) -> int | None:
    """A database id from a query string, or None when it is not one."""
    if value and _ID.fullmatch(value) and int(value) >= 1:
        return int(value)
    return None


def query_day(value: str | None) -> datetime.date | None:
    """A date YYYY-MM-DD within FIRST_DAY..LAST_DAY, or None when it is not one."""
    if not value or not _DAY.fullmatch(value):
        return None
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def query_month(value: str | None) -> datetime.date | None:
    """The first day of a month YYYY-MM within the same range, or None."""
    if not value or not _MONTH.fullmatch(value):
        return None
    return query_day(f"{value}-01")


def id_field(**kwargs) -> serializers.IntegerField:
    """A serializer field for a database id: 1 to the largest bigint."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)



IDEMPOTENCY_KEY = "Idempotency-Key"  # the request header a kiosk sends with each press
_REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def request_key(value: str | None) -> str | None:
    """The request key of an ``Idempotency-Key`` header ("" when there is none), or None when
    the header is not a key (8-64 letters, digits, "-" or "_", as a UUID is)."""
    if value is None:
        return ""
    return value if _REQUEST_KEY.fullmatch(value) else None
