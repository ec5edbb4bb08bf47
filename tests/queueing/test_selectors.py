"""Reads: a ticket's place in line, the one-pass statuses the status pages share, the live
figures of the supervisor's dashboard."""

import pytest

from queueing import selectors, services
from queueing.models import Counter, Service, Ticket


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forecasts are cached per office state; test databases roll back and repeat ids."""
    from django.core.cache import cache

    cache.clear()


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def test_people_ahead_counts_priority_then_issue_time_at_the_same_step(office):
    a = services.ticket_issue(service=svc("juminhyo"))
    b = services.ticket_issue(service=svc("inkan"))  # another service: another step
    c = services.ticket_issue(service=svc("juminhyo"))
    helped = services.ticket_issue(service=svc("juminhyo"), priority=Ticket.Priority.ASSISTANCE)
    assert [selectors.people_ahead(ticket=t) for t in (helped, a, c, b)] == [0, 1, 2, 0]


def test_office_statuses_match_each_tickets_own_status(office, contractor):
    tickets = [services.ticket_issue(service=svc(code), language=lang)
               for code, lang in [("juminhyo", "en"), ("juminhyo", "ja"), ("tennyu", "vi"),
                                  ("juminhyo", "ko"), ("fukushi", "ja")]]
    tickets.append(services.ticket_issue(service=svc("juminhyo"),
                                         priority=Ticket.Priority.ASSISTANCE))
    services.ticket_call_next(counter=Counter.objects.get(number=1), by=contractor)
    board = selectors.office_ticket_statuses(office_id=office.id)
    assert len(board["by_token"]) == len(tickets)
    for t in Ticket.objects.all():
        assert board["by_token"][t.token] == selectors.ticket_status(ticket=t), t.display_number


def test_closed_tickets_are_not_on_the_board(office):
    t = services.ticket_issue(service=svc("juminhyo"))
    services.ticket_cancel(ticket=t)
    assert t.token not in selectors.office_ticket_statuses(office_id=office.id)["by_token"]


def test_live_figures_alert_when_a_wait_passes_the_target(office, contractor, clock):
    a = Service.objects.get(office=office, code="juminhyo")
    c2 = Counter.objects.get(office=office, number=2)
    clock.at("09:00")
    services.ticket_issue(service=a)
    clock.at("09:05")
    services.counter_set_status(counter=c2, by=contractor, status="open")
    services.ticket_call_next(counter=c2, by=contractor)
    clock.at("09:10")
    services.ticket_issue(service=a)
    clock.at("09:30")
    live = selectors.office_live_figures(office_id=office.id)
    row = next(s for s in live["services"] if s["name"] == "住民票の写し")
    # A002 waits from 09:10: 20 minutes at 09:30, over the 15 minute target.
    assert (row["waiting"], row["longest_wait_minutes"], row["alert"]) == (1, 20, True)
    assert [r["name"] for r in live["alerts"]] == ["住民票の写し"]
    # The estimate is for a ticket issued now. Counter 2 took A001 at 09:05 with a default
    # service time of 4 minutes; at least a quarter of it (1 minute) is assumed left, so it
    # calls A002 at 09:31, serves it 4 minutes and calls the new ticket at 09:35: 5 minutes.
    assert row["estimated_wait_minutes"] == 5
    out = next(k for k in live["kinds"] if k["kind"] == "outsourced")
    # Counters 1-5 outsourced: 2 open and serving A001, the others closed.
    assert (out["open"], out["serving"], out["idle"], out["closed"]) == (1, 1, 0, 4)
    staff = next(k for k in live["kinds"] if k["kind"] == "staff_only")
    assert (staff["open"], staff["serving"], staff["closed"]) == (0, 0, 3)
    assert Ticket.objects.filter(status="called").count() == 1


def test_live_estimate_is_empty_when_no_counter_serves_the_service(office, clock):
    clock.at("09:00")
    live = selectors.office_live_figures(office_id=office.id)
    row = next(s for s in live["services"] if s["name"] == "住民票の写し")
    assert row["estimated_wait_minutes"] is None  # every counter is closed


def _hand_off(contractor, language="en"):
    """A 転入届 ticket whose first step the contractor finished at counter 3, with a note."""
    t = services.ticket_issue(service=svc("tennyu"), language=language)
    c3 = Counter.objects.get(number=3)
    services.ticket_call_number(counter=c3, by=contractor, number=t.display_number)
    services.ticket_complete(ticket=t, counter=c3, by=contractor, note="転出証明書を確認済み")
    return Ticket.objects.get(pk=t.pk)


def test_after_a_hand_off_the_status_names_the_next_step_and_where_in_its_language(
        office, contractor):
    before = services.ticket_issue(service=svc("tennyu"), language="en")
    assert selectors.ticket_status(ticket=before)["next_step"] is None  # not handed off yet
    t = _hand_off(contractor, language="en")
    status = selectors.ticket_status(ticket=t)
    # 転入届's review is served at staff counters 6 and 8 (demo).
    assert status["next_step"] == {"name": "Review and decision", "counters": [6, 8]}
    assert selectors.ticket_status(ticket=t, language="ko")["next_step"]["name"] == "심사·결정"
    board = selectors.office_ticket_statuses(office_id=office.id)["by_token"][t.token]
    assert board["next_step"] == status["next_step"]


def test_a_hand_offs_note_and_reason_stay_out_of_events_and_status(
        office, contractor, monkeypatch, django_capture_on_commit_callbacks):
    from queueing import events

    sent = []
    monkeypatch.setattr(events, "_send", lambda group, message: sent.append(message))
    with django_capture_on_commit_callbacks(execute=True):
        t = _hand_off(contractor)
    text = repr(sent) + repr(selectors.ticket_status(ticket=t)) + repr(
        selectors.office_snapshot(office_id=office.id))
    assert "転出証明書" not in text and "完了 (step finished)" not in text
    hand_offs = selectors.ticket_hand_offs(ticket_ids=[t.id])[t.id]
    assert [h["note"] for h in hand_offs] == ["転出証明書を確認済み"]


def test_the_counter_board_shows_roles_never_names_with_times_and_held(
        office, contractor, municipal, clock):
    clock.at("09:00")
    contractor.first_name, contractor.last_name = "太郎", "委託"
    contractor.save()
    a = services.ticket_issue(service=svc("juminhyo"))
    b = services.ticket_issue(service=svc("juminhyo"))
    c1, c2 = Counter.objects.get(number=1), Counter.objects.get(number=2)
    console = services.counter_presence_start(counter=c1, by=contractor, session_key="s")
    services.ticket_call_next(counter=c1, by=contractor)
    services.ticket_call_next(counter=c2, by=contractor)
    clock.at("09:04")
    services.ticket_hold(ticket=b, counter=c2, by=contractor, reason="書類を取りに行く")
    clock.at("09:10")
    services.counter_presence_beat(socket=console.socket)  # the console is still there
    figures = selectors.office_live_figures(office_id=office.id)
    rows = {r["number"]: r for r in figures["counters"]}
    assert rows[1]["roles"] == ["委託 Contractor"] and rows[1]["staffed"]
    assert (rows[1]["current"]["ticket"], rows[1]["current"]["minutes"]) == (a.display_number, 10)
    assert (rows[2]["current"], rows[2]["idle_minutes"], rows[2]["held"]) == (None, 6, 1)
    assert rows[6]["staffed"] is False and rows[6]["roles"] == []
    assert "太郎" not in repr(figures) and "contractor" not in repr(rows)


def test_the_alert_names_the_step_whose_wait_passed_the_target(office, contractor, clock):
    # 転入届 (target 30): D001 handed to the staff review at 09:05, nobody calls it.
    clock.at("09:00")
    t = services.ticket_issue(service=svc("tennyu"))
    services.ticket_call_next(counter=Counter.objects.get(number=3), by=contractor)
    clock.at("09:05")
    services.ticket_complete(ticket=t, counter=Counter.objects.get(number=3), by=contractor)
    clock.at("09:40")
    [alert] = selectors.office_live_figures(office_id=office.id)["alerts"]
    where = (alert["name"], alert["step"], alert["kind_label"])
    assert where == ("転入届", "審査・決定", "職員窓口")
    assert (alert["longest_wait_minutes"], alert["target_wait_minutes"]) == (35, 30)



def test_a_recall_moves_the_ticket_up_the_recent_calls_without_a_second_line(
        office, contractor, monkeypatch, django_capture_on_commit_callbacks):
    from queueing import events

    first = services.ticket_issue(service=svc("juminhyo"))
    second = services.ticket_issue(service=svc("juminhyo"))
    counter = Counter.objects.get(office=office, number=1)
    services.ticket_call_next(counter=counter, by=contractor)
    services.ticket_call_next(counter=Counter.objects.get(office=office, number=2),
                              by=contractor)
    before = selectors.office_snapshot(office_id=office.id)
    assert [r["ticket"] for r in before["recent_calls"]] == [second.display_number,
                                                            first.display_number]

    sent = []
    monkeypatch.setattr(events, "_send", lambda group, message: sent.append(message))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_recall(ticket=Ticket.objects.get(pk=first.pk), counter=counter,
                               by=contractor)
    expected = [first.display_number, second.display_number]
    read = selectors.office_snapshot(office_id=office.id)
    assert [r["ticket"] for r in read["recent_calls"]] == expected  # what a display reads
    applied = before
    for message in sent:
        applied = selectors.office_snapshot_apply(applied, message)
    assert [r["ticket"] for r in applied["recent_calls"]] == expected  # what it is pushed
