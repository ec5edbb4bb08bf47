"""The staffing plan's figures on a fixture: three weeks of demo history for the forecast,
then a hand-played last week (Mon 2026-07-06 .. Wed 07-08) under a contract whose
counter-hour price is 2,500 yen; the plan is for the week of Mon 2026-07-13.

Last week, by hand:
    Mon 7/6  counter 1 (outsourced) open 09:00-10:30, counter 6 (staff-only) 09:00-10:00
             A001 issued 09:00, called 09:05 at c1 (wait 5, within 15)
             A002 issued 09:10, called 09:40 at c1 (wait 30, over 15)
    Tue 7/7  counter 1 open 09:00-09:07; Wed 7/8 the same
  open in hour: Mon 09 outsourced 1.0, Mon 10 outsourced 0.5, Mon 09 staff-only 1.0
  SLA outsourced: Mon 09 1 of 2 = 50.0 %; the week 50.0 %
  outsourced minutes 90 + 7 + 7 = 104 -> 1.7 counter-hours; staff-only 60 -> 1.0
  cost last week, per day rounded down as the contract bills:
      90 x 2500 / 60 = 3,750; 7 x 2500 / 60 = 291.67 -> 291 (twice)  => 4,332
      (rounding the week's 104 minutes at once would give 4,333)
"""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from demo.congestion_history import history_demo_load
from queueing import services, staffing
from queueing.models import Contract, ContractPrice, Counter, Service, Unit
from staff import plan

