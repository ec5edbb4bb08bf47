"""Counter actions: each transition, its audit event and the refusals users can cause."""

import datetime

import pytest
from django.utils import timezone

from queueing import services
from queueing.errors import Conflict, Forbidden, NotFound, QueueError
from queueing.models import Counter, Device, Service, Ticket, TicketEvent

S = Ticket.Status


def svc(code):
    return Service.objects.get(office__code="demo", code=code)


def counter(number):
    return Counter.objects.get(office__code="demo", number=number)


def issue(code="juminhyo", **kw):
    return services.ticket_issue(service=svc(code), **kw)


def actions(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))


def test_issue_writes_a_waiting_ticket_at_the_first_step_with_an_audit_event(office):
    t = issue("tennyu", language="en")
    assert (t.status, t.step.order, t.step.kind, t.language) == (S.WAITING, 1, "outsourced", "en")
    assert actions(t) == ["issued"]
    assert len(t.token) >= 32


def test_the_issue_statement_built_once_matches_djangos_inserts_for_each_ticket(office):
    # Given two tickets of different kiosks, services, priorities and languages
    kiosk = Device.objects.get(office__code="demo", type="kiosk")
    made = [services._ticket_new(service=svc(code), priority=priority, language=language,
                                 device=device, first_step=None)
            for code, priority, language, device in [("juminhyo", 0, "ja", kiosk),
                                                     ("tennyu", 1, "vi", None)]]
    for ticket, event in made:
        # When the statement is taken from the text built once per process
        sql, params = services._issue_statement(ticket, event)
        # Then it is Django's INSERT of this very ticket and audit row, with their values
        ticket_sql, ticket_params = services._insert_sql(ticket)
        event_sql, event_params = services._insert_sql(event)
        assert ticket_sql in sql and event_sql in sql
        assert params[3:3 + len(ticket_params)] == ticket_params
        assert params[-len(event_params):] == event_params
        assert ticket.token in params and ticket.language in params


def test_issue_refused_outside_the_services_hours(office):
    mynumber = svc("mynumber")
    mynumber.available_until = datetime.time(0, 0)  # closes at midnight: never open
    mynumber.save()
    with pytest.raises(Conflict) as err:
        services.ticket_issue(service=mynumber)
    assert err.value.code == "service_closed"
    assert not Ticket.objects.filter(service=mynumber).exists()


def test_paused_kiosk_refuses_with_its_message(office):
    kiosk = Device.objects.get(type="kiosk")
    kiosk.paused, kiosk.pause_message = True, "ただいま点検中です"
    kiosk.save()
    with pytest.raises(Conflict) as err:
        services.ticket_issue(service=svc("juminhyo"), device=kiosk)
    assert (err.value.code, err.value.detail) == ("kiosk_paused", "ただいま点検中です")


def test_call_next_takes_priority_then_original_issue_time(office, contractor):
    first = issue()
    second = issue()
    helped = issue(priority=Ticket.Priority.ASSISTANCE)
    c1, c2, c3 = counter(1), counter(2), counter(1)
    got = services.ticket_call_next(counter=c1, by=contractor)
    assert got.pk == helped.pk and got.status == S.CALLED and got.counter == c1
    assert services.ticket_call_next(counter=c2, by=contractor).pk == first.pk
    services.ticket_complete(ticket=got, counter=c3, by=contractor)
    assert services.ticket_call_next(counter=c3, by=contractor).pk == second.pk


def test_call_next_on_an_empty_line_returns_none(office, contractor):
    assert services.ticket_call_next(counter=counter(1), by=contractor) is None


def test_counter_with_a_ticket_cannot_call_another(office, contractor):
    issue(), issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    with pytest.raises(Conflict) as err:
        services.ticket_call_next(counter=c, by=contractor)
    assert err.value.code == "counter_busy"


def test_call_by_number_out_of_turn(office, contractor):
    issue()
    target = issue()
    got = services.ticket_call_number(counter=counter(2), by=contractor, number="a2")
    assert got.pk == target.pk and got.status == S.CALLED


@pytest.mark.parametrize("number,code", [("Z999", "ticket_not_found"), ("12", "bad_number"),
                                         ("", "bad_number"), ("A-1x", "bad_number")])
def test_call_by_number_refuses_unknown_or_malformed(office, contractor, number, code):
    issue()
    with pytest.raises(QueueError) as err:
        services.ticket_call_number(counter=counter(1), by=contractor, number=number)
    assert err.value.code == code


def test_call_by_number_refuses_a_ticket_already_called(office, contractor):
    t = issue()
    services.ticket_call_next(counter=counter(1), by=contractor)
    with pytest.raises(Conflict) as err:
        services.ticket_call_number(counter=counter(2), by=contractor, number=t.display_number)
    assert err.value.code == "not_waiting"


def test_recall_start_complete(office, contractor):
    t = issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    t = services.ticket_recall(ticket=t, counter=c, by=contractor)
    assert t.recall_count == 1
    t = services.ticket_start(ticket=t, counter=c, by=contractor)
    assert t.status == S.SERVING and t.started_at
    t = services.ticket_complete(ticket=t, counter=c, by=contractor)
    assert t.status == S.COMPLETED and t.counter is None and t.closed_at
    assert actions(t) == ["issued", "called", "recalled", "started", "completed"]


