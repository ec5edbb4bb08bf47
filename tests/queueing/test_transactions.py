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
