"""Ticket numbers per office, prefix and business day (Asia/Tokyo)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from queueing import numbering, services
from queueing.models import Service, Ticket

TOKYO = ZoneInfo("Asia/Tokyo")


def svc(code: str) -> Service:
    return Service.objects.get(office__code="demo", code=code)


def test_numbers_count_up_from_one_per_prefix(office):
    # Given two services sharing prefix A and one with prefix B
    a1 = services.ticket_issue(service=svc("juminhyo"))
    a2 = services.ticket_issue(service=svc("inkan"))
    b1 = services.ticket_issue(service=svc("koseki"))
    a3 = services.ticket_issue(service=svc("juminhyo"))
    # Then A counts across both A services, B separately
    assert [a1.display_number, a2.display_number, a3.display_number] == ["A001", "A002", "A003"]
    assert b1.display_number == "B001"


def test_business_day_turns_at_midnight_in_tokyo_not_utc():
    # 14:59 UTC is 23:59 in Tokyo; 15:00 UTC is the next day there.
    before = datetime.datetime(2026, 11, 26, 14, 59, tzinfo=datetime.UTC)
    after = datetime.datetime(2026, 11, 26, 15, 0, tzinfo=datetime.UTC)
    assert numbering.business_day(before) == datetime.date(2026, 11, 26)
    assert numbering.business_day(after) == datetime.date(2026, 11, 27)


def test_numbers_restart_each_business_day(office):
    day1, day2 = datetime.date(2026, 11, 26), datetime.date(2026, 11, 27)
    with transaction.atomic():
        assert numbering.number_take(office_id=office.id, prefix="A", day=day1) == 1
        assert numbering.number_take(office_id=office.id, prefix="A", day=day1) == 2
        assert numbering.number_take(office_id=office.id, prefix="A", day=day2) == 1


def test_rolled_back_ticket_gives_its_number_back(office):
    # A failure after the number was taken must not leave a gap.
    with pytest.raises(RuntimeError), transaction.atomic():
        numbering.number_take(office_id=office.id, prefix="A", day=numbering.business_day())
        raise RuntimeError("printer jam after numbering")
    ticket = services.ticket_issue(service=svc("juminhyo"))
    assert ticket.display_number == "A001"


def test_database_refuses_a_duplicate_number(office):
    t = services.ticket_issue(service=svc("juminhyo"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(
            office=office, business_day=t.business_day, prefix="A", number=t.number,
            service=t.service, step=t.step, issued_at=t.issued_at, step_entered_at=t.issued_at,
        )


def test_display_number_pads_to_three_digits_and_grows_past_999(office):
    t = services.ticket_issue(service=svc("juminhyo"))
    t.number = 1000
    assert t.display_number == "A1000"
    t.number = 7
    assert t.display_number == "A007"
