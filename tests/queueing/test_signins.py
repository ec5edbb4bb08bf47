"""The security audit: every sign-in, sign-out, failure and lock-out; device keys issued and
revoked through the services; the configuration history of the admin (auditlog)."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from queueing import services
from queueing.models import Device, SecurityAction, SecurityEvent

pytestmark = pytest.mark.django_db
A = SecurityAction


def sign_in(client: Client, username: str, password: str, path: str = "/staff/login/"):
    return client.post(path, {"username": username, "password": password},
                       REMOTE_ADDR="192.0.2.10")


def actions() -> list[str]:
    return list(SecurityEvent.objects.values_list("action", flat=True))


def test_sign_in_sign_out_and_a_failure_are_each_recorded(office):
    client = Client()
    sign_in(client, "municipal", "wrong")
    sign_in(client, "municipal", "municipal-demo-pass")
    client.post("/staff/logout/")
    assert actions() == [A.SIGN_IN_FAILED, A.SIGNED_IN, A.SIGNED_OUT]
    failed, signed_in, _ = SecurityEvent.objects.all()
    assert failed.username == "municipal" and failed.address == "192.0.2.10"
    assert signed_in.actor.username == "municipal" and signed_in.detail == "staff"


def test_an_admin_sign_in_is_recorded_too(office):
    User.objects.create_superuser("root", password="root-pass-for-tests")
    sign_in(Client(), "root", "root-pass-for-tests", path="/admin/login/")
    assert SecurityEvent.objects.get(action=A.SIGNED_IN).detail == "admin"


def test_a_typed_individual_number_is_not_kept_in_the_audit(office):
    sign_in(Client(), "1234 5678 9012", "x")
    event = SecurityEvent.objects.get(action=A.SIGN_IN_FAILED)
    assert "1234" not in event.username and "[redacted]" in event.username


def test_guessing_one_accounts_password_locks_that_account(office):
    for n in range(5):
        sign_in(Client(), "municipal", f"guess-{n}")
    # From another address, with the right password: still refused while locked.
    response = Client().post("/staff/login/", {"username": "municipal",
                                               "password": "municipal-demo-pass"},
                             REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    assert A.LOCKED_OUT in actions()
    assert "_auth_user_id" not in Client().session


def test_guessing_from_one_address_locks_that_address(office):
    for n in range(5):
        sign_in(Client(), f"nobody-{n}", "guess")
    response = sign_in(Client(), "supervisor", "supervisor-demo-pass")
    assert response.status_code == 429
    other = Client().post("/staff/login/", {"username": "supervisor",
                                            "password": "supervisor-demo-pass"},
                          REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302  # the account itself is not locked


def test_idle_staff_sessions_end_after_the_configured_minutes(settings, office):
    assert settings.SESSION_COOKIE_AGE == settings.STAFF_IDLE_MINUTES * 60 == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request moves the end on
    client = Client()
    sign_in(client, "municipal", "municipal-demo-pass")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == 30 * 60


def test_device_keys_are_issued_and_revoked_with_an_audit_row(office, supervisor):
    device = services.device_create(office=office, type=Device.Type.DISPLAY, name="2F",
                                    by=supervisor)
    services.device_revoke(device=device, by=supervisor)
    services.device_revoke(device=device, by=supervisor)  # twice revokes once
    rows = SecurityEvent.objects.filter(device=device)
    assert [(r.action, r.actor) for r in rows] == [(A.DEVICE_KEY_CREATED, supervisor),
                                                   (A.DEVICE_KEY_REVOKED, supervisor)]
    assert device.key not in " ".join(r.detail for r in rows)
    device.refresh_from_db()
    assert device.revoked


def test_the_admins_revoke_action_goes_through_the_service(office):
    admin = User.objects.create_superuser("root", password="root-pass-for-tests")
    client = Client()
    client.force_login(admin)
    display = Device.objects.get(office=office, type=Device.Type.DISPLAY)
    client.post("/admin/queueing/device/", {"action": "revoke",
                                            "_selected_action": [display.pk]})
    display.refresh_from_db()
    assert display.revoked
    assert SecurityEvent.objects.get(action=A.DEVICE_KEY_REVOKED).actor == admin


def test_a_configuration_change_in_the_admin_records_who_before_and_after(office):
    admin = User.objects.create_superuser("root", password="root-pass-for-tests")
    client = Client()
    client.force_login(admin)
    service = office.services.get(code="juminhyo")
    data = {"office": office.pk, "code": service.code, "name": service.name,
            "names": "{}", "prefix": service.prefix, "target_wait_minutes": 20,
            "default_service_minutes": service.default_service_minutes, "sort_order": 0,
            "active": "on", "steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0}
    response = client.post(f"/admin/queueing/service/{service.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = LogEntry.objects.get_for_object(service).latest("timestamp")
    assert entry.actor == admin
    assert entry.changes_dict["target_wait_minutes"] == ["15", "20"]


def test_an_admin_form_never_shows_a_refused_number_back(office):
    admin = User.objects.create_superuser("root", password="root-pass-for-tests")
    client = Client()
    client.force_login(admin)
    counter = office.counters.first()
    response = client.post(f"/admin/queueing/counter/{counter.pk}/change/", {
        "office": office.pk, "number": counter.number, "label": "1234-5678-9012",
        "kind": counter.kind, "status": counter.status,
        "counterservice_set-TOTAL_FORMS": 0, "counterservice_set-INITIAL_FORMS": 0})
    page = response.content.decode()
    assert response.status_code == 200 and ("Individual Number" in page or "個人番号" in page)
    assert "1234-5678-9012" not in page


def test_no_audit_record_can_be_changed_or_deleted_in_the_admin(office):
    from django.contrib import admin as django_admin

    from appointments.models import BookingEvent
    from queueing.models import CounterEvent, TicketEvent

    admin = User.objects.create_superuser("root", password="root-pass-for-tests")
    request = type("R", (), {"user": admin, "resolver_match": None})()
    for model in (SecurityEvent, LogEntry, TicketEvent, CounterEvent, BookingEvent):
        model_admin = django_admin.site._registry.get(model)
        if model_admin is None:
            continue  # not in the admin at all
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request), model


def test_a_device_added_in_the_admin_gets_its_key_through_the_service(office):
    admin = User.objects.create_superuser("root", password="root-pass-for-tests")
    client = Client()
    client.force_login(admin)
    response = client.post("/admin/queueing/device/add/", {
        "office": office.pk, "type": "kiosk", "name": "2階 発券機",
        "pause_message": ""})
    assert response.status_code == 302, response.content[:1500]
    device = Device.objects.get(name="2階 発券機")
    event = SecurityEvent.objects.get(action=A.DEVICE_KEY_CREATED)
    assert event.device == device and event.actor == admin and len(device.key) >= 32
