"""Who may work where (queueing/routing.py): a contractor account at the outsourced counters
of its company's contracts in force, city staff at their offices, city-wide supervisors
everywhere; every refusal has its code."""

import datetime

import pytest

from queueing import routing, services
from queueing.errors import Forbidden
from queueing.models import Contract, Counter, Office, OfficeStaff, Service, Ticket


def counter(office_code: str, number: int) -> Counter:
    return Counter.objects.get(office__code=office_code, number=number)


def test_a_contractor_works_at_the_outsourced_counters_of_its_companys_offices_only(
        branch, contractor, contractor2):
    assert routing.may_operate(counter=counter("demo", 1), user=contractor)
    assert not routing.may_operate(counter=counter("kita", 1), user=contractor)
    assert routing.may_operate(counter=counter("kita", 1), user=contractor2)
    assert not routing.may_operate(counter=counter("demo", 1), user=contractor2)
    assert not routing.may_operate(counter=counter("kita", 2), user=contractor2)  # staff-only


def test_a_contractor_of_another_company_is_refused_with_the_office_code(office, contractor2):
    services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    with pytest.raises(Forbidden) as err:
        services.ticket_call_next(counter=counter("demo", 1), by=contractor2)
    assert err.value.code == "office_not_allowed"
    assert "contract" in err.value.detail
    assert Ticket.objects.get().status == "waiting"


def test_a_contract_out_of_force_ends_its_companys_work_at_that_office(office, contractor):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    Contract.objects.filter(office=office).update(
        starts_on=yesterday - datetime.timedelta(days=30), ends_on=yesterday)
    assert not routing.may_operate(counter=counter("demo", 1), user=contractor)
    assert list(routing.offices_for(user=contractor)) == []


def test_a_contractor_without_a_company_works_nowhere(office, contractor):
    contractor.contractor_staff.delete()
    assert list(routing.counters_for(user=contractor)) == []


def test_municipal_staff_of_one_office_cannot_act_at_another(branch, municipal):
    services.ticket_issue(service=Service.objects.get(office=branch, code="juminhyo"))
    assert not routing.may_operate(counter=counter("kita", 1), user=municipal)
    with pytest.raises(Forbidden) as err:
        services.ticket_call_next(counter=counter("kita", 1), by=municipal)
    assert err.value.code == "office_not_allowed"
    waiting = Ticket.objects.get(office=branch)
    with pytest.raises(Forbidden) as err:  # nor cancel the branch's waiting ticket
        services.ticket_cancel(ticket=waiting, by=municipal, reason="")
    assert err.value.code == "office_not_allowed"
    assert Ticket.objects.get(pk=waiting.pk).status == "waiting"


def test_staff_belonging_to_two_offices_work_at_both(branch, municipal):
    OfficeStaff.objects.create(user=municipal, office=branch)
    assert routing.may_operate(counter=counter("kita", 2), user=municipal)
    assert routing.may_operate(counter=counter("demo", 6), user=municipal)


def test_a_supervisor_sees_its_offices_and_a_city_wide_supervisor_sees_all(
        branch, office, supervisor, city_supervisor):
    assert list(routing.offices_for(user=supervisor)) == [office]
    assert set(routing.offices_for(user=city_supervisor)) == set(Office.objects.all())
    assert routing.may_operate(counter=counter("kita", 2), user=city_supervisor)
    assert not routing.may_see_office(office_id=branch.id, user=supervisor)


def test_the_counters_list_is_may_operate_for_every_counter(branch, contractor, contractor2,
                                                            municipal, city_supervisor):
    for user in (contractor, contractor2, municipal, city_supervisor):
        listed = set(routing.counters_for(user=user))
        assert listed == {c for c in Counter.objects.all()
                          if routing.may_operate(counter=c, user=user)}
