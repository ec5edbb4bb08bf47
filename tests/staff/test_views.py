"""Console and supervisor pages, and every console action over the path console.js uses.

console.js posts JSON to /api/v1/counters/<id>/... with the session cookie and the
CSRF token from the page; these tests do the same with CSRF checks enforced.
"""

import pytest
from django.test import Client

from queueing import services
from queueing.models import Counter, Service, Ticket


def _signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


class Console:
    """A console of one counter: loads the page (for its CSRF token) and posts like console.js."""

    def __init__(self, user, number: int):
        self.client = _signed_in(user)
        self.counter = Counter.objects.get(number=number)
        page = self.client.get(f"/staff/counter/{self.counter.id}/")
        assert page.status_code == 200
        self.csrf = page.context["csrf_token"]
        self.api = f"/api/v1/counters/{self.counter.id}/"

    def post(self, path: str, body: dict | None = None):
        return self.client.post(self.api + path, body or {}, content_type="application/json",
                                HTTP_X_CSRFTOKEN=str(self.csrf))

    def state(self) -> dict:
        return self.client.get(self.api).json()

    def act(self, action: str, body: dict | None = None):
        current = self.state()["current"]
        return self.post(f"tickets/{current['id']}/{action}/", body)


def _issue(office, code: str) -> Ticket:
    return services.ticket_issue(service=Service.objects.get(office=office, code=code))


# --- pages --------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_out_staff_are_sent_to_sign_in(office):
    response = Client().get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_sign_in_with_a_wrong_password_says_so(office):
    response = Client().post("/staff/login/", {"username": "contractor", "password": "nope"})
    assert response.status_code == 200
    assert "ユーザー名またはパスワードが違います" in response.content.decode()


@pytest.mark.django_db
def test_sign_in_leads_to_the_counter_list(office):
    response = Client().post("/staff/login/", {"username": "municipal",
                                               "password": "municipal-demo-pass"})
    assert response.status_code == 302 and response["Location"] == "/staff/"


@pytest.mark.django_db
def test_contractor_is_offered_only_outsourced_counters(contractor):
    page = _signed_in(contractor).get("/staff/").content.decode()
    assert all(f"{n}番窓口" in page for n in range(1, 6))
    assert not any(f"{n}番窓口" in page for n in range(6, 9))


@pytest.mark.django_db
def test_municipal_staff_are_offered_every_counter(municipal):
    page = _signed_in(municipal).get("/staff/").content.decode()
    assert all(f"{n}番窓口" in page for n in range(1, 9))


@pytest.mark.django_db
def test_contractor_console_at_a_staff_counter_is_refused(contractor):
    counter = Counter.objects.get(number=6)
    response = _signed_in(contractor).get(f"/staff/counter/{counter.id}/")
    assert response.status_code == 403
    assert "staff-only counter" in response.content.decode()


@pytest.mark.django_db
def test_unknown_counter_is_404(municipal):
    assert _signed_in(municipal).get("/staff/counter/9999/").status_code == 404


@pytest.mark.django_db
def test_console_page_has_language_landmarks_and_labels(municipal):
    counter = Counter.objects.get(number=6)
    page = _signed_in(municipal).get(f"/staff/counter/{counter.id}/").content.decode()
    assert '<html lang="ja">' in page and "<main" in page and "<header" in page
    assert 'for="call-number"' in page and 'for="transfer-reason"' in page
    assert 'aria-keyshortcuts="n"' in page
    assert "審査・決定が必要" in page  # a listed transfer reason


# --- every action through the console's path -----------------------------------


@pytest.mark.django_db
def test_call_next_start_and_complete(office, contractor):
    ticket = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    called = console.post("call-next/")
    assert called.status_code == 200 and called.json()["ticket"]["ticket"] == ticket.display_number
    assert console.state()["current"]["status"] == "called"
    assert console.act("start").json()["status"] == "serving"
    assert console.act("complete").json()["status"] == "completed"
    assert console.state()["current"] is None


@pytest.mark.django_db
def test_call_next_with_an_empty_line_says_so(office, contractor):
    response = Console(contractor, 1).post("call-next/")
    assert response.status_code == 200
    assert response.json() == {"ticket": None, "detail": "No one is waiting for this counter."}


@pytest.mark.django_db
def test_call_a_number(office, contractor):
    _issue(office, "juminhyo")
    second = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    response = console.post("call/", {"number": second.display_number.lower()})
    assert response.status_code == 200 and response.json()["ticket"] == second.display_number


@pytest.mark.django_db
def test_call_a_malformed_number_is_a_clear_400(office, contractor):
    response = Console(contractor, 1).post("call/", {"number": "??"})
    assert response.status_code == 400
    assert "is not a ticket number" in response.json()["detail"]


@pytest.mark.django_db
def test_recall(office, contractor):
    _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    assert console.act("recall").status_code == 200
    assert Ticket.objects.get().recall_count == 1


@pytest.mark.django_db
def test_hold_and_resume(office, contractor):
    ticket = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    assert console.act("hold", {"reason": "書類を取りに行く"}).json()["status"] == "held"
    state = console.state()
    assert state["current"] is None and [t["id"] for t in state["held"]] == [ticket.id]
    resumed = console.post(f"tickets/{ticket.id}/resume/")
    assert resumed.json()["status"] == "called"