def test_action_on_a_ticket_at_another_counter_is_refused(office, contractor):
    t = issue()
    services.ticket_call_next(counter=counter(1), by=contractor)
    with pytest.raises(Conflict) as err:
        services.ticket_complete(ticket=t, counter=counter(2), by=contractor)
    assert err.value.code == "not_at_this_counter"


def test_invalid_transition_is_a_conflict_not_a_crash(office, contractor):
    t = issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    services.ticket_complete(ticket=t, counter=c, by=contractor)
    with pytest.raises(Conflict):
        services.ticket_start(ticket=t, counter=c, by=contractor)
    assert Ticket.objects.get(pk=t.pk).status == S.COMPLETED


def test_hold_frees_the_counter_and_resume_calls_back(office, contractor):
    t, nxt = issue(), issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    t = services.ticket_hold(ticket=t, counter=c, by=contractor, reason="書類を取りに")
    assert t.status == S.HELD and t.counter is None
    other = services.ticket_call_next(counter=c, by=contractor)
    assert other.pk == nxt.pk
    services.ticket_complete(ticket=other, counter=c, by=contractor)
    t = services.ticket_resume(ticket=t, counter=c, by=contractor)
    assert t.status == S.CALLED and t.counter == c


def test_no_show_keeps_its_place_but_call_next_skips_it_for_the_cooldown(
        office, contractor, clock):
    # Given A001 called, and A002 behind it
    clock.at("09:00")
    t, later = issue(), issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    # When A001 does not come
    clock.at("09:02")
    t = services.ticket_no_show(ticket=t, counter=c, by=contractor)
    # Then it waits again, and "call next" offers A002 instead, not the same absent person
    assert t.status == S.WAITING and t.no_show_count == 1
    assert t.call_after == timezone.now() + datetime.timedelta(minutes=5)
    assert services.ticket_call_next(counter=c, by=contractor).pk == later.pk
    services.ticket_complete(ticket=later, counter=c, by=contractor)
    clock.at("09:06")
    assert services.ticket_call_next(counter=c, by=contractor) is None  # still cooling down
    # and after the cooldown it is first again: it kept its place
    issue()
    clock.at("09:07")
    assert services.ticket_call_next(counter=c, by=contractor).pk == t.pk


def test_a_ticket_in_its_cooldown_can_still_be_called_by_number(office, contractor):
    t = issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    services.ticket_no_show(ticket=t, counter=c, by=contractor)
    got = services.ticket_call_number(counter=c, by=contractor, number=t.display_number)
    assert got.pk == t.pk and got.call_after is None


def test_the_last_allowed_no_show_closes_the_ticket(office, contractor):
    office.no_show_limit, office.no_show_cooldown_minutes = 3, 0
    office.save()
    t = issue()
    c = counter(1)
    for expected in (S.WAITING, S.WAITING, S.NO_SHOW):
        services.ticket_call_number(counter=c, by=contractor, number=t.display_number)
        t = services.ticket_no_show(ticket=t, counter=c, by=contractor)
        assert t.status == expected
    assert t.closed_at and actions(t).count("no_show_requeued") == 2


def test_recalls_stop_at_the_office_limit_and_a_new_call_starts_again(office, contractor):
    office.recall_limit = 2
    office.save()
    t = issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    services.ticket_recall(ticket=t, counter=c, by=contractor)
    services.ticket_recall(ticket=t, counter=c, by=contractor)
    with pytest.raises(Conflict) as err:
        services.ticket_recall(ticket=t, counter=c, by=contractor)
    assert err.value.code == "recall_limit"
    services.ticket_hold(ticket=t, counter=c, by=contractor, reason="書類を取りに")
    services.ticket_resume(ticket=t, counter=c, by=contractor)
    assert services.ticket_recall(ticket=t, counter=c, by=contractor).recall_count == 1


def test_hold_needs_a_reason_and_records_since_when(office, contractor):
    t = issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    with pytest.raises(QueueError) as err:
        services.ticket_hold(ticket=t, counter=c, by=contractor, reason=" ")
    assert err.value.code == "reason_required"
    t = services.ticket_hold(ticket=t, counter=c, by=contractor, reason="書類を取りに")
    assert t.held_at == TicketEvent.objects.get(ticket=t, action="held").at


def test_completing_a_step_moves_the_ticket_to_the_next_step_keeping_its_place(
        office, contractor, municipal):
    # 転入届: contractor reception, then staff review.
    early = issue("tennyu")
    late = issue("tennyu")
    c3, c6 = counter(3), counter(6)
    services.ticket_call_next(counter=c3, by=contractor)  # early
    services.ticket_complete(ticket=early, counter=c3, by=contractor)
    services.ticket_call_next(counter=c3, by=contractor)  # late
    services.ticket_complete(ticket=late, counter=c3, by=contractor)
    early.refresh_from_db()
    assert (early.status, early.step.order, early.step.kind) == (S.WAITING, 2, "staff_only")
    # Both wait at review; the earlier issue time is called first.
    assert services.ticket_call_next(counter=c6, by=municipal).pk == early.pk


