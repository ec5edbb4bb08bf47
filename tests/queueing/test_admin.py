"""The admin a clerk can read: Japanese labels, one input per language for translated names,
internal fields out of reach, new services placed last on the kiosk, every page answering."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.utils import translation

from demo.city_hall import ADMIN
from queueing.admin import names_field
from queueing.models import Office, Service

pytestmark = pytest.mark.django_db
# The project's admins (and auth's, which it registers again); the libraries' are their own.
PROJECT_APPS = {"queueing", "appointments", "jobs", "congestion", "staff", "auth"}


def service_post(service: Service, **changes) -> dict:
    """The service change form's fields as the browser sends them, with changes."""
    data = {"office": service.office_id, "code": service.code, "name": service.name,
            "prefix": service.prefix, "target_wait_minutes": service.target_wait_minutes,
            "default_service_minutes": service.default_service_minutes,
            "sort_order": service.sort_order, "active": "on",
            "steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0}
    data.update({names_field(code): text for code, text in service.names.items()})
    data.update(changes)
    return data


def test_the_service_form_has_one_input_per_language_and_saves_them_as_the_names(clerk, office):
    service = office.services.get(code="juminhyo")
    page = clerk.get(f"/admin/queueing/service/{service.pk}/change/").content.decode()
    assert 'name="names"' not in page  # no raw JSON box
    for code in ["ja-easy", "en", "zh-hans", "ko", "vi", "pt-br", "es"]:
        assert f'name="{names_field(code)}"' in page
    assert 'value="Certificate of residence"' in page
    assert "名称 (English)" in page
    assert (page.index('name="name"') < page.index('name="names_ja_easy"')
            < page.index('name="names_es"') < page.index('name="prefix"'))  # after the name

    response = clerk.post(f"/admin/queueing/service/{service.pk}/change/", service_post(
        service, names_en="Residence certificate", names_vi=""))
    assert response.status_code == 302, response.content.decode()[:3000]
    service.refresh_from_db()
    assert service.names["en"] == "Residence certificate"
    assert "vi" not in service.names and service.names["ko"] == "주민표 사본"


def test_a_translated_name_holding_an_individual_number_is_refused_and_not_shown(clerk, office):
    service = office.services.get(code="juminhyo")
    response = clerk.post(f"/admin/queueing/service/{service.pk}/change/",
                          service_post(service, names_en="1234-5678-9012"))
    page = response.content.decode()
    assert response.status_code == 200 and "1234-5678-9012" not in page
    service.refresh_from_db()
    assert service.names["en"] == "Certificate of residence"


def test_a_new_service_without_an_order_goes_after_the_last_one_on_the_kiosk(clerk, office):
    page = clerk.get("/admin/queueing/service/add/").content.decode()
    assert re.search(r'name="sort_order"(?![^>]*value=)', page)  # starts empty
    last = max(office.services.values_list("sort_order", flat=True))
    response = clerk.post("/admin/queueing/service/add/", {
        "office": office.pk, "code": "pasport", "name": "旅券の申請", "prefix": "P",
        "target_wait_minutes": 15, "default_service_minutes": 5, "sort_order": "",
        "active": "on", "names_en": "Passport", "steps-TOTAL_FORMS": 0,
        "steps-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:3000]
    new = office.services.get(code="pasport")
    assert new.sort_order == last + 1 and new.names == {"en": "Passport"}
    assert list(office.services.all())[-1] == new


def test_the_event_version_cannot_be_changed_through_the_office_form(clerk, office):
    office.event_version = 41
    office.save(update_fields=["event_version"])
    url = f"/admin/queueing/office/{office.pk}/change/"
    assert 'name="event_version"' not in clerk.get(url).content.decode()
    response = clerk.post(url, {
        "code": office.code, "name": office.name, "event_version": 999,
        "recall_limit": 3, "no_show_limit": 2, "no_show_cooldown_minutes": 5, "near_turn_ahead": 3,
        "phone_join": "lobby", "reasons-TOTAL_FORMS": 0, "reasons-INITIAL_FORMS": 0,
        **{f"{p}-{n}_FORMS": 0 for p in ["hours", "closures", "extra_openings"]
           for n in ["TOTAL", "INITIAL"]}})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Office.objects.get(pk=office.pk).event_version == 41


def test_a_counters_status_and_presence_are_not_editable(clerk, office):
    counter = office.counters.first()
    page = clerk.get(f"/admin/queueing/counter/{counter.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="staffed"' not in page


def test_every_changelist_and_add_page_answers_for_the_superuser(clerk):
    request = RequestFactory().get("/")
    request.user = User.objects.get(username=ADMIN[0])
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert clerk.get(base).status_code == 200, base
        if model_admin.has_add_permission(request):
            assert clerk.get(base + "add/").status_code == 200, base + "add/"


def test_every_field_the_admin_shows_has_a_japanese_label(clerk):
    request = RequestFactory().get("/")
    request.user = User.objects.get(username=ADMIN[0])
    english = []
    with translation.override("ja"):
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label not in PROJECT_APPS:
                continue
            shown = [(model, model_admin, model_admin.get_form(request)().fields)]
            shown += [(inline.model, inline, inline.get_formset(request).form().fields)
                      for inline in model_admin.get_inline_instances(request)]
            for shown_model, shown_admin, form_fields in shown:
                names = list(shown_admin.get_fields(request))
                for name in names:
                    label = (form_fields[name].label if name in form_fields and
                             form_fields[name].label else
                             label_for_field(name, shown_model, shown_admin))
                    if str(label).isascii():
                        english.append(f"{shown_model.__name__}.{name}: {label}")
            for name in model_admin.list_display:
                label = label_for_field(name, model, model_admin)
                if str(label).isascii() and name != "__str__":
                    english.append(f"{model.__name__} list {name}: {label}")
            if str(model._meta.verbose_name).isascii():
                english.append(f"{model.__name__} (model)")
    assert english == [], english


def test_a_steps_names_are_one_input_per_language_in_the_service_form_too(clerk, office):
    service = office.services.get(code="tennyu")
    url = f"/admin/queueing/service/{service.pk}/change/"
    page = clerk.get(url).content.decode()
    assert 'name="steps-0-names_en"' in page and 'name="steps-0-names"' not in page
    steps = list(service.steps.all())
    data = service_post(service, **{"steps-TOTAL_FORMS": len(steps),
                                    "steps-INITIAL_FORMS": len(steps)})
    for i, step in enumerate(steps):
        data.update({f"steps-{i}-id": step.pk, f"steps-{i}-service": service.pk,
                     f"steps-{i}-order": step.order, f"steps-{i}-name": step.name,
                     f"steps-{i}-kind": step.kind})
        data.update({f"steps-{i}-{names_field(c)}": t for c, t in step.names.items()})
    data["steps-1-names_en"] = "Review"
    response = clerk.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    review = service.steps.get(order=2)
    assert review.names["en"] == "Review" and review.names["ko"] == "심사·결정"


def test_a_displays_languages_are_ticked_not_typed(clerk, office):
    display = office.devices.get(type="display")
    url = f"/admin/queueing/device/{display.pk}/change/"
    page = clerk.get(url).content.decode()
    assert re.search(r'type="checkbox" name="languages" value="en"[^>]*checked', page)
    response = clerk.post(url, {"office": office.pk, "type": "display", "name": display.name,
                                "languages": ["ja", "vi"], "pause_message": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    display.refresh_from_db()
    assert display.languages == ["ja", "vi"]


def test_a_clerk_sets_the_walk_in_calendar_on_the_office_page(clerk, office):
    from queueing.models import OfficeClosure, OfficeExtraOpening, OfficeHours

    url = f"/admin/queueing/office/{office.pk}/change/"
    page = clerk.get(url).content.decode()
    assert "開庁時間 (曜日ごと)" in page and "臨時閉庁日" in page and "休日開庁・夜間窓口" in page
    forms = {f"{p}-{n}_FORMS": 0 for p in ["reasons", "closures"] for n in ["TOTAL", "INITIAL"]}
    response = clerk.post(url, {
        "code": office.code, "name": office.name, "recall_limit": 3, "no_show_limit": 2,
        "no_show_cooldown_minutes": 5, "near_turn_ahead": 3, "phone_join": "off", **forms,
        "hours-TOTAL_FORMS": 1, "hours-INITIAL_FORMS": 0,
        "hours-0-weekday": 0, "hours-0-opens": "08:30", "hours-0-closes": "17:15",
        "extra_openings-TOTAL_FORMS": 2, "extra_openings-INITIAL_FORMS": 0,
        "extra_openings-0-kind": "evening", "extra_openings-0-weekday": 3,
        "extra_openings-0-opens": "17:15", "extra_openings-0-closes": "19:00",
        # neither a date nor a weekday: refused with the rule in Japanese
        "extra_openings-1-kind": "holiday_opening",
        "extra_openings-1-opens": "09:00", "extra_openings-1-closes": "12:00"})
    assert response.status_code == 200
    assert "日付 (1回のみ) か曜日 (毎週) の一方を入れてください。" in response.content.decode()
    assert not OfficeHours.objects.exists()  # nothing saved while a row is wrong
    response = clerk.post(url, {
        "code": office.code, "name": office.name, "recall_limit": 3, "no_show_limit": 2,
        "no_show_cooldown_minutes": 5, "near_turn_ahead": 3, "phone_join": "off", **forms,
        "hours-TOTAL_FORMS": 1, "hours-INITIAL_FORMS": 0,
        "hours-0-weekday": 0, "hours-0-opens": "08:30", "hours-0-closes": "17:15",
        "extra_openings-TOTAL_FORMS": 1, "extra_openings-INITIAL_FORMS": 0,
        "extra_openings-0-kind": "evening", "extra_openings-0-weekday": 3,
        "extra_openings-0-opens": "17:15", "extra_openings-0-closes": "19:00"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert str(OfficeHours.objects.get(office=office)) == "月 08:30-17:15"
    assert str(OfficeExtraOpening.objects.get(office=office)) == "夜間窓口 毎週木 17:15-19:00"
    assert not OfficeClosure.objects.exists()
