"""The console and supervisor pages show only the offices the account may see: a counter
elsewhere is refused in plain Japanese and English; another office's report never shows."""

import csv

import pytest
from django.test import Client

from queueing import services
from queueing.models import Counter, Service


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_contractor_of_another_company_cannot_sign_in_at_the_demo_counters(office,
                                                                               contractor2):
    client = signed_in(contractor2)
    home = client.get("/staff/").content.decode()
    assert "使える窓口がありません" in home
    response = client.get(f"/staff/counter/{Counter.objects.get(office=office, number=1).pk}/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "このアカウントは働けません" in page and "no contract in force" in page


def test_a_contractor_of_the_right_company_signs_in_at_its_counter(office, contractor):
    client = signed_in(contractor)
    counter = Counter.objects.get(office=office, number=1)
    assert f"/staff/counter/{counter.pk}/" in client.get("/staff/").content.decode()
    assert client.get(f"/staff/counter/{counter.pk}/").status_code == 200


def test_municipal_staff_see_only_their_offices_counters(branch, municipal):
    client = signed_in(municipal)
    home = client.get("/staff/").content.decode()
    assert "北 1" not in home and "証明書 1" in home
    branch_counter = Counter.objects.get(office=branch, number=2)
    response = client.get(f"/staff/counter/{branch_counter.pk}/")
    assert response.status_code == 403
    assert "所属していない庁舎" in response.content.decode()


SUPERVISOR_PAGES = ["/supervisor/", "/supervisor/history/", "/supervisor/contract/",
                    "/supervisor/plan/"]


@pytest.mark.parametrize("page", SUPERVISOR_PAGES)
def test_a_supervisor_of_one_office_is_refused_another_offices_page(branch, supervisor, page):
    response = signed_in(supervisor).get(f"{page}?office={branch.pk}")
    assert response.status_code == 403
    assert "北支所" not in response.content.decode()


@pytest.mark.parametrize("page", SUPERVISOR_PAGES)
def test_a_supervisor_without_an_office_named_gets_its_own(branch, supervisor, page):
    Counter.objects.filter(office=branch).update(label="北支所だけの窓口")
    response = signed_in(supervisor).get(page)
    assert response.status_code == 200
    assert "北支所" not in response.content.decode()


@pytest.mark.parametrize("page", SUPERVISOR_PAGES)
def test_a_city_wide_supervisor_sees_both_offices(branch, office, city_supervisor, page):
    client = signed_in(city_supervisor)
    assert client.get(f"{page}?office={branch.pk}").status_code == 200
    assert client.get(f"{page}?office={office.pk}").status_code == 200


def test_the_branch_supervisor_sees_the_branch_not_the_city_hall(branch, office):
    from django.contrib.auth.models import User

    client = signed_in(User.objects.get(username="branch_supervisor"))
    assert "北支所" in client.get("/supervisor/").content.decode()
    assert client.get(f"/supervisor/?office={office.pk}").status_code == 403


def test_the_audit_shows_a_supervisor_only_its_offices_tickets(branch, office, supervisor,
                                                              city_supervisor):
    services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    services.ticket_issue(service=Service.objects.get(office=branch, code="juminhyo"))
    def ticket_rows(user) -> list[list[str]]:
        response = signed_in(user).get("/supervisor/audit/?kind=tickets&csv=1")
        return [row for row in csv.reader(response.content.decode().splitlines())
                if row[1:2] == ["tickets"]]

    assert [row[5] for row in ticket_rows(supervisor)] == ["A001"]  # the city hall's only
    assert len(ticket_rows(city_supervisor)) == 2


def test_sign_ins_are_for_city_wide_supervisors_only(office, supervisor, city_supervisor):
    response = signed_in(supervisor).get("/supervisor/audit/?kind=security")
    assert response.status_code == 403
    assert "全庁の監督者" in response.content.decode()
    assert signed_in(city_supervisor).get("/supervisor/audit/?kind=security").status_code == 200