TOKYO = ZoneInfo("Asia/Tokyo")
WEEK = datetime.date(2026, 7, 13)
MONDAY_9 = datetime.datetime(2026, 7, 13, 9, tzinfo=TOKYO)
MONDAY_10 = datetime.datetime(2026, 7, 13, 10, tzinfo=TOKYO)
NOW = datetime.datetime(2026, 7, 13, 8, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forecasts are cached per office state; test databases roll back and repeat ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def last_week(office, contractor, municipal, clock):
    """The demo history, a contract priced by the counter-hour, and last week played."""
    Contract.objects.all().delete()
    contract = Contract.objects.create(office=office, name="窓口業務委託契約 (テスト)",
                                       company=contractor.contractor_staff.company, tax_percent=10,
                                       starts_on=datetime.date(2026, 4, 1),
                                       ends_on=datetime.date(2027, 3, 31))
    hour = Unit.objects.get(office=office, code="counter-hour")
    ContractPrice.objects.create(contract=contract, unit=hour, unit_price_yen=2500)
    clock.at("08:00", datetime.date(2026, 7, 6))
    assert history_demo_load(office=office, weeks=3) > 1000
    a = Service.objects.get(office=office, code="juminhyo")
    c1, c6 = (Counter.objects.get(office=office, number=n) for n in (1, 6))

    def at(hhmm, day):
        clock.at(hhmm, datetime.date(2026, 7, day))

    at("09:00", 6)
    services.counter_set_status(counter=c1, by=contractor, status="open")
    services.counter_set_status(counter=c6, by=municipal, status="open")
    a001 = services.ticket_issue(service=a)
    at("09:05", 6)
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a001.pk
    services.ticket_complete(ticket=a001, counter=c1, by=contractor)
    at("09:10", 6)
    a002 = services.ticket_issue(service=a)
    at("09:40", 6)
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a002.pk
    services.ticket_complete(ticket=a002, counter=c1, by=contractor)
    at("10:00", 6)
    services.counter_set_status(counter=c6, by=municipal, status="closed")
    at("10:30", 6)
    services.counter_set_status(counter=c1, by=contractor, status="closed")
    for day in (7, 8):
        at("09:00", day)
        services.counter_set_status(counter=c1, by=contractor, status="open")
        at("09:07", day)
        services.counter_set_status(counter=c1, by=contractor, status="closed")
    clock.at("08:00", WEEK)
    return {"office": office, "contract": contract, "hour": hour}


@pytest.fixture
def figures(last_week):
    return plan.week_plan(office_id=last_week["office"].id, week_start=WEEK, now=NOW)


def _row(figures, start):
    return next(r for r in figures["rows"] if r["start"] == start)["kinds"]


def test_the_plan_hours_are_the_staffing_plan_added_up_by_kind(last_week, figures):
    expected = staffing.office_week_plan(office_id=last_week["office"].id, week_start=WEEK,
                                         now=NOW).by_kind()
    assert expected, "the demo history gives a forecast"
    for start, kinds in expected.items():
        row = _row(figures, start)
        assert {k: row[k]["planned"] for k in plan.KINDS} == {
            k: kinds.get(k, 0) for k in plan.KINDS}
    assert figures["hours_plan"]["outsourced"] == sum(
        k.get("outsourced", 0) for k in expected.values()) > 0
    assert figures["hours_plan_total"] == sum(sum(k.values()) for k in expected.values())
    # Only weekdays of the week are planned (the demo office is closed at weekends).
    assert {r["start"].date() for r in figures["rows"]} <= {
        WEEK + datetime.timedelta(days=i) for i in range(5)}


def test_last_week_open_counters_and_sla_sit_beside_the_same_hour(figures):
    nine, ten = _row(figures, MONDAY_9), _row(figures, MONDAY_10)
    assert (nine["outsourced"]["open"], ten["outsourced"]["open"]) == (1.0, 0.5)
    assert (nine["staff_only"]["open"], ten["staff_only"]["open"]) == (1.0, 0.0)
    assert (nine["outsourced"]["sla"], nine["outsourced"]["waits"]) == (50.0, 2)
    assert ten["outsourced"]["sla"] is None
    assert figures["sla_last"] == {"outsourced": 50.0, "staff_only": None}
    assert figures["hours_last"] == {"outsourced": 1.7, "staff_only": 1.0}
    assert figures["hours_last_total"] == 2.7


def test_costs_to_the_yen(figures):
    assert figures["price"] == 2500
    assert figures["cost_last"] == 3750 + 291 + 291
    assert figures["cost_plan"] == figures["hours_plan"]["outsourced"] * 2500


def test_without_a_counter_hour_price_there_is_no_cost(last_week):
    ContractPrice.objects.filter(unit=last_week["hour"]).delete()
    figures = plan.week_plan(office_id=last_week["office"].id, week_start=WEEK, now=NOW)
    assert figures["contract"] == last_week["contract"] and figures["price"] is None
    assert figures["cost_plan"] is None and figures["cost_last"] is None
    rows = plan.plan_table(figures)
    assert any("No counter-hour price" in str(c) for r in rows for c in r)


def test_the_page_says_no_price_is_set_rather_than_zero_yen(last_week, supervisor):
    ContractPrice.objects.filter(unit=last_week["hour"]).delete()
    page = _client(supervisor).get("/supervisor/plan/?week=2026-07-13").content.decode()
    assert "窓口開設時間の単価がないため、費用は計算できません" in page
    assert "no counter-hour price" in page
    assert "円" not in page.split('id="plan-cost"')[1].split("</section>")[0]


def test_the_csv_a_contractor_staffs_from(figures):
    rows = plan.plan_table(figures)
    assert rows[1] == plan.CSV_HEADER
    monday = next(r for r in rows if r[:3] == ["2026-07-13", "月", "09:00"])
    nine = _row(figures, MONDAY_9)
    assert monday[3:] == [nine["outsourced"]["planned"], nine["staff_only"]["planned"],
                          1.0, 1.0, 50.0, ""]
    assert ["費用(円,税抜) Cost, last week (outsourced)", 4332] in rows


def test_weeks_start_on_monday():
    assert plan.monday(datetime.date(2026, 7, 16)) == WEEK
    assert plan.coming_week(datetime.date(2026, 7, 12)) == WEEK
    assert plan.coming_week(datetime.date(2026, 7, 6)) == WEEK


# --- the page -------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["contractor", "municipal"])
def test_only_supervisors_see_the_plan(office, who, django_user_model):
    user = django_user_model.objects.get(username=who)
    for url in ("/supervisor/plan/", "/supervisor/plan/?csv=1"):
        response = _client(user).get(url)
        assert response.status_code == 403
        assert "監督者のみ" in response.content.decode()


@pytest.mark.django_db
def test_signed_out_is_sent_to_sign_in(office):
    response = Client().get("/supervisor/plan/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_the_page_shows_the_week_and_its_cost(last_week, supervisor):
    response = _client(supervisor).get("/supervisor/plan/?week=2026-07-15")
    assert response.status_code == 200
    assert response.context["week"] == WEEK  # the Monday of the chosen day's week
    page = response.content.decode()
    assert 'data-hour="2026-07-13T09"' in page
    assert "4,332 円" in page
    assert "配置計画" in page and "Staffing plan" in page


@pytest.mark.django_db
@pytest.mark.parametrize("week", ["2026-13-01", "tomorrow", "123456789012", "1999-12-31"])
def test_a_bad_week_is_a_plain_message(office, supervisor, week):
    response = _client(supervisor).get("/supervisor/plan/", {"week": week})
    assert response.status_code == 200
    page = response.content.decode()
    assert "日付は 2000-01-01 から 2099-12-31" in page
    assert week not in page.replace('value="', "")  # never echoed back
    csv_response = _client(supervisor).get("/supervisor/plan/", {"week": week, "csv": "1"})
    assert csv_response.status_code == 400


@pytest.mark.django_db
def test_an_unknown_export_is_refused(office, supervisor):
    response = _client(supervisor).get("/supervisor/plan/?csv=xlsx")
    assert response.status_code == 400 and "Unknown export" in response.content.decode()


def test_the_csv_download_is_utf8_with_a_bom(last_week, supervisor):
    response = _client(supervisor).get("/supervisor/plan/?week=2026-07-13&csv=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="staffing-plan-2026-07-13.csv"' in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[1] == plan.CSV_HEADER
    assert ["2026-07-13", "月", "09:00"] in [r[:3] for r in rows]


@pytest.mark.django_db
def test_the_dashboard_links_the_plan(office, supervisor):
    page = _client(supervisor).get("/supervisor/").content.decode()
    assert "/supervisor/plan/" in page
