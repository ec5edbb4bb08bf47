"""The hybrid rule: staff-only steps never reach outsourced counters or contractor accounts."""

import pytest

from queueing import routing, services
from queueing.errors import Forbidden
from queueing.models import Counter, Service, Ticket


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def counter(number):
    return Counter.objects.get(office__code="demo", number=number)


def test_outsourced_counter_line_never_holds_staff_only_steps(office):
    # 転入届 ticket moved to its staff-only review step, and a welfare (staff-only) ticket.
    services.ticket_issue(service=svc("fukushi"))
    routine = services.ticket_issue(service=svc("tennyu"))
    for number in range(1, 6):
        line = list(routing.waiting_line(counter=counter(number)))
        assert all(t.step.kind == "outsourced" for t in line)
    assert routine in routing.waiting_line(counter=counter(3))


def test_staff_counter_line_holds_only_staff_only_steps(office):
    services.ticket_issue(service=svc("tennyu"))  # step 1 is outsourced
    welfare = services.ticket_issue(service=svc("fukushi"))
    assert list(routing.waiting_line(counter=counter(6))) == []
    assert list(routing.waiting_line(counter=counter(7))) == [welfare]


def test_contractor_may_operate_only_outsourced_counters(office, contractor, municipal):
    assert routing.may_operate(counter=counter(1), user=contractor)
    assert not routing.may_operate(counter=counter(6), user=contractor)
    assert all(routing.may_operate(counter=c, user=municipal) for c in Counter.objects.all())


def test_contractor_cannot_call_next_at_a_staff_counter(office, contractor):
    services.ticket_issue(service=svc("fukushi"))
    with pytest.raises(Forbidden) as err:
        services.ticket_call_next(counter=counter(7), by=contractor)
    assert err.value.code == "counter_not_allowed"
    assert Ticket.objects.get().status == "waiting"


def test_contractor_cannot_call_a_staff_only_ticket_by_number(office, contractor):
    t = services.ticket_issue(service=svc("fukushi"))
    with pytest.raises(Forbidden) as err:
        services.ticket_call_number(counter=counter(1), by=contractor, number=t.display_number)
    assert err.value.code == "step_not_allowed_here"


def test_staff_counter_cannot_call_an_outsourced_step_by_number(office, municipal):
    t = services.ticket_issue(service=svc("juminhyo"))
    with pytest.raises(Forbidden):
        services.ticket_call_number(counter=counter(6), by=municipal, number=t.display_number)


def test_municipal_staff_may_work_an_outsourced_counter(office, municipal):
    t = services.ticket_issue(service=svc("juminhyo"))
    assert services.ticket_call_next(counter=counter(1), by=municipal).pk == t.pk


def test_contractor_cannot_cancel_or_transfer_a_staff_only_ticket(office, contractor):
    t = services.ticket_issue(service=svc("fukushi"))
    with pytest.raises(Forbidden):
        services.ticket_cancel(ticket=t, by=contractor)
    with pytest.raises(Forbidden):
        services.ticket_transfer(ticket=t, counter=counter(1), by=contractor, reason="x",
                                 to_service=svc("juminhyo"))
    assert Ticket.objects.get(pk=t.pk).service.code == "fukushi"


def test_contractor_cannot_resume_a_held_staff_only_ticket(office, contractor, municipal):
    t = services.ticket_issue(service=svc("fukushi"))
    services.ticket_call_next(counter=counter(7), by=municipal)
    services.ticket_hold(ticket=t, counter=counter(7), by=municipal, reason="確認")
    with pytest.raises(Forbidden):
        services.ticket_resume(ticket=t, counter=counter(1), by=contractor)


def test_contractor_sees_detail_only_of_the_outsourced_ticket_it_serves(office, contractor):
    mine = services.ticket_issue(service=svc("juminhyo"))
    other = services.ticket_issue(service=svc("juminhyo"))
    staff = services.ticket_issue(service=svc("fukushi"))
    c1 = counter(1)
    services.ticket_call_next(counter=c1, by=contractor)
    mine.refresh_from_db()
    assert routing.visible_detail(ticket=mine, counter=c1, user=contractor)
    assert not routing.visible_detail(ticket=other, counter=c1, user=contractor)
    assert not routing.visible_detail(ticket=staff, counter=c1, user=contractor)


def test_contractor_group_wins_over_other_groups(office, contractor):
    # A configuration slip (contractor also put in municipal) must not widen access.
    from django.contrib.auth.models import Group

    contractor.groups.add(Group.objects.get(name="municipal"))
    contractor = type(contractor).objects.get(pk=contractor.pk)
    assert not routing.may_operate(counter=counter(6), user=contractor)
