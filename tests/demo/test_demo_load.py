"""Loading the demo again (each `make run`) keeps the accounts, their passwords and sessions."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from demo.city_hall import ACCOUNTS, ADMIN, demo_load

pytestmark = pytest.mark.django_db


def test_a_rerun_keeps_a_changed_password_and_the_session_made_before(office):
    user = User.objects.get(username="municipal")
    user.set_password("a-password-the-clerk-chose")
    user.save()
    client = Client()
    response = client.post("/staff/login/", {"username": "municipal",
                                             "password": "a-password-the-clerk-chose"})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200

    demo_load()

    assert client.get("/staff/").status_code == 200  # still signed in
    user.refresh_from_db()
    assert user.check_password("a-password-the-clerk-chose")
    assert not user.check_password("municipal-demo-pass")
    assert Client().post("/staff/login/", {"username": "municipal",
                                           "password": "a-password-the-clerk-chose"}
                         ).status_code == 302


def test_a_rerun_creates_only_the_missing_accounts_with_their_demo_passwords(office):
    User.objects.filter(username="contractor").delete()
    admin_before = User.objects.get(username=ADMIN[0]).password

    demo_load()

    for username, password, _role, _name in ACCOUNTS:
        assert User.objects.get(username=username).check_password(password)
    admin = User.objects.get(username=ADMIN[0])
    assert admin.password == admin_before and admin.is_superuser


def test_the_demo_office_takes_phone_tickets_in_the_lobby_with_the_code(office):
    from queueing.models import Office

    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.OFF)
    demo_load()
    office.refresh_from_db()
    assert office.phone_join == Office.PhoneJoin.LOBBY
    assert Office.objects.filter(code="demo").count() == 1


def test_the_demo_has_two_contractor_companies_and_only_one_contract_here(office):
    from queueing import routing
    from queueing.models import Contract, ContractorCompany, Counter

    demo_load()  # a re-run adds no second company, contract or membership

    assert ContractorCompany.objects.count() == 2
    contract = Contract.objects.get(office=office)
    contractor, contractor2 = (User.objects.get(username=n) for n in ("contractor", "contractor2"))
    assert contractor.contractor_staff.company == contract.company
    assert contractor2.contractor_staff.company != contract.company
    assert contractor2.check_password("contractor2-demo-pass")
    counter = Counter.objects.get(office=office, number=1)
    assert routing.may_operate(counter=counter, user=contractor)
    assert not routing.may_operate(counter=counter, user=contractor2)
    assert list(routing.offices_for(user=User.objects.get(username="supervisor"))) == [office]
    assert Client().post("/staff/login/", {"username": "contractor2",
                                           "password": "contractor2-demo-pass"}
                         ).status_code == 302  # it signs in, and is offered no counter here