@pytest.mark.django_db
def test_no_show_within_grace_puts_the_ticket_back(office, contractor):
    ticket = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    assert console.act("no-show").json()["status"] == "waiting"
    assert [t["id"] for t in console.state()["waiting"]] == [ticket.id]


@pytest.mark.django_db
def test_transfer_to_the_next_step_leaves_the_contractor_line(office, contractor, municipal):
    ticket = _issue(office, "tennyu")
    console = Console(contractor, 3)
    console.post("call-next/")
    moved = console.act("transfer", {"reason": "審査・決定が必要"})
    assert moved.status_code == 200 and moved.json()["step_kind"] == "staff_only"
    assert console.state()["waiting"] == []
    staff = Console(municipal, 6)
    assert [t["id"] for t in staff.state()["waiting"]] == [ticket.id]
    staff.post("call-next/")
    assert staff.act("complete").json()["status"] == "completed"


@pytest.mark.django_db
def test_transfer_to_another_service(office, contractor):
    _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    target = Service.objects.get(office=office, code="koseki-todoke")
    moved = console.act("transfer", {"reason": "職員の判断が必要", "to_service": target.id})
    assert moved.json()["service_id"] == target.id


@pytest.mark.django_db
def test_transfer_without_a_reason_is_refused(office, contractor):
    _issue(office, "tennyu")
    console = Console(contractor, 3)
    console.post("call-next/")
    response = console.act("transfer", {"reason": ""})
    assert response.status_code == 400
    assert Ticket.objects.get().status == "called"


@pytest.mark.django_db
def test_counter_open_break_closed(office, contractor):
    console = Console(contractor, 1)
    for status in ("open", "break", "closed"):
        assert console.post("status/", {"status": status}).json()["status"] == status
        assert console.state()["counter"]["status"] == status


@pytest.mark.django_db
def test_a_busy_counter_cannot_close(office, contractor):
    _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    response = console.post("status/", {"status": "closed"})
    assert response.status_code == 409 and "Finish or hold" in response.json()["detail"]


@pytest.mark.django_db
def test_second_console_gets_409_with_the_reason(office, contractor):
    ticket = _issue(office, "juminhyo")
    first, second = Console(contractor, 1), Console(contractor, 2)
    assert first.post("call-next/").status_code == 200
    response = second.post("call/", {"number": ticket.display_number})
    assert response.status_code == 409
    assert f"Ticket {ticket.display_number} is" in response.json()["detail"]
    # And the second console may not complete the first console's ticket.
    response = second.post(f"tickets/{ticket.id}/complete/")
    assert response.status_code == 409 and "not at this counter" in response.json()["detail"]
    assert Ticket.objects.get().counter == first.counter


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused(office, contractor):
    client = _signed_in(contractor)
    counter = Counter.objects.get(number=1)
    response = client.post(f"/api/v1/counters/{counter.id}/call-next/")
    assert response.status_code == 403


# --- supervisor ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/supervisor/", "/supervisor/history/",
                                  "/supervisor/contract/"])
def test_supervisor_pages_refuse_other_roles(path, contractor, municipal):
    for user in (contractor, municipal):
        response = _signed_in(user).get(path)
        assert response.status_code == 403
        assert "Only supervisors" in response.content.decode()


@pytest.mark.django_db
def test_dashboard_shows_waiting_and_counter_kinds(office, supervisor):
    _issue(office, "juminhyo")
    page = _signed_in(supervisor).get("/supervisor/").content.decode()
    assert "住民票の写し" in page and "委託 Outsourced" in page and "職員 Staff-only" in page


@pytest.mark.django_db
def test_history_page_and_every_csv(office, supervisor, contractor):
    ticket = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    console.act("complete")
    client = _signed_in(supervisor)
    page = client.get("/supervisor/history/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    day = ticket.business_day.isoformat()
    for table, header in [("by_service", "発券 Issued"), ("by_kind", "発券 Issued"),
                          ("arrivals", "時 Hour"), ("waits", "待ち時間(分) Wait (minutes)")]:
        response = client.get(f"/supervisor/history/?from={day}&to={day}&csv={table}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        text = response.content.decode("utf-8-sig")
        assert header in text.splitlines()[0]
    by_service = client.get(f"/supervisor/history/?from={day}&csv=by_service")
    row = next(line for line in by_service.content.decode("utf-8-sig").splitlines()
               if line.startswith("住民票の写し"))
    assert row.split(",")[1:3] == ["1", "1"]  # issued 1, served 1


@pytest.mark.django_db
def test_history_with_bad_dates_explains(office, supervisor):
    client = _signed_in(supervisor)
    page = client.get("/supervisor/history/?from=yesterday").content.decode()
    assert "Enter a date YYYY-MM-DD" in page
    page = client.get("/supervisor/history/?from=2026-06-10&to=2026-06-01").content.decode()
    assert "end date is before the start date" in page
    assert client.get("/supervisor/history/?csv=nope").status_code == 400


@pytest.mark.django_db
def test_contract_page_and_csv(office, supervisor, contractor):
    _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    console.act("complete")
    client = _signed_in(supervisor)
    assert "住民票の写し" in client.get("/supervisor/contract/").content.decode()
    csv_text = client.get("/supervisor/contract/?csv=1").content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].endswith("住民票の写し,1,0,1")
    page = client.get("/supervisor/contract/?from=13-2026").content.decode()
    assert "Enter a month YYYY-MM" in page
