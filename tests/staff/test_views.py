"""Console and supervisor pages, and every console action over the path console.js uses.

console.js posts JSON to /api/v1/counters/<id>/... with the session cookie and the
CSRF token from the page; these tests do the same with CSRF checks enforced.
"""

import csv
import datetime
import re

import pytest
from django.test import Client

from queueing import services
from queueing.models import (
    Contract,
    Counter,
    CounterEvent,
    Office,
    OfficeHours,
    Service,
    Ticket,
    TicketEvent,
    Unit,
)


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
    assert "審査・決定が必要" in page  # a listed transfer reason (the office's presets)
    assert "書類を取りに行く" in page  # a listed hold reason


# --- the hand-off ------------------------------------------------------------------

NOTE = "転出証明書あり。世帯主の変更もご相談"


def _handed_off(office, contractor):
    """A 転入届 transferred by the contractor at counter 3 with a reason and a note."""
    ticket = _issue(office, "tennyu")
    console = Console(contractor, 3)
    console.post("call-next/")
    moved = console.act("transfer", {"reason": "審査・決定が必要", "note": NOTE})
    assert moved.status_code == 200
    return ticket, moved.json()


@pytest.mark.django_db
def test_the_receiving_console_shows_the_reason_note_and_source_in_line_and_when_called(
        office, contractor, municipal):
    ticket, moved = _handed_off(office, contractor)
    assert (moved["step"], moved["step_kind"]) == ("審査・決定", "staff_only")
    staff = Console(municipal, 6)
    [row] = staff.state()["waiting"]
    hand_off = row["hand_off"]
    assert (hand_off["reason"], hand_off["note"]) == ("審査・決定が必要", NOTE)
    assert (hand_off["counter"], hand_off["counter_kind"]) == (3, "outsourced")
    assert hand_off["from_step"] == "受付・入力" and hand_off["at"]
    staff.post("call-next/")
    current = staff.state()["current"]
    assert current["hand_off"]["note"] == NOTE and len(current["hand_offs"]) == 1
    assert current["next_step"] is None  # the review ends the visit


@pytest.mark.django_db
def test_completing_a_step_with_a_next_one_is_a_hand_off_that_names_it(
        office, contractor, municipal):
    ticket = _issue(office, "tennyu")
    console = Console(contractor, 3)
    console.post("call-next/")
    current = console.state()["current"]
    # The console names the next step before the action, with the units it records.
    assert current["next_step"] == {"name": "審査・決定", "kind": "staff_only",
                                    "kind_label": "職員窓口"}
    assert [(u["name"], u["default"]) for u in current["units"]] == [("転入届 受付・入力", 1)]
    done = console.act("complete", {"note": "本人確認済み"})
    assert (done.json()["status"], done.json()["step"]) == ("waiting", "審査・決定")
    event = TicketEvent.objects.get(ticket=ticket, action="step_completed")
    assert event.reason == "「受付・入力」完了 (step finished)" and event.note == "本人確認済み"
    assert [(u.unit.code, u.quantity) for u in event.units.all()] == [("tennyu-reception", 1)]
    [row] = Console(municipal, 6).state()["waiting"]
    assert row["hand_off"]["note"] == "本人確認済み"


@pytest.mark.django_db
def test_a_contractor_sees_no_hand_off_detail_in_its_line(office, contractor, municipal):
    # A staff counter sends a ticket back to an outsourced step with a note.
    _issue(office, "tennyu")
    console = Console(contractor, 3)
    console.post("call-next/")
    console.act("complete")
    staff = Console(municipal, 6)
    staff.post("call-next/")
    target = Service.objects.get(office=office, code="juminhyo")
    staff.act("transfer", {"reason": "別の手続きが必要", "note": NOTE, "to_service": target.id})
    [row] = Console(contractor, 1).state()["waiting"]
    assert row["hand_off"] is None and row["hand_offs"] == []
    Console(contractor, 1).post("call-next/")
    assert Console(contractor, 1).state()["current"]["hand_off"]["note"] == NOTE


@pytest.mark.django_db
def test_a_note_with_an_individual_number_is_refused_and_not_echoed(office, contractor):
    ticket = _issue(office, "tennyu")
    console = Console(contractor, 3)
    console.post("call-next/")
    number = "1234 5678 9012"
    response = console.act("transfer", {"reason": "審査・決定が必要", "note": f"個人番号 {number}"})
    assert response.status_code == 400 and response.json()["code"] == "individual_number"
    answer = response.content.decode()
    assert number not in answer and "123456789012" not in answer
    assert Ticket.objects.get(pk=ticket.pk).status == "called"  # nothing moved
    for field in ("reason", "note"):
        body = {"units": [], field: "１２３４５６７８９０１２"}  # full-width digits too
        assert console.act("complete", body).json()["code"] == "individual_number"


@pytest.mark.django_db
def test_the_note_never_reaches_status_pages_displays_or_public_answers(
        office, contractor, client):
    ticket, _ = _handed_off(office, contractor)
    public = [
        client.get(f"/api/v1/tickets/status/{ticket.token}/").content.decode(),
        client.get(f"/t/{ticket.token}/").content.decode(),
        client.get(f"/api/v1/offices/{office.id}/services/").content.decode(),
        client.get("/display/demo-display-key/").content.decode(),
    ]
    for text in public:
        assert "転出証明書" not in text and "審査・決定が必要" not in text


