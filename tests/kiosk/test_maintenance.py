"""Staff maintenance at the kiosk: pause with a message, resume, reprint the last ticket.

Municipal staff or a supervisor sign in for each action; nothing stays signed in."""

import pytest

from demo.city_hall import KIOSK_KEY

pytestmark = pytest.mark.django_db
PAGE = f"/kiosk/{KIOSK_KEY}/maintenance/?lang=en"
MUNICIPAL = {"username": "municipal", "password": "municipal-demo-pass"}


def test_municipal_staff_pause_issuing_with_a_message(client, kiosk, kiosk_client, juminhyo):
    response = client.post(PAGE, {**MUNICIPAL, "action": "pause", "message": "用紙交換中"})
    assert response.status_code == 200
    assert "Ticket issuing is paused." in response.content.decode()
    kiosk.refresh_from_db()
    assert (kiosk.paused, kiosk.pause_message) == (True, "用紙交換中")
    refused = kiosk_client.post("/api/v1/tickets/", {"service": juminhyo.id}, format="json")
    assert refused.json()["code"] == "kiosk_paused"
    assert "_auth_user_id" not in client.session  # nothing stays signed in on the kiosk


def test_supervisor_resumes_issuing(client, kiosk):
    kiosk.paused, kiosk.pause_message = True, "x"
    kiosk.save()
    response = client.post(PAGE, {"username": "supervisor", "password": "supervisor-demo-pass",
                                  "action": "resume"})
    assert "Ticket issuing has resumed." in response.content.decode()
    kiosk.refresh_from_db()
    assert (kiosk.paused, kiosk.pause_message) == (False, "")


def test_contractor_may_not_pause_the_kiosk(client, kiosk):
    response = client.post(PAGE, {"username": "contractor", "password": "contractor-demo-pass",
                                  "action": "pause"})
    assert response.status_code == 403
    assert "Only municipal staff or a supervisor" in response.content.decode()
    kiosk.refresh_from_db()
    assert not kiosk.paused


def test_wrong_password_is_refused_and_repeated_guesses_lock_the_page(client, kiosk):
    for _ in range(4):
        response = client.post(PAGE, {"username": "municipal", "password": "guess",
                                      "action": "pause"})
        assert response.status_code == 403
        assert "Wrong username or password." in response.content.decode()
    # The fifth wrong password locks the account everywhere (django-axes), not only here.
    fifth = client.post(PAGE, {"username": "municipal", "password": "guess", "action": "pause"})
    assert fifth.status_code == 429
    locked = client.post(PAGE, {**MUNICIPAL, "action": "pause"})
    assert locked.status_code == 429
    assert "Too many wrong sign-ins" in locked.content.decode()
    kiosk.refresh_from_db()
    assert not kiosk.paused


@pytest.mark.parametrize("data", [
    {"action": "pause"},
    {**MUNICIPAL, "action": "explode"},
    {**MUNICIPAL, "action": "pause", "message": "x" * 201},
])
def test_incomplete_or_invalid_form_gets_400_with_a_message(client, data, kiosk):
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert "Please fill in your username, password and an action." in response.content.decode()


def test_reprint_opens_the_last_ticket_in_print_view(client, issue):
    issue()
    last = issue()
    response = client.post(PAGE, {**MUNICIPAL, "action": "reprint"})
    assert response.status_code == 302
    assert response["Location"] == f"/kiosk/{KIOSK_KEY}/ticket/{last.token}/?lang=en&print=1"
    page = client.get(response["Location"]).content.decode()
    assert 'data-autoprint="1"' in page and ">A002<" in page


def test_reprint_without_a_ticket_today_says_so(client, kiosk):
    response = client.post(PAGE, {**MUNICIPAL, "action": "reprint"})
    assert response.status_code == 404
    assert "This kiosk has issued no ticket today." in response.content.decode()


def test_maintenance_page_of_unknown_kiosk_is_403(client, office):
    assert client.get("/kiosk/nope/maintenance/").status_code == 403
    assert client.post("/kiosk/nope/maintenance/", MUNICIPAL).status_code == 403


def test_staff_of_another_office_may_not_maintain_the_kiosk(client, branch):
    from queueing import services
    from queueing.models import Device

    kiosk = services.device_create(office=branch, type=Device.Type.KIOSK, name="北 発券機",
                                   by=None)
    page = f"/kiosk/{kiosk.key}/maintenance/?lang=en"
    refused = client.post(page, {**MUNICIPAL, "action": "pause", "message": "x"})
    assert refused.status_code == 403
    assert "Only staff of this kiosk&#x27;s office" in refused.content.decode()
    kiosk.refresh_from_db()
    assert not kiosk.paused
    ok = client.post(page, {"username": "branch_supervisor", "password": "branch-demo-pass",
                            "action": "pause", "message": "用紙交換中"})
    assert ok.status_code == 200
    kiosk.refresh_from_db()
    assert kiosk.paused
