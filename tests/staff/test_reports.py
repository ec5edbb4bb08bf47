"""Report figures on a fixture day whose answers are computed by hand.

The day is played through the real services with the clock set to each
moment (Asia/Tokyo, 2026-06-10). Services: 住民票の写し (A, target 15 min,
one outsourced step) and 転入届 (D, target 30 min; step 1 outsourced,
step 2 staff-only). Counters 1 and 3 are outsourced, 6 is staff-only.

    09:00 A001 issued         09:05 A002 issued        09:10 D001 issued
    09:10 c1 calls A001  (wait 10)   09:11 start   09:15 complete   (service 4)
    09:15 c1 calls A002  (wait 10)   09:17 no-show (the first): back in its place
    09:18 c1 calls A002 again by number, in its cooldown (no new wait)  09:30 no-show: closed
    09:40 c3 calls D001  (wait 30)   09:42 start   09:50 transfer to step 2 (service 8)
    10:10 c6 calls D001 at step 2 (wait 20 since 09:50)  10:16 complete from called (service 6)
    10:20 A003 issued
    10:46 c1 calls A003  (wait 26)   10:47 start   10:50 complete   (service 3)
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from queueing import services
from queueing.models import Counter, Service
from staff import reports

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = datetime.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forecasts are cached per office state; test databases roll back and repeat ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def day(office, contractor, municipal, clock):
    """Play the fixture day; return the services and counters used."""
    a = Service.objects.get(office=office, code="juminhyo")
    d = Service.objects.get(office=office, code="tennyu")
    c1, c3, c6 = (Counter.objects.get(office=office, number=n) for n in (1, 3, 6))
    clock.at("09:00")
    a001 = services.ticket_issue(service=a)
    clock.at("09:05")
    a002 = services.ticket_issue(service=a)
    clock.at("09:10")
    d001 = services.ticket_issue(service=d)
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a001.pk
    clock.at("09:11")
    services.ticket_start(ticket=a001, counter=c1, by=contractor)
    clock.at("09:15")
    services.ticket_complete(ticket=a001, counter=c1, by=contractor)
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a002.pk
    clock.at("09:17")
    assert services.ticket_no_show(ticket=a002, counter=c1, by=contractor).status == "waiting"
    clock.at("09:18")
    assert services.ticket_call_next(counter=c1, by=contractor) is None  # A002 cools down
    services.ticket_call_number(counter=c1, by=contractor, number=a002.display_number)
    clock.at("09:30")
    assert services.ticket_no_show(ticket=a002, counter=c1, by=contractor).status == "no_show"
    clock.at("09:40")
    assert services.ticket_call_next(counter=c3, by=contractor).pk == d001.pk
    clock.at("09:42")
    services.ticket_start(ticket=d001, counter=c3, by=contractor)
    clock.at("09:50")
    services.ticket_transfer(ticket=d001, counter=c3, by=contractor, reason="審査が必要")
    clock.at("10:10")
    assert services.ticket_call_next(counter=c6, by=municipal).pk == d001.pk
    clock.at("10:16")
    services.ticket_complete(ticket=d001, counter=c6, by=municipal)
    clock.at("10:20")
    a003 = services.ticket_issue(service=a)
    clock.at("10:46")
    assert services.ticket_call_next(counter=c1, by=contractor).pk == a003.pk
    clock.at("10:47")
    services.ticket_start(ticket=a003, counter=c1, by=contractor)
    clock.at("10:50")
    services.ticket_complete(ticket=a003, counter=c1, by=contractor)
    return {"a": a, "d": d, "office": office}


def _row(rows, label):
    return next(r for r in rows if r["label"] == label)


@pytest.fixture
def figures(day):
    return reports.history(office_id=day["office"].id, day_from=DAY, day_to=DAY)


def test_by_service_counts(figures):
    a = _row(figures["by_service"], "住民票の写し")
    d = _row(figures["by_service"], "転入届")
    # A: A001, A002, A003 issued; A001 and A003 completed; A002 closed as no-show
    # (its first no-show at 09:17 was within grace and is not counted).
    assert (a["issued"], a["served"], a["no_shows"], a["transfers_to_staff"]) == (3, 2, 1, 0)
    # D: D001 issued, transferred from the outsourced to the staff step, completed there.
    assert (d["issued"], d["served"], d["no_shows"], d["transfers_to_staff"]) == (1, 1, 0, 1)


def test_by_service_waits(figures):
    a = _row(figures["by_service"], "住民票の写し")
    # A waits 10, 10, 26: mean 46/3 = 15.33 -> 15.3; median 10; p90 = ceil(2.7) = 3rd = 26.
    assert (a["waits"], a["mean_wait"], a["median_wait"], a["p90_wait"]) == (3, 15.3, 10, 26)
    d = _row(figures["by_service"], "転入届")
    # D waits 30 (step 1) and 20 (step 2): mean 25, median 25, p90 = ceil(1.8) = 2nd = 30.
    assert (d["waits"], d["mean_wait"], d["median_wait"], d["p90_wait"]) == (2, 25, 25, 30)


def test_by_service_service_time_and_sla(figures):
    a = _row(figures["by_service"], "住民票の写し")
    # A service times: 09:11-09:15 = 4, 10:47-10:50 = 3 -> mean 3.5.
    # Within the 15 min target: 10 and 10 yes, 26 no -> 2/3 = 66.7 %.
    assert (a["mean_service"], a["sla"]) == (3.5, 66.7)
    d = _row(figures["by_service"], "転入届")
    # D: 09:42-09:50 = 8 (start to transfer), 10:10-10:16 = 6 (call to complete) -> 7.
    # Target 30: 30 <= 30 yes, 20 yes -> 100 %.
    assert (d["mean_service"], d["sla"]) == (7, 100)


def test_services_without_tickets_show_no_figures(figures):
    z = _row(figures["by_service"], "税証明")
    assert (z["issued"], z["waits"], z["mean_wait"], z["sla"]) == (0, 0, None, None)


def test_by_counter_kind(figures):
    out = _row(figures["by_kind"], reports.KIND_LABELS["outsourced"])
    staff = _row(figures["by_kind"], reports.KIND_LABELS["staff_only"])
    # Outsourced: 4 issued (every first step is outsourced), A001 and A003 completed,
    # A002 no-show, D001 transferred to staff. Waits 10, 10, 30, 26: mean 19, median
    # (10 + 26) / 2 = 18, p90 = ceil(3.6) = 4th = 30. Service 4, 8, 3: mean 5.
    # Within target: A 10 <= 15, A 10 <= 15, D 30 <= 30, A 26 > 15 -> 3/4 = 75 %.
    counts = (out["issued"], out["served"], out["no_shows"], out["transfers_to_staff"])
    assert counts == (4, 2, 1, 1)
    assert (out["mean_wait"], out["median_wait"], out["p90_wait"]) == (19, 18, 30)
    assert (out["mean_service"], out["sla"]) == (5, 75)
    # Staff-only: D001 completed; wait 20, service 6, within target.
    assert (staff["issued"], staff["served"], staff["no_shows"]) == (0, 1, 0)
    assert (staff["mean_wait"], staff["median_wait"], staff["p90_wait"]) == (20, 20, 20)
    assert (staff["mean_service"], staff["sla"]) == (6, 100)


def test_totals(figures):
    t = figures["total"]
    # Waits 10, 10, 26, 30, 20: mean 96/5 = 19.2, median 20, p90 = ceil(4.5) = 5th = 30;
    # within target 4 of 5 = 80 %.
    assert (t["issued"], t["served"], t["no_shows"], t["transfers_to_staff"]) == (4, 3, 1, 1)
    assert (t["mean_wait"], t["median_wait"], t["p90_wait"], t["sla"]) == (19.2, 20, 30, 80)


def test_arrivals_per_hour_in_tokyo_time(figures):
    hours = dict(figures["arrivals_per_hour"])
    # 09:00, 09:05, 09:10 -> 3 in the 9 o'clock hour; 10:20 -> 1 at 10.
    assert hours[9] == 3 and hours[10] == 1
    assert sum(hours.values()) == 4 and min(hours) == 8 and max(hours) == 17


def test_wait_distribution(figures):
    bins = dict(figures["wait_distribution"])
    # 10, 10 -> 10-15; 20, 26 -> 20-30; 30 -> 30-45.
    assert bins == {"0-5": 0, "5-10": 0, "10-15": 2, "15-20": 0, "20-30": 2, "30-45": 1,
                    "45-60": 0, "60+": 0}


def test_other_days_are_outside_the_range(day, clock):
    clock.at("09:00", DAY + datetime.timedelta(days=1))
    services.ticket_issue(service=day["a"])
    one = reports.history(office_id=day["office"].id, day_from=DAY, day_to=DAY)
    two = reports.history(office_id=day["office"].id, day_from=DAY,
                          day_to=DAY + datetime.timedelta(days=1))
    assert one["total"]["issued"] == 4
    assert two["total"]["issued"] == 5


# --- the contract report: a fixture month computed by hand ------------------------------
#
# Contract from 2026-07-01 (tax 10 %): 住民票の写し 300 円/通, 転入届 受付・入力 1,200 円/件,
# counter time 2,500 円/時間; level: 90 % called within 15 min, 5,000 円 per missed day,
# 2 % of the subtotal when the month misses. Counters 1 and 3 outsourced, 6 staff-only.
#
# Wed 7/1: c1 open 09:00-12:00 (180 min)
#   A001 09:00, called 09:05 (wait 5), complete 09:10 recording 住民票 x3
#   A002 09:02, called 09:10 (wait 8), complete 09:14 with the default (x1)
#   D001 09:20, c3 calls it 09:30 (wait 10; c3 opens then), transfers it 09:40 to the
#     staff review with a reason and a note (default: 転入届 受付・入力 x1); c3 closes 10:00
#     (30 min); c6 calls it 09:50 and completes 10:00 (転入届 審査 x1: staff, not billed)
#   units 住民票 4 -> 1,200; 転入 1 -> 1,200; 210 min x 2,500 / 60 = 8,750  => 11,150
#   waits 5, 8, 10: 3/3 within -> 100 %; handled 3
# Thu 7/2: c1 open 09:00-10:00 (60 min)
#   A001 09:00, called 09:20 (wait 20), no-show 09:22: back in its place, cooled down
#   A002 09:01, called 09:22 by "call next" (wait 21; A001 is skipped), complete 09:25 (x1)
#   09:28 "call next" gives A001 again (no new wait); no-show 09:30: closed, not billed
#   A003 09:24, called 09:31 (wait 7), complete 09:35 recording x2
#   units 住民票 3 -> 900; 60 min -> 2,500  => 3,400
#   waits 20, 21, 7: 1/3 within -> 33.3 %: missed, 5,000 deducted; handled 2
# Mon 7/20 海の日 (a holiday, open as 休日開庁): c1 open 10:00-10:37 (37 min)
#   A001 10:00, called 10:01 (wait 1), complete 10:05 (x1)
#   units 住民票 1 -> 300; 37 x 2,500 / 60 = 1,541.67 -> 1,541  => 1,841
#   wait 1: within; handled 1
# Month: 住民票 8 -> 2,400; 転入 1 -> 1,200; 307 min -> 8,750 + 2,500 + 1,541 = 12,791
#   subtotal 16,391 (= 11,150 + 3,400 + 1,841)
#   level: 5 of 7 within = 71.4 % < 90 %: the month misses too
#   deductions 5,000 x 1 day + 16,391 x 2 % = 327.82 -> 327  => 5,327
#   net 11,064; tax 1,106.4 -> 1,106; total 12,170; handled 6

JULY = datetime.date(2026, 7, 1)


@pytest.fixture
def month(office, contractor, municipal, clock):
    """Play the fixture month; return what the tests need."""
    from queueing.models import Contract, ContractLevel, ContractPrice, Unit

    Contract.objects.all().delete()
    contract = Contract.objects.create(office=office, name="窓口業務委託契約 (テスト)",
                                       company=contractor.contractor_staff.company, tax_percent=10,
                                       starts_on=JULY, ends_on=datetime.date(2027, 3, 31))
    units = {u.code: u for u in Unit.objects.filter(office=office)}
    for code, price in (("juminhyo-copy", 300), ("tennyu-reception", 1200),
                        ("counter-hour", 2500)):
        ContractPrice.objects.create(contract=contract, unit=units[code], unit_price_yen=price)
    ContractLevel.objects.create(contract=contract, name="呼出までの待ち時間", within_minutes=15,
                                 target_percent=90, deduction_yen_per_missed_day=5000,
                                 deduction_percent_if_month_missed=2)
    a = Service.objects.get(office=office, code="juminhyo")
    d = Service.objects.get(office=office, code="tennyu")
    c1, c3, c6 = (Counter.objects.get(office=office, number=n) for n in (1, 3, 6))
    copies = units["juminhyo-copy"].id

    def at(hhmm, day):
        clock.at(hhmm, datetime.date(2026, 7, day))

    def call(counter, by=contractor):
        return services.ticket_call_next(counter=counter, by=by)

    # Wed 7/1
    at("09:00", 1)
    services.counter_set_status(counter=c1, by=contractor, status="open")
    a001 = services.ticket_issue(service=a)
    at("09:02", 1)
    a002 = services.ticket_issue(service=a)
    at("09:05", 1)
    assert call(c1).pk == a001.pk
    at("09:10", 1)
    services.ticket_complete(ticket=a001, counter=c1, by=contractor, units={copies: 3})
    assert call(c1).pk == a002.pk
    at("09:14", 1)
    services.ticket_complete(ticket=a002, counter=c1, by=contractor)
    at("09:20", 1)
    d001 = services.ticket_issue(service=d)
    at("09:30", 1)
    assert call(c3).pk == d001.pk
    at("09:40", 1)
    services.ticket_transfer(ticket=d001, counter=c3, by=contractor,
                             reason="審査・決定が必要", note="転出証明書あり、世帯主変更の相談")
    at("09:50", 1)
    assert call(c6, municipal).pk == d001.pk
    at("10:00", 1)
    services.ticket_complete(ticket=d001, counter=c6, by=municipal)
    services.counter_set_status(counter=c3, by=contractor, status="closed")
    at("12:00", 1)
    services.counter_set_status(counter=c1, by=contractor, status="closed")
    # Thu 7/2
    at("09:00", 2)
    services.counter_set_status(counter=c1, by=contractor, status="open")
    b001 = services.ticket_issue(service=a)
    at("09:01", 2)
    b002 = services.ticket_issue(service=a)
    at("09:20", 2)
    assert call(c1).pk == b001.pk
    at("09:22", 2)
    services.ticket_no_show(ticket=b001, counter=c1, by=contractor)
    assert call(c1).pk == b002.pk
    at("09:24", 2)
    b003 = services.ticket_issue(service=a)
    at("09:25", 2)
    services.ticket_complete(ticket=b002, counter=c1, by=contractor)
    at("09:28", 2)
    assert call(c1).pk == b001.pk
    at("09:30", 2)
    assert services.ticket_no_show(ticket=b001, counter=c1, by=contractor).status == "no_show"
    at("09:31", 2)
    assert call(c1).pk == b003.pk
    at("09:35", 2)
    services.ticket_complete(ticket=b003, counter=c1, by=contractor, units={copies: 2})
    at("10:00", 2)
    services.counter_set_status(counter=c1, by=contractor, status="closed")
    # Mon 7/20, 海の日
    at("10:00", 20)
    services.counter_set_status(counter=c1, by=contractor, status="open")
    h001 = services.ticket_issue(service=a)
    at("10:01", 20)
    assert call(c1).pk == h001.pk
    at("10:05", 20)
    services.ticket_complete(ticket=h001, counter=c1, by=contractor)
    at("10:37", 20)
    services.counter_set_status(counter=c1, by=contractor, status="closed")
    clock.at("09:00", datetime.date(2026, 8, 3))  # the report is made in August
    return {"office": office, "units": units}


@pytest.fixture
def report(month):
    return reports.contract(office_id=month["office"].id, month=JULY)


def _unit(report, code):
    return next(u for u in report["units"] if u["code"] == code)


def _day(report, day):
    return next(d for d in report["days"] if d["day"] == datetime.date(2026, 7, day))


def test_contract_month_units_and_amounts_match_the_hand_computation(report):
    assert (_unit(report, "juminhyo-copy")["quantity"],
            _unit(report, "juminhyo-copy")["amount"]) == (8, 2400)
    assert (_unit(report, "tennyu-reception")["quantity"],
            _unit(report, "tennyu-reception")["amount"]) == (1, 1200)
    assert (_unit(report, "counter-hour")["quantity"],
            _unit(report, "counter-hour")["amount"]) == (307, 12791)
    # The staff's own review is counted for reference, never billed.
    review = _unit(report, "tennyu-review")
    assert (review["quantity"], review["reference"], review["amount"]) == (0, 1, 0)
    assert report["handled"] == 6


def test_contract_month_totals_match_to_the_yen(report):
    assert report["subtotal"] == 16391
    assert report["deduction"] == 5327
    assert (report["net"], report["tax"], report["total"]) == (11064, 1106, 12170)
    level = report["levels"][0]
    assert (level["samples"], level["within"], level["percent"]) == (7, 5, 71.4)
    assert level["missed"] and level["missed_days"] == 1
    assert (level["deduction_days"], level["deduction_month"]) == (5000, 327)


def test_contract_days_break_the_month_down(report):
    first, second, holiday = _day(report, 1), _day(report, 2), _day(report, 20)
    assert (first["subtotal"], first["handled"], first["deduction"]) == (11150, 3, 0)
    assert (second["subtotal"], second["handled"], second["deduction"]) == (3400, 2, 5000)
    assert (holiday["subtotal"], holiday["handled"], holiday["deduction"]) == (1841, 1, 0)
    assert holiday["label"] == "海の日"
    assert second["levels"][0]["percent"] == 33.3 and second["levels"][0]["missed"]
    assert first["levels"][0]["percent"] == 100 and not first["levels"][0]["missed"]
    # A day nobody came is not judged, and the days add up to the month.
    assert _day(report, 3)["levels"][0] == {"samples": 0, "within": 0, "percent": None,
                                            "missed": False}
    assert sum(d["subtotal"] for d in report["days"]) == report["subtotal"]
    assert len(report["days"]) == 31


def test_contract_csv_holds_the_days_units_levels_and_totals(report):
    table = reports.contract_table(report)
    flat = {row[0]: row for row in table if row}
    assert flat["2026-07-02"][-2:] == [3400, 5000]
    assert flat["請求額 Total"] == ["請求額 Total", 12170]
    assert flat["住民票の写し 交付"][1:4] == [300, 8, 2400]


def test_ticket_level_export_adds_up_to_the_report_and_holds_no_note(month, report):
    rows = reports.contract_tickets(office_id=month["office"].id, month=JULY)
    header, *body, totals = rows
    columns = {name: i for i, name in enumerate(header)}
    for u in report["units"]:
        if u["measure"] != "counter_hour":
            assert totals[columns[f"請求 {u['name']}"]] == u["quantity"], u["name"]
    # Every step visit is a row: 4 on 7/1 (A001, A002, D001 at each step), 3 on 7/2, 1 on 7/20.
    assert len(body) == 8
    d001 = [r for r in body if r[1] == "D001"]
    assert [r[3] for r in d001] == ["受付・入力", "審査・決定"]
    assert d001[0][columns["窓口 Counter"]] == 3
    assert d001[0][columns["引継ぎ Hand-off"]] == "→ 審査・決定 (職員窓口): 審査・決定が必要"
    assert "転出証明書" not in repr(rows)  # the note is staff-facing, never exported
    no_show = [r for r in body if r[0] == "2026-07-02" and r[1] == "A001"]
    assert no_show[0][columns["結果 Outcome"]] == "不在"


def test_a_month_outside_every_contract_has_no_report(month):
    assert reports.contract(office_id=month["office"].id, month=datetime.date(2026, 6, 1)) \
        is None


# --- satisfaction -------------------------------------------------------------------


@pytest.fixture
def rated(day, clock):
    """The fixture day's completed visits rated: A001 5 (comment), A003 2, D001 4 (comment).
    A001 and A003 were completed at counter 1 (委託), D001 at counter 6 (職員)."""
    from queueing.models import Ticket

    clock.at("11:00")
    by_number = {t.display_number: t for t in Ticket.objects.filter(office=day["office"])}
    services.ticket_rate(ticket=by_number["A001"], score=5, comment="早かったです")
    services.ticket_rate(ticket=by_number["A003"], score=2)
    services.ticket_rate(ticket=by_number["D001"], score=4, comment="=説明が丁寧")
    return reports.history(office_id=day["office"].id, day_from=DAY, day_to=DAY)


def test_satisfaction_by_service(rated):
    s = rated["satisfaction"]
    a = _row(s["by_service"], "住民票の写し")
    # A: 5 and 2 -> mean 3.5, one of two satisfied (4-5) -> 50 %; counts 5,4,3,2,1.
    assert (a["ratings"], a["mean"], a["satisfied"], a["counts"]) == (2, 3.5, 50.0,
                                                                      [1, 0, 0, 1, 0])
    d = _row(s["by_service"], "転入届")
    assert (d["ratings"], d["mean"], d["satisfied"]) == (1, 4, 100.0)
    assert (s["total"]["ratings"], s["total"]["mean"]) == (3, 3.67)
    assert _row(s["by_service"], "印鑑登録証明書")["mean"] is None  # nobody rated it


def test_satisfaction_by_the_kind_of_the_completing_counter(rated):
    s = rated["satisfaction"]
    outsourced = _row(s["by_kind"], "委託 Outsourced")
    staff = _row(s["by_kind"], "職員 Staff-only")
    # D001 was received at an outsourced counter but completed at counter 6 (職員).
    assert (outsourced["ratings"], outsourced["mean"]) == (2, 3.5)
    assert (staff["ratings"], staff["mean"]) == (1, 4)


def test_satisfaction_comments_name_no_ticket(rated):
    comments = rated["satisfaction"]["comments"]
    assert [(c["service"], c["score"], c["comment"]) for c in comments] == [
        ("転入届", 4, "=説明が丁寧"), ("住民票の写し", 5, "早かったです")]
    assert all("ticket" not in c for c in comments)


def test_satisfaction_csv_keeps_a_formula_like_comment_as_text(rated):
    rows = reports.history_table(rated, "satisfaction")
    assert ["住民票の写し", 2, 3.5, 1, 0, 0, 1, 0, 50.0] in rows
    assert any(r[-1:] == ["'=説明が丁寧"] for r in rows)