@pytest.mark.django_db
def test_hold_needs_a_reason_and_the_console_shows_since_when(office, contractor):
    ticket = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    assert console.act("hold", {}).status_code == 400
    assert console.act("hold", {"reason": "書類を取りに行く"}).status_code == 200
    [row] = console.state()["held"]
    assert row["held_at"] == Ticket.objects.get(pk=ticket.pk).held_at.isoformat()


@pytest.mark.django_db
def test_signing_out_pauses_the_counter_and_says_why(office, contractor):
    _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    response = console.client.post("/staff/logout/", HTTP_X_CSRFTOKEN=str(console.csrf))
    assert response.status_code == 302
    counter = Counter.objects.get(number=1)
    assert (counter.status, counter.staffed) == ("break", False)
    paused = CounterEvent.objects.filter(counter=counter, action="counter_paused").last()
    assert paused.reason == "サインアウトしました (signed out)"
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.counter) == ("waiting", None)
    assert TicketEvent.objects.filter(ticket=ticket, action="returned").exists()


@pytest.mark.django_db
def test_the_sign_in_page_says_why_after_an_expired_console(office):
    page = Client().get("/staff/login/?expired=1&next=/staff/counter/1/").content.decode()
    assert 'id="expired"' in page and 'value="/staff/counter/1/"' in page


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
def test_a_no_show_keeps_its_place_and_is_marked_cooling_down(office, contractor):
    ticket = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    assert console.act("no-show").json()["status"] == "waiting"
    waiting = console.state()["waiting"]
    assert [t["id"] for t in waiting] == [ticket.id] and waiting[0]["call_after"]
    assert console.post("call-next/").json()["ticket"] is None  # skipped while cooling down


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
def test_contract_page_csv_and_ticket_export(office, supervisor, contractor):
    # Given a 住民票 completed today at outsourced counter 1, recording 2 copies
    t = _issue(office, "juminhyo")
    console = Console(contractor, 1)
    console.post("call-next/")
    copies = Unit.objects.get(office=office, code="juminhyo-copy")
    console.post(f"tickets/{t.id}/complete/", {"units": [{"unit": copies.id, "quantity": 2}]})
    client = _signed_in(supervisor)
    # When the supervisor opens the month's report
    page = client.get("/supervisor/contract/").content.decode()
    # Then the units and their amount are there (demo price 300 円/通)
    assert 'data-unit="juminhyo-copy"' in page and ">600</td>" in page
    report = client.get("/supervisor/contract/?csv=1")
    assert report["Content-Type"].startswith("text/csv")
    assert report.content.startswith("\ufeff".encode())  # Excel opens it as UTF-8
    rows = list(csv.reader(report.content.decode("utf-8-sig").splitlines()))
    assert next(r for r in rows if r and r[0] == "住民票の写し 交付")[1:4] == ["300", "2", "600"]
    tickets = client.get("/supervisor/contract/?csv=tickets").content.decode("utf-8-sig")
    lines = list(csv.reader(tickets.splitlines()))
    assert lines[1][1] == t.display_number and lines[-1][0] == "合計 Total (billed)"
    assert client.get("/supervisor/contract/?csv=nope").status_code == 400
    refused = client.get("/supervisor/contract/?month=13-2026").content.decode()
    assert "Enter a month YYYY-MM" in refused


@pytest.mark.django_db
def test_contract_page_without_a_contract_says_so(office, supervisor):
    Contract.objects.all().delete()
    page = _signed_in(supervisor).get("/supervisor/contract/").content.decode()
    assert 'id="no-contract"' in page


# --- the lobby poster for phone tickets -----------------------------------------------------


def test_join_poster_carries_the_join_url_as_a_large_qr_code_and_the_hours(client, supervisor,
                                                                         office):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.LOBBY)
    OfficeHours.objects.filter(office=office).delete()
    for weekday in range(5):
        OfficeHours.objects.create(office=office, weekday=weekday,
                                   opens=datetime.time(8, 30), closes=datetime.time(17, 15))
    client.force_login(supervisor)
    response = client.get(f"/supervisor/join-poster/?office={office.id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-qr="http://testserver/join/demo/"' in html
    assert 'width="110mm" height="110mm"' in html
    assert "スマートフォンで整理券" in html and "Take a ticket on your phone" in html
    assert "<dt>月〜金 <span lang=\"en\">Mon–Fri</span></dt><dd>8:30–17:15</dd>" in html
    assert 'id="poster-code"' in html  # the lobby code is needed here
    # マイナンバー's own hours (demo: until 16:30) are on the poster too.
    assert re.search(r'<li>マイナンバーカード[^<]* <span lang="en">[^<]+</span>: 〜16:30</li>',
                     html)
    assert 'id="poster-off"' not in html


def test_join_poster_warns_when_the_office_takes_no_phone_tickets(client, supervisor, office):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.OFF)
    client.force_login(supervisor)
    html = client.get(f"/supervisor/join-poster/?office={office.id}").content.decode()
    assert 'id="poster-off"' in html and 'id="poster-code"' not in html


def test_the_dashboard_links_to_the_join_poster(client, supervisor, office):
    client.force_login(supervisor)
    html = client.get(f"/supervisor/?office={office.id}").content.decode()
    assert f'href="/supervisor/join-poster/?office={office.id}"' in html


def test_join_poster_is_for_supervisors_only(client, municipal, office):
    client.force_login(municipal)
    assert client.get(f"/supervisor/join-poster/?office={office.id}").status_code == 403