def test_transfer_to_next_step_needs_a_reason(office, contractor):
    t = issue("tennyu")
    c = counter(3)
    services.ticket_call_next(counter=c, by=contractor)
    with pytest.raises(QueueError) as err:
        services.ticket_transfer(ticket=t, counter=c, by=contractor, reason="  ")
    assert err.value.code == "reason_required"


def test_contractor_hands_off_to_staff_by_transfer_with_reason(office, contractor, municipal):
    t = issue("juminhyo")
    c1 = counter(1)
    services.ticket_call_next(counter=c1, by=contractor)
    t = services.ticket_transfer(ticket=t, counter=c1, by=contractor,
                                 reason="判断が必要: 減免の相談", to_service=svc("genmen"))
    assert (t.status, t.service.code, t.step.kind, t.counter) == (
        S.WAITING, "genmen", "staff_only", None)
    ev = TicketEvent.objects.filter(ticket=t, action="transferred").get()
    assert (ev.reason, ev.from_step.kind, ev.to_step.kind, ev.counter_kind) == (
        "判断が必要: 減免の相談", "outsourced", "staff_only", "outsourced")
    got = services.ticket_call_next(counter=counter(8), by=municipal)
    assert got.pk == t.pk and got.display_number == t.display_number  # same number kept


def test_transfer_past_the_last_step_is_refused(office, contractor):
    t = issue("juminhyo")
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    with pytest.raises(Conflict) as err:
        services.ticket_transfer(ticket=t, counter=c, by=contractor, reason="次へ")
    assert err.value.code == "no_next_step"


def test_resident_can_cancel_their_waiting_ticket_once(office):
    t = issue()
    t = services.ticket_cancel(ticket=t)
    assert t.status == S.CANCELLED
    with pytest.raises(Conflict):
        services.ticket_cancel(ticket=t)


def test_cancel_of_missing_ticket_is_not_found(office):
    t = issue()
    Ticket.objects.filter(pk=t.pk).delete()
    with pytest.raises(NotFound):
        services.ticket_cancel(ticket=t)


def test_counter_with_a_ticket_cannot_close(office, contractor):
    issue()
    c = counter(1)
    services.ticket_call_next(counter=c, by=contractor)
    with pytest.raises(Conflict):
        services.counter_set_status(counter=c, by=contractor, status="closed")
    c = services.counter_set_status(counter=c, by=contractor, status="open")
    assert c.status == "open"


def test_every_change_bumps_the_office_version(office, contractor):
    office.refresh_from_db()
    v0 = office.event_version
    t = issue()
    services.ticket_call_next(counter=counter(1), by=contractor)  # also opens the counter
    services.ticket_complete(ticket=t, counter=counter(1), by=contractor)
    office.refresh_from_db()
    # issued, counter staffed (someone acts there), counter opened, called, completed
    assert office.event_version == v0 + 5


def test_user_without_role_cannot_act(office, django_user_model):
    nobody = django_user_model.objects.create_user("visitor", password="x-visitor-pass")
    issue()
    with pytest.raises(Forbidden):
        services.ticket_call_next(counter=counter(1), by=nobody)


# --- what the resident says on the status page ----------------------------------------


def test_on_my_way_is_recorded_once_and_a_call_answers_it(office, contractor):
    t = services.ticket_issue(service=svc("juminhyo"))
    services.ticket_on_my_way(ticket=t)
    services.ticket_on_my_way(ticket=t)  # pressed twice
    assert Ticket.objects.get(pk=t.pk).on_my_way_at is not None
    assert TicketEvent.objects.filter(ticket=t, action="on_my_way").count() == 1
    called = services.ticket_call_next(counter=counter(1), by=contractor)
    services.ticket_no_show(ticket=called, counter=counter(1), by=contractor)  # back in line
    assert Ticket.objects.get(pk=t.pk).on_my_way_at is None  # no stale mark on the console
    services.ticket_on_my_way(ticket=t)
    assert TicketEvent.objects.filter(ticket=t, action="on_my_way").count() == 2


def test_on_my_way_refused_for_a_ticket_that_is_not_waiting(office, contractor):
    t = services.ticket_issue(service=svc("juminhyo"))
    services.ticket_call_next(counter=counter(1), by=contractor)
    with pytest.raises(Conflict) as refused:
        services.ticket_on_my_way(ticket=t)
    assert refused.value.code == "not_waiting"


def test_email_opt_in_is_refused_for_a_closed_ticket_and_never_audits_the_address(office):
    t = services.ticket_issue(service=svc("juminhyo"))
    services.ticket_notice_opt_in(ticket=t, email="a.resident@example.jp")
    assert "a.resident" not in "".join(TicketEvent.objects.values_list("reason", flat=True))
    services.ticket_cancel(ticket=t)
    with pytest.raises(Conflict):
        services.ticket_notice_opt_in(ticket=t, email="a.resident@example.jp")
