"""The configuration pages: a supervisor adds counters, services with steps, contracts and
kiosks to its own offices only; a city-wide supervisor adds offices and contractor companies;
each change is in the configuration history with its author."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.test import Client

from queueing import routing
from queueing.models import (
    Contract,
    ContractorCompany,
    Counter,
    Device,
    Kind,
    Office,
    SecurityEvent,
    Service,
)

pytestmark = pytest.mark.django_db


def signed_in(user, language: str = "ja") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _steps(*rows) -> dict:
    data = {"steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "1",
            "steps-MAX_NUM_FORMS": "10"}
    for i, (name, kind) in enumerate(rows):
        data[f"steps-{i}-name"], data[f"steps-{i}-kind"] = name, kind
    return data


def test_a_city_wide_supervisor_adds_an_office_and_its_change_is_audited(city_supervisor):
    response = signed_in(city_supervisor).post("/supervisor/setup/offices/new/",
                                               {"code": "minami", "name": "みどり市 南支所"})
    office = Office.objects.get(code="minami")
    assert response.status_code == 302 and response["Location"].endswith(f"?office={office.pk}")
    entry = LogEntry.objects.get_for_object(office).get()
    assert entry.actor == city_supervisor and entry.action == LogEntry.Action.CREATE


def test_an_office_supervisor_may_not_add_an_office_or_a_company(supervisor):
    client = signed_in(supervisor)
    assert client.post("/supervisor/setup/offices/new/",
                       {"code": "x", "name": "x"}).status_code == 403
    assert client.post("/supervisor/setup/companies/new/", {"name": "x"}).status_code == 403
    assert not Office.objects.filter(code="x").exists()
    assert not ContractorCompany.objects.filter(name="x").exists()


def test_a_service_is_saved_with_its_steps_in_order_after_the_last_service(office, supervisor):
    last = max(s.sort_order for s in office.services.all())
    response = signed_in(supervisor).post(
        f"/supervisor/setup/{office.pk}/services/new/",
        {"code": "tennyu2", "name": "転入届 (テスト)", "prefix": "T", "target_wait_minutes": 15,
         "default_service_minutes": 8,
         **_steps(("受付", Kind.OUTSOURCED), ("審査", Kind.STAFF_ONLY))})
    assert response.status_code == 302
    service = Service.objects.get(office=office, code="tennyu2")
    assert [(s.order, s.name, s.kind) for s in service.steps.all()] == [
        (1, "受付", Kind.OUTSOURCED), (2, "審査", Kind.STAFF_ONLY)]
    assert service.sort_order == last + 1
    assert LogEntry.objects.filter(actor=supervisor, content_type__model="step").count() == 2


def test_a_service_without_a_step_is_refused_with_the_reason_in_japanese(office, supervisor):
    response = signed_in(supervisor).post(
        f"/supervisor/setup/{office.pk}/services/new/",
        {"code": "nostep", "name": "手順なし", "prefix": "N", "target_wait_minutes": 15,
         "default_service_minutes": 5, **_steps()})
    assert response.status_code == 400
    assert not Service.objects.filter(code="nostep").exists()
    assert "手続きを追加" in response.content.decode()  # the form's title, in Japanese


def test_a_counter_is_saved_with_its_kind_and_services(office, supervisor):
    service = office.services.get(code="juminhyo")
    response = signed_in(supervisor).post(
        f"/supervisor/setup/{office.pk}/counters/new/",
        {"number": 41, "label": "臨時窓口", "kind": Kind.STAFF_ONLY, "services": [service.pk]})
    assert response.status_code == 302
    counter = Counter.objects.get(office=office, number=41)
    assert counter.kind == Kind.STAFF_ONLY and list(counter.services.all()) == [service]


def test_a_supervisor_cannot_configure_an_office_it_does_not_belong_to(branch, supervisor):
    client = signed_in(supervisor)
    for what in ("counters", "services", "contracts", "devices"):
        assert client.get(f"/supervisor/setup/{branch.pk}/{what}/new/").status_code == 403
    assert client.post(f"/supervisor/setup/{branch.pk}/counters/new/",
                       {"number": 9, "kind": Kind.OUTSOURCED}).status_code == 403
    assert not Counter.objects.filter(office=branch, number=9).exists()
    assert client.get(f"/supervisor/setup/?office={branch.pk}").status_code == 403


def test_municipal_staff_and_contractors_configure_nothing(office, municipal, contractor):
    for user in (municipal, contractor):
        assert not routing.offices_to_configure(user=user).exists()
        assert signed_in(user).get("/supervisor/setup/").status_code == 403
        assert signed_in(user).get(
            f"/supervisor/setup/{office.pk}/counters/new/").status_code == 403


def test_a_contract_lets_the_companys_accounts_work_at_the_office(branch, city_supervisor,
                                                                  contractor):
    company = contractor.contractor_staff.company
    assert not routing.may_see_office(office_id=branch.pk, user=contractor)
    today = datetime.date.today()
    response = signed_in(city_supervisor).post(
        f"/supervisor/setup/{branch.pk}/contracts/new/",
        {"company": company.pk, "name": "北支所 追加契約", "starts_on": today.isoformat(),
         "ends_on": (today + datetime.timedelta(days=30)).isoformat(), "tax_percent": 10})
    assert response.status_code == 302
    contract = Contract.objects.get(office=branch, company=company, name="北支所 追加契約")
    assert LogEntry.objects.get_for_object(contract).get().actor == city_supervisor
    assert routing.may_see_office(office_id=branch.pk, user=contractor)


def test_a_contract_that_ends_before_it_starts_is_refused(office, supervisor):
    company = ContractorCompany.objects.first()
    before = Contract.objects.count()
    response = signed_in(supervisor).post(
        f"/supervisor/setup/{office.pk}/contracts/new/",
        {"company": company.pk, "name": "逆", "starts_on": "2027-04-01",
         "ends_on": "2027-03-31", "tax_percent": 10})
    assert response.status_code == 400 and Contract.objects.count() == before
    assert "契約の終了日が開始日より前です" in response.content.decode()


def test_a_new_kiosk_shows_its_address_once_and_its_key_is_in_the_security_audit(
        office, supervisor):
    response = signed_in(supervisor).post(f"/supervisor/setup/{office.pk}/devices/new/",
                                          {"type": Device.Type.KIOSK, "name": "2階 発券機"})
    device = Device.objects.get(office=office, name="2階 発券機")
    assert f"/kiosk/{device.key}/" in response.content.decode()
    assert SecurityEvent.objects.filter(device=device, actor=supervisor).exists()
    home = signed_in(supervisor).get(f"/supervisor/setup/?office={office.pk}").content.decode()
    assert "2階 発券機" in home and device.key not in home


def test_an_individual_number_typed_as_a_label_is_refused_and_never_shown(office, supervisor):
    response = signed_in(supervisor).post(
        f"/supervisor/setup/{office.pk}/counters/new/",
        {"number": 42, "label": "1234 5678 9012", "kind": Kind.OUTSOURCED})
    assert response.status_code == 400
    assert "1234 5678 9012" not in response.content.decode()
    assert not Counter.objects.filter(office=office, number=42).exists()


def test_the_pages_speak_the_browsers_language(office, supervisor):
    assert "Add a counter" in signed_in(supervisor, "en").get(
        "/supervisor/setup/").content.decode()
    assert "窓口を追加" in signed_in(supervisor, "ja").get("/supervisor/setup/").content.decode()
