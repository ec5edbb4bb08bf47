"""Each service runs in one durable transaction (queueing/transactions.py)."""

import pytest
from django.db import transaction

from queueing import services
from queueing.errors import Conflict
from queueing.models import Service, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def juminhyo():
    return Service.objects.get(office__code="demo", code="juminhyo")


def test_a_service_called_inside_another_transaction_fails_loudly(office):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.ticket_issue(service=juminhyo())
    assert not Ticket.objects.exists()


def test_joining_a_transaction_must_be_asked_for_and_needs_one(office):
    with pytest.raises(RuntimeError, match="needs an open transaction"):
        services.ticket_issue.within_transaction(service=juminhyo())
    with transaction.atomic():
        ticket = services.ticket_issue.within_transaction(service=juminhyo())
    assert Ticket.objects.get().pk == ticket.pk


def test_a_refused_change_leaves_nothing_behind(office, contractor):
    juminhyo_ = juminhyo()
    juminhyo_.active = False
    juminhyo_.save()
    with pytest.raises(Conflict):
        services.ticket_issue(service=juminhyo_)
    assert not Ticket.objects.exists()


def _issue_in_another_thread() -> None:
    import threading

    from django.db import connection

    def issue():
        try:
            services.ticket_issue(service=juminhyo())
        finally:
            connection.close()

    thread = threading.Thread(target=issue)
    thread.start()
    thread.join()


def test_a_snapshot_and_its_version_are_read_at_one_moment(office, postgres):
    """A ticket committed between reading the version and the rows is in neither (it
    reaches the board as its event): read one by one, the rows had it under the old
    version, and the event applied over the read counted it twice."""
    from queueing import selectors

    office_id = juminhyo().office_id
    with selectors.one_moment():
        version = selectors.office_version(office_id=office_id)
        _issue_in_another_thread()
        snapshot = selectors.office_snapshot(office_id=office_id)
    assert snapshot["version"] == version
    waiting = {row["service_id"]: row["waiting"] for row in snapshot["services"]}
    assert waiting[juminhyo().pk] == 0
    # Outside one moment the rows already have it: the reason the boards read inside one.
    assert selectors.office_version(office_id=office_id) == version + 1
    assert Ticket.objects.filter(status=Ticket.Status.WAITING).count() == 1
